/**
 * Provider failures during an approved action: 429s, 5xx, timeouts and "applied but answered 500" at OpenAI,
 * GitHub, IAM or the LLM gateway, on the run's own writes and on the reads around them.
 */
import type { PlannedFault, ScenarioPlan } from "../plan.js";
import type { Prng } from "../prng.js";
import { openingDelivery, operationsOf, writingSubject } from "./shared.js";

/** Longer than Quell's provider client waits (10 s): the call times out. */
export const TIMEOUT_DELAY_MS = 11_000;

function providerFault(prng: Prng, operation: PlannedFault["operation"], write: boolean): PlannedFault {
  const kind = prng.weighted([
    ["429", 2],
    ["500", 3],
    ["502", 1],
    ["503", 2],
    ["timeout", 1],
  ] as const);
  const applied = write && prng.chance(0.5);
  if (kind === "timeout") return { operation, status: 504, applied, times: 1, delayMs: TIMEOUT_DELAY_MS };
  // Quell retries a transient failure 3 times: 4 failures in a row exhaust it (the action fails, recorded).
  const times = prng.weighted([
    [1, 14],
    [2, 4],
    [3, 2],
    [4, 1],
  ] as const);
  return { operation, status: Number(kind), applied, times };
}

export function providerFaults(prng: Prng, run: number): ScenarioPlan {
  const subject = writingSubject(prng, run);
  const { writes, reads } = operationsOf(subject);
  const faults: PlannedFault[] = [providerFault(prng, prng.pick(writes), true)];
  if (prng.chance(0.3)) faults.push(providerFault(prng, prng.pick(reads), false));
  const slow = faults.some((fault) => fault.delayMs !== undefined);
  return {
    subject,
    deliveries: [[openingDelivery(subject, prng)]],
    faults,
    decision: "approve",
    settleMs: slow ? 60_000 : 30_000,
    summary: `${subject.kind}: ${faults
      .map(
        (f) =>
          `${f.operation} ${f.delayMs ? "timeout" : f.status}${f.applied ? " (applied)" : ""} ×${f.times}`,
      )
      .join(", ")}`,
  };
}
