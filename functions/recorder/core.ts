import { PLAYBOOK_ENDED_BY } from "../shared/incident.js";
import { countsTowardsMetrics, incidentTimes, responseMetricsEmf } from "../shared/response-metrics.js";
import type { IncidentStore } from "../shared/store.js";
import { recordAction, recordActionFailed } from "./action.js";
import type { RecordEvent } from "./events.js";
import { type RecorderDeps, tell } from "./tell.js";
import { recordUndo } from "./undo.js";

export type { RecorderDeps };

/**
 * Write what a playbook step did (or how the playbook ended) to the incident and its timeline, then tell
 * the bus so Slack can follow without slowing the playbook down.
 */
export async function record(event: RecordEvent, deps: RecorderDeps): Promise<void> {
  const { store, events } = deps;
  if (event.kind === "undo" || event.kind === "undo_failed") return recordUndo(event, { store, events });
  if (event.kind === "action_failed") return recordActionFailed(event, { store, events });
  if (event.kind === "action") return recordAction(event, { store, events });
  if (event.kind === "approval_expired") {
    await store.decideApproval(event.incidentId, event.step, { status: "expired", by: "quell:timeout" });
    await store.updateIncident(event.incidentId, { status: "running" });
    await tell(
      { store, events },
      event.incidentId,
      {
        kind: "approval_expired",
        summary: `expired: ${event.summary}`,
        detail: { step: event.step, outcome: "expired" },
      },
      { approvalStep: event.step },
    );
    return;
  }
  if (event.outcome === "expired") {
    await store.decideApproval(event.incidentId, event.step, { status: "expired", by: "quell:timeout" });
  }
  const summary = `${event.outcome}: ${event.summary}`;
  // The timeline entry comes first, so whoever waits for the final status sees the whole story.
  const at = await store.appendTimeline(event.incidentId, {
    kind: "closed",
    summary,
    detail: {
      step: event.step,
      outcome: event.outcome,
      ...(event.error ? { error: event.error.Error } : {}),
    },
  });
  // Unanswered approvals are settled before the final status, so whoever sees the status sees them settled.
  const incident = await expireUnanswered(store, event.incidentId);
  // A shadow run ends `shadowed`, never as if it had mitigated anything: the outcome says how it would have ended.
  await store.updateIncident(
    event.incidentId,
    incident?.shadow
      ? { status: "shadowed", outcome: `shadow: would have ended ${summary}` }
      : { status: event.outcome, outcome: event.summary },
  );
  await events.publish({
    incidentId: event.incidentId,
    kind: "closed",
    summary,
    outcome: event.outcome,
    approvalStep: event.step,
    at,
  });
  // Last, so an attempt that failed before it (and is retried) made none: one line per closing that succeeded.
  if (incident && deps.emitMetrics) emitResponseMetrics(incident, at, deps.emitMetrics);
}

/**
 * The incident's times to acknowledge, contain and resolve as one EMF line, from the incident as read when its
 * `closed` entry was already written (expireUnanswered's read: no read of its own). Rehearsals make none.
 */
function emitResponseMetrics(incident: IncidentDetail, closedAt: string, emit: (line: string) => void): void {
  if (!countsTowardsMetrics(incident)) return;
  const line = responseMetricsEmf(incidentTimes(incident), Date.parse(closedAt));
  if (line) emit(line);
}

type IncidentDetail = NonNullable<Awaited<ReturnType<IncidentStore["getIncidentDetail"]>>>;

/**
 * The playbook has ended, so no approval of it can still be answered: one left pending (its card never posted
 * because Slack failed, say) is recorded expired instead of offering a decision that could change nothing.
 * Returns the incident as read (its timeline holds the `closed` entry just written).
 */
async function expireUnanswered(
  store: IncidentStore,
  incidentId: string,
): Promise<IncidentDetail | undefined> {
  const detail = await store.getIncidentDetail(incidentId);
  for (const approval of detail?.approvals ?? []) {
    if (approval.status !== "pending") continue;
    await store.decideApproval(incidentId, approval.step, {
      status: "expired",
      by: PLAYBOOK_ENDED_BY,
      reason: "the playbook ended before this approval was answered",
    });
  }
  return detail;
}
