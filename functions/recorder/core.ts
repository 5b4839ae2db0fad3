import type { QuellEventPublisher } from "../shared/quell-events.js";
import type { IncidentStore } from "../shared/store.js";
import type { RecordEvent } from "./events.js";

export interface RecorderDeps {
  readonly store: IncidentStore;
  readonly events: QuellEventPublisher;
}

/**
 * Write what a playbook step did (or how the playbook ended) to the incident and its timeline, then tell
 * the bus so Slack can follow without slowing the playbook down.
 */
export async function record(event: RecordEvent, { store, events }: RecorderDeps): Promise<void> {
  if (event.kind === "action") {
    const { result } = event;
    const count = result.writes.length;
    const summary =
      result.mode === "planned"
        ? `${result.action}: dry run, ${count} write(s) planned and not sent`
        : `${result.action}: ${count === 0 ? "done, nothing to write" : `${count} write(s) applied`}`;
    const kind = result.mode === "planned" ? "action_planned" : "action_applied";
    await store.appendTimeline(event.incidentId, {
      kind,
      summary,
      detail: { step: event.step, action: result.action, writes: result.writes, output: result.output },
    });
    await events.publish({ incidentId: event.incidentId, kind, summary });
    return;
  }
  if (event.kind === "approval_expired") {
    await store.decideApproval(event.incidentId, event.step, { status: "expired", by: "quell:timeout" });
    const summary = `expired: ${event.summary}`;
    await store.appendTimeline(event.incidentId, {
      kind: "approval_expired",
      summary,
      detail: { step: event.step, outcome: "expired" },
    });
    await store.updateIncident(event.incidentId, { status: "running" });
    await events.publish({
      incidentId: event.incidentId,
      kind: "approval_expired",
      summary,
      approvalStep: event.step,
    });
    return;
  }
  if (event.outcome === "expired") {
    await store.decideApproval(event.incidentId, event.step, { status: "expired", by: "quell:timeout" });
  }
  const summary = `${event.outcome}: ${event.summary}`;
  // The timeline entry comes first, so whoever waits for the final status sees the whole story.
  await store.appendTimeline(event.incidentId, {
    kind: "closed",
    summary,
    detail: {
      step: event.step,
      outcome: event.outcome,
      ...(event.error ? { error: event.error.Error } : {}),
    },
  });
  await store.updateIncident(event.incidentId, { status: event.outcome, outcome: event.summary });
  await events.publish({
    incidentId: event.incidentId,
    kind: "closed",
    summary,
    outcome: event.outcome,
    approvalStep: event.step,
  });
}
