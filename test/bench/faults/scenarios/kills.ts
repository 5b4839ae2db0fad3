/**
 * kill -9 of the runtime, or of its database, at a random point of a run (between deliveries of a burst, with
 * the card pending, right after the approval, while the approved write is in flight), then a restart; or, at the
 * same points, DynamoDB throttling for a few seconds.
 */
import type { Delivery, KillPlan, KillPoint, PlannedFault, ScenarioPlan } from "../plan.js";
import type { Prng } from "../prng.js";
import { group, openingDelivery, operationsOf, updateDelivery, writingSubject } from "./shared.js";

function killRun(prng: Prng, run: number, target: KillPlan["target"]): ScenarioPlan {
  const subject = writingSubject(prng, run);
  const at: KillPoint = prng.weighted([
    ["mid-deliveries", 3],
    ["at-card", 3],
    ["after-approve", 2],
    ["write-in-flight", 2],
  ] as const);
  const burst: Delivery[] = [openingDelivery(subject, prng)];
  if (at === "mid-deliveries") {
    for (let i = prng.int(5, 20); i > 0; i--) burst.push(updateDelivery(subject, prng));
  }
  const faults: PlannedFault[] = [];
  if (at === "write-in-flight") {
    // A slow success: the provider applies the write and answers late, while the runtime is killed.
    const operation = operationsOf(subject).writes[0];
    if (operation) faults.push({ operation, status: 200, applied: true, times: 1, delayMs: 3000 });
  }
  const duringOutage =
    target !== "runtime"
      ? group(
          prng,
          Array.from({ length: prng.int(1, 3) }, () => updateDelivery(subject, prng)),
          0.5,
        )
      : undefined;
  const throttle =
    target === "throttle"
      ? {
          durationMs: prng.int(500, 6000),
          share: prng.weighted([
            [1, 3],
            [0.5, 2],
            [0.2, 1],
          ] as const),
        }
      : undefined;
  const kill: KillPlan = {
    target,
    at,
    delayMs: prng.int(0, at === "write-in-flight" ? 1500 : 300),
    ...(duringOutage ? { duringOutage } : {}),
    ...(throttle ? { throttle } : {}),
  };
  const what = throttle
    ? `DynamoDB throttles ${throttle.share * 100}% for ${throttle.durationMs} ms`
    : `kill -9 ${target}`;
  return {
    subject,
    deliveries: group(prng, burst, 0.6),
    faults,
    decision: "approve",
    kill,
    // After throttling the bus retries with backoff (up to 30 s between attempts): give it time to finish.
    settleMs: throttle ? 90_000 : 30_000,
    summary: `${subject.kind}: ${what} ${at} (+${kill.delayMs} ms)${burst.length > 1 ? `, burst of ${burst.length}` : ""}`,
  };
}

export const killRuntime = (prng: Prng, run: number) => killRun(prng, run, "runtime");
export const killDatabase = (prng: Prng, run: number) => killRun(prng, run, "database");
export const throttleDatabase = (prng: Prng, run: number) => killRun(prng, run, "throttle");
