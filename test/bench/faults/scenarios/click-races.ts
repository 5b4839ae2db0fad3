/** Double clicks and click races on one approval card: the first decision wins, and acts once. */
import type { ScenarioPlan } from "../plan.js";
import type { Prng } from "../prng.js";
import { openingDelivery, writingSubject } from "./shared.js";

export function clickRaces(prng: Prng, run: number): ScenarioPlan {
  const subject = writingSubject(prng, run);
  const decision = prng.pick([
    "double-approve",
    "two-approvers",
    "approve-and-deny",
    "approve-then-late-retry",
  ] as const);
  return {
    subject,
    deliveries: [[openingDelivery(subject, prng)]],
    faults: [],
    decision,
    settleMs: 20_000,
    summary: `${subject.kind}: ${decision}`,
  };
}
