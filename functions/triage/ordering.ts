import type { CanonicalAlert } from "../shared/alert.js";
import type { TriageDeps, TriageOutcome } from "./core.js";
import type { SourceOrder } from "./triage-store.js";

/**
 * Events of one alert are ordered by the source's own clock (the alert's `occurredAt`: GitHub's `updated_at`,
 * Alertmanager's `startsAt`/`endsAt`, CloudWatch's state timestamp, GuardDuty's `updatedAt`...), not by when they
 * arrive: deliveries come late, twice and out of order. An event older than the newest one seen for its alert (its
 * dedup key) is kept and counted, and changes nothing: a late `firing` does not reopen what a later resolve closed,
 * and a late resolve does not close what fired again since.
 */

/** Where the alert falls among its alert's events (SourceOrder). */
export async function orderOf(alert: CanonicalAlert, deps: TriageDeps): Promise<SourceOrder> {
  const event = { at: Date.parse(alert.occurredAt), status: alert.status };
  // A storm's duplicates carry the time already seen: no write can make them the newest, so none is made.
  const known = deps.claimMemory?.newestSeen(alert.dedupKey);
  if (known && event.status !== "resolved" && event.at <= known.at) return { newest: false, before: known };
  const order = await deps.triageStore.advanceSourceTime(alert.dedupKey, event, deps.dedupWindowSeconds);
  const newest = order.newest ? event : order.before;
  if (newest) deps.claimMemory?.sawEvent(alert.dedupKey, newest);
  return order;
}

/** A firing or update no later than a resolve of its alert: the source has said since that it is over. */
export const isBeforeResolve = (order: SourceOrder): boolean =>
  !order.newest && order.before?.status === "resolved";

/**
 * Keep an alert that arrived after a newer event of its own: on the incident that holds its alert, counted, with
 * an `out_of_order` entry saying why nothing changed; or, with no incident, as unmatched.
 */
export async function keepOutOfOrder(
  alert: CanonicalAlert,
  order: SourceOrder,
  incidentId: string | undefined,
  deps: TriageDeps,
): Promise<TriageOutcome> {
  const newest = order.before
    ? `${order.before.status} at ${new Date(order.before.at).toISOString()}`
    : "an event at the same time";
  const because = `${alert.status} of ${alert.occurredAt} from ${alert.source} arrived after a newer event of this alert (${newest}); kept, and it changes nothing`;
  if (!incidentId) {
    await deps.triageStore.recordUnmatched(alert, "out_of_order", because);
    return { outcome: "not_started", reason: "out_of_order" };
  }
  await deps.store.addAlert(incidentId, alert);
  await deps.store.appendTimeline(incidentId, {
    kind: "out_of_order",
    summary: because,
    detail: {
      alertId: alert.id,
      status: alert.status,
      occurredAt: alert.occurredAt,
      newest: order.before
        ? { status: order.before.status, at: new Date(order.before.at).toISOString() }
        : null,
    },
  });
  return { outcome: "not_started", incidentId, reason: "out_of_order" };
}
