import type { CanonicalAlert } from "../shared/alert.js";
import { TransientError } from "../shared/errors.js";
import type { IncidentStatus } from "../shared/incident.js";
import type { TriageDeps, TriageOutcome } from "./core.js";
import { NOTHING_STARTED } from "./incidents.js";
import { keepOutOfOrder, orderOf } from "./ordering.js";

/** Alerts that only annotate an incident: a source's resolve, and events Quell's own actions caused. */

/** Statuses in which nothing runs for an incident, so a resolve from its source closes it. */
const QUIET_STATUSES: readonly IncidentStatus[] = ["open", ...NOTHING_STARTED];

/**
 * A source says its alert is over (R5). It closes an incident in which nothing runs, and only annotates one
 * whose playbook is running or done. With no open case it opens nothing and is kept as unmatched. A resolve older
 * than the newest event of its alert (it fired again since) changes nothing (see ordering.ts).
 */
export async function resolveFromSource(alert: CanonicalAlert, deps: TriageDeps): Promise<TriageOutcome> {
  const order = await orderOf(alert, deps);
  const claim = await deps.triageStore.findDedupClaim(alert.dedupKey);
  // The alert fired again since, by the source's clock: this resolve is of an earlier firing.
  if (!order.newest) return keepOutOfOrder(alert, order, claim?.incidentId, deps);
  if (!claim) {
    await deps.triageStore.recordUnmatched(alert, "resolved");
    return { outcome: "not_started", reason: "resolved" };
  }
  const incident = await deps.store.getIncident(claim.incidentId);
  if (!incident)
    throw new TransientError(`incident ${claim.incidentId} for ${alert.dedupKey} is not written yet`);
  await deps.store.addAlert(incident.id, alert);
  const closes = QUIET_STATUSES.includes(incident.status);
  if (closes)
    await deps.store.updateIncident(incident.id, { status: "resolved", outcome: "resolved by its source" });
  await deps.store.appendTimeline(incident.id, {
    kind: "source_resolved",
    summary: closes
      ? `${alert.source} reports the alert resolved; nothing was running, so the incident is resolved`
      : `${alert.source} reports the alert resolved; the incident stays ${incident.status}`,
    detail: { alertId: alert.id, closed: closes },
  });
  return { outcome: "not_started", incidentId: incident.id, reason: "resolved" };
}

/**
 * An event caused by one of Quell's own action sessions: kept on the incident it served, not triaged as a
 * new attack. Returns undefined when that incident does not exist (then it is triaged like any alert).
 */
export async function linkOwnAction(
  incidentId: string,
  alert: CanonicalAlert,
  deps: TriageDeps,
): Promise<TriageOutcome | undefined> {
  if (!(await deps.store.getIncident(incidentId))) return undefined;
  await deps.store.addAlert(incidentId, alert);
  await deps.store.appendTimeline(incidentId, {
    kind: "own_action",
    summary: `${alert.source} reports a change made by Quell's own action for this incident; not triaged as an attack`,
    detail: { alertId: alert.id, type: alert.type, dedupKey: alert.dedupKey },
  });
  return { outcome: "not_started", incidentId, reason: "own_action" };
}
