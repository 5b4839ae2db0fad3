/**
 * Slack failing under Quell: chat.postMessage (the approval card) or chat.update (its refresh) answering 5xx,
 * HTTP 429 ratelimited, or Slack's own `ok: false` internal_error at HTTP 200, for the run's messages.
 */
import type { PlannedFault, ScenarioPlan } from "../plan.js";
import type { Prng } from "../prng.js";
import { subjectFor } from "../subjects.js";
import { openingDelivery } from "./shared.js";

function slackFault(prng: Prng): PlannedFault {
  const operation = prng.pick(["slack.post-message", "slack.update"] as const);
  const times = prng.weighted([
    [1, 5],
    [2, 3],
    [3, 2],
  ] as const);
  const kind = prng.weighted([
    ["ratelimited", 3],
    ["500", 2],
    ["503", 2],
    ["internal_error", 2],
  ] as const);
  if (kind === "ratelimited") return { operation, status: 429, applied: false, times };
  if (kind === "internal_error") {
    return { operation, status: 200, applied: false, times, body: { ok: false, error: "internal_error" } };
  }
  return { operation, status: Number(kind), applied: false, times };
}

export function slackFaults(prng: Prng, run: number): ScenarioPlan {
  const subject = subjectFor(
    prng.weighted([
      ["leaked-key", 3],
      ["end-user", 2],
      ["ops-alert", 1],
    ] as const),
    run,
    prng,
  );
  const faults = [slackFault(prng)];
  if (prng.chance(0.3)) faults.push(slackFault(prng));
  const decision = prng.chance(0.8) ? "approve" : "none";
  return {
    subject,
    deliveries: [[openingDelivery(subject, prng)]],
    faults,
    decision,
    settleMs: 30_000,
    summary: `${subject.kind}: ${faults.map((f) => `${f.operation} ${f.status}${f.body ? " ok:false" : ""} ×${f.times}`).join(", ")}; decision ${decision}`,
  };
}
