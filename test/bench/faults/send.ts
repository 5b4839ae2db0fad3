/**
 * Sending a run's deliveries as each alerting tool would: signed, re-sent while the runtime does not answer (a
 * sender retries what was not acknowledged), and recorded as accepted (202), recognised replay (200) or refused.
 */
import { type Request, requestFor } from "./bodies.js";
import type { Delivery, DeliveryGroups } from "./plan.js";
import type { Answer, QuellApi } from "./quell-api.js";
import type { RunContext, RunRecord } from "./run.js";
import { sleep } from "./wait.js";

function post(api: QuellApi, request: Request): Promise<Answer> {
  switch (request.route) {
    case "github":
      return api.postGitHub(request.body, request.deliveryId);
    case "generic":
      return api.postGeneric(request.body);
    case "alertmanager":
      return api.postAlertmanager(request.body);
    case "events":
      return api.postEvents(request.body);
  }
}

/**
 * Send one delivery as its tool would: what found the runtime down (no answer, 503, 429: killed, restarting, its
 * database down) is sent again for up to `patienceMs` (a restart takes seconds); a 202 is an accepted alert, a 200
 * with an alert id a recognised replay, anything else a refusal.
 */
export async function deliver(
  ctx: RunContext,
  record: RunRecord,
  delivery: Delivery,
  { patienceMs = 90_000, keepRefusal = true } = {},
): Promise<number> {
  const request = requestFor(record.plan.subject, delivery, record.base);
  const deadline = Date.now() + patienceMs;
  for (let attempt = 1; ; attempt++) {
    const answer = await post(ctx.world.api, request);
    const alertId = typeof answer.body.alertId === "string" ? answer.body.alertId : undefined;
    // POST /events answers the ids of the events it took as `alertIds`.
    const alertIds = Array.isArray(answer.body.alertIds) ? (answer.body.alertIds as string[]) : [];
    if (answer.status === 202 && (alertId || alertIds.length)) {
      record.accepted.push(...(alertId ? [alertId] : alertIds));
      return 202;
    }
    if (answer.status === 200 && alertId) {
      record.replays.push(alertId);
      return 200;
    }
    const retryable = answer.status === 0 || answer.status === 503 || answer.status === 429;
    if (retryable && Date.now() < deadline) {
      await sleep(Math.min(250 * attempt, 2000));
      continue;
    }
    const code = (answer.body.error as { code?: string } | undefined)?.code;
    if (keepRefusal) record.refused.push(`${delivery.kind} ${answer.status}${code ? ` ${code}` : ""}`);
    return answer.status;
  }
}

export async function deliverGroups(
  ctx: RunContext,
  record: RunRecord,
  groups: DeliveryGroups,
  from = 0,
  to = groups.length,
) {
  for (const deliveries of groups.slice(from, to)) {
    await Promise.all(deliveries.map((delivery) => deliver(ctx, record, delivery)));
  }
}
