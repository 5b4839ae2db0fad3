import type { WriteDescription } from "../actions/contract.js";
import { writeLabel } from "../actions/journal.js";
import type { ActionRun } from "./action-runs.js";
import { type Approval, INTERRUPTED_BY, type TimelineEvent } from "./incident.js";
import type { IncidentTimelineEvent } from "./quell-events.js";
import type { IncidentStore } from "./store.js";

/**
 * A playbook execution that ended outside its own failure handling (the local runtime stopped mid-step; on AWS it
 * failed, timed out or was aborted): what its action journal says it sent, and how the incident is marked
 * `interrupted` so nothing waits for it and `/quell rerun` can start the playbook again. Shared by the local
 * runtime's recovery (infra/local/recovery.ts) and the AWS execution watch (functions/execution-watch).
 */

/** What an interruption reads of the incident (IncidentStore.getIncidentDetail). */
export interface InterruptedIncident {
  readonly id: string;
  readonly timeline: readonly TimelineEvent[];
  readonly actionRuns: readonly ActionRun[];
  readonly approvals: readonly Approval[];
}

/** What the lost execution's steps sent, by the action runs and the write journal since it started. */
export interface JournaledOutcome {
  /** Writes recorded as sent (steps that finished, and the one that ran). */
  readonly sent: readonly string[];
  /** Writes recorded as attempted with no outcome (or a failed one): they may or may not have been applied. */
  readonly unknown: readonly string[];
  /** The action steps that recorded a run or a write: they ran (or began to). */
  readonly ranSteps: ReadonlySet<string>;
}

/** A playbook step from a state name: generated states are `<step>.<suffix>`. */
export const stepOf = (state: string) => state.split(".")[0] ?? state;

interface JournaledWrite {
  readonly step: string;
  readonly action: string;
  readonly label: string;
  readonly outcome: "sent" | "failed" | "unknown";
}

/**
 * The writes the action journal recorded since `since` (`write_attempted` before each write, `write_settled`
 * after): an attempt with no outcome is a write that may or may not have been sent.
 */
function journaledWrites(timeline: readonly TimelineEvent[], since: string): JournaledWrite[] {
  const entries = timeline.filter((event) => event.at >= since && event.detail?.mode === "apply");
  const settled = entries.filter((event) => event.kind === "write_settled");
  const used = new Set<TimelineEvent>();
  return entries
    .filter((event) => event.kind === "write_attempted")
    .map((attempt) => {
      const write = attempt.detail?.write as WriteDescription;
      const same = JSON.stringify(write);
      const outcome = settled.find(
        (candidate) =>
          !used.has(candidate) &&
          candidate.at >= attempt.at &&
          candidate.detail?.step === attempt.detail?.step &&
          JSON.stringify(candidate.detail?.write) === same,
      );
      if (outcome) used.add(outcome);
      const ok = (outcome?.detail?.outcome as { ok?: boolean } | undefined)?.ok;
      return {
        step: String(attempt.detail?.step),
        action: String(attempt.detail?.action),
        label: writeLabel(write),
        outcome: outcome === undefined ? "unknown" : ok ? "sent" : "failed",
      };
    });
}

/**
 * What an execution started at `since` sent: each action run's writes, and the journal's writes of steps whose
 * run was never recorded (the one that ran when it stopped). Every write is journaled before it is sent, so a
 * write in neither was not sent.
 */
export function journaledOutcome(incident: InterruptedIncident, since: string): JournaledOutcome {
  const writes = journaledWrites(incident.timeline, since);
  const runs = incident.actionRuns.filter((run) => run.at >= since);
  const runSteps = new Set(runs.map((run) => run.step));
  const sent = [
    ...runs
      .filter((run) => run.status !== "planned" && run.writes.length > 0)
      .map((run) => `${run.action} at ${run.step}: ${run.writes.length} write(s) sent`),
    ...writes
      .filter((write) => write.outcome === "sent" && !runSteps.has(write.step))
      .map((write) => `${write.action} at ${write.step}: ${write.label} sent`),
  ];
  const unknown = writes
    .filter((write) => write.outcome !== "sent")
    .map(
      (write) =>
        `${write.action} at ${write.step}: ${write.label} ${write.outcome === "failed" ? "failed, and may have been applied all the same" : "was being sent: it may or may not have reached the provider"}`,
    );
  return { sent, unknown, ranSteps: new Set([...runSteps, ...writes.map((write) => write.step)]) };
}

export const listed = (items: readonly string[], none: string) =>
  items.length > 0 ? items.join("; ") : none;

/** The report's sentence on what was sent (nothing, in dry run). */
export function sentSentence(outcome: JournaledOutcome, dryRun: boolean): string {
  if (dryRun) return "Dry run: nothing was sent.";
  return [
    `Sent: ${listed(outcome.sent, "nothing")}.`,
    ...(outcome.unknown.length > 0
      ? [`Unknown: ${outcome.unknown.join("; ")}: check the target before rerunning.`]
      : []),
  ].join(" ");
}

/** The report's last sentence: what a responder can do next. */
export const nextStepsSentence = (incidentId: string) =>
  `\`/quell rerun ${incidentId}\` starts the playbook again (its approvals ask again); \`/quell resolve ${incidentId} <reason>\` closes it.`;

/** What to keep of an interruption, and what to tell. */
export interface InterruptedRun {
  readonly executionName: string;
  readonly playbook: string;
  /** The execution's input as it was started: a rerun starts with the same. */
  readonly input: string;
  /** The Task state that ran when it stopped, and its step, when known. */
  readonly state: string | null;
  readonly step: string | null;
  readonly summary: string;
  /** The timeline entry's detail (`playbook` and `expiredApprovals` are added). */
  readonly detail: Readonly<Record<string, unknown>>;
  /** Why a pending approval is expired: its wait ended with the execution. */
  readonly expiryReason: string;
}

export interface InterruptDeps {
  readonly store: IncidentStore;
  /** Puts a Quell event on the bus (the notifier updates cards and the thread from it). */
  readonly publish: (event: IncidentTimelineEvent) => Promise<void> | void;
}

/**
 * Mark the incident `interrupted`: the interruption is recorded (so `/quell rerun` can start the playbook again),
 * each pending approval is expired (its task token can no longer be answered), the timeline says what is known
 * and the bus tells Slack. Each part is idempotent, so doing it again for the same execution (a redelivered
 * event, a recovery cut short) adds nothing: the timeline entry and its event are written once per execution.
 */
export async function markInterrupted(
  incident: InterruptedIncident,
  interruption: InterruptedRun,
  deps: InterruptDeps,
): Promise<{ expired: string[]; told: boolean }> {
  const incidentId = incident.id;
  const { executionName, playbook, input, state, step } = interruption;
  await deps.store.interruptions.record({ incidentId, executionName, playbook, input, state, step });
  // A pending approval (an escalating one between its two waits) has no wait left to settle.
  const expired: string[] = [];
  for (const approval of incident.approvals.filter((candidate) => candidate.status === "pending")) {
    const decided = await deps.store.decideApproval(incidentId, approval.step, {
      status: "expired",
      by: INTERRUPTED_BY,
      reason: interruption.expiryReason,
    });
    if (decided) expired.push(approval.step);
  }
  const told = incident.timeline.some(
    (event) => event.kind === "interrupted" && event.detail?.executionName === executionName,
  );
  const at = told
    ? undefined
    : await deps.store.appendTimeline(incidentId, {
        kind: "interrupted",
        summary: interruption.summary,
        detail: { ...interruption.detail, executionName, playbook, expiredApprovals: expired },
      });
  await deps.store.updateIncident(incidentId, { status: "interrupted" });
  for (const expiredStep of expired) {
    await deps.publish({
      incidentId,
      kind: "approval_expired",
      summary: "interrupted",
      approvalStep: expiredStep,
    });
  }
  if (at) await deps.publish({ incidentId, kind: "interrupted", summary: interruption.summary, at });
  return { expired, told: at !== undefined };
}
