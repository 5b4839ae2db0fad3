import type { WriteDescription } from "../../functions/actions/contract.js";
import { writeLabel } from "../../functions/actions/journal.js";
import type { ActionRun } from "../../functions/shared/action-runs.js";
import type { Approval, TimelineEvent } from "../../functions/shared/incident.js";
import type { FunctionRef } from "../../playbooks/compile.js";
import type { ExecutionRecord } from "./execution-record.js";

/** What an interruption report reads of the incident (IncidentStore.getIncidentDetail). */
export interface InterruptedIncident {
  readonly id: string;
  readonly timeline: readonly TimelineEvent[];
  readonly actionRuns: readonly ActionRun[];
  readonly approvals: readonly Approval[];
}

/** What was sent, what may have been, and what never ran, when an execution was lost mid-step. */
export interface InterruptionReport {
  /** The Task state that ran (the first, if a Parallel ran several), and its playbook step. */
  readonly state: string | null;
  readonly step: string | null;
  readonly summary: string;
  readonly detail: {
    readonly executionName: string;
    readonly running: readonly { state: string; step: string; what: string }[];
    readonly lastFinished: string | null;
    /** Writes recorded as sent (steps that finished, and the one that ran). */
    readonly sent: readonly string[];
    /** Writes recorded as attempted with no outcome: they may or may not have reached the provider. */
    readonly unknown: readonly string[];
    /** Action steps the execution could still have reached: they never ran, nothing of theirs was sent. */
    readonly notRun: readonly string[];
    readonly dryRun: boolean;
  };
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
 * The writes the action journal recorded for one execution's steps (`write_attempted` before each write,
 * `write_settled` after): an attempt with no outcome is a write that may or may not have been sent.
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

function whatRan(ref: FunctionRef | undefined, step: string): string {
  if (ref?.kind === "action") return `action ${ref.action} at step ${step}`;
  if (ref?.kind === "approvalRequest") return `the approval request of step ${step} (its card)`;
  if (ref?.kind === "recorder") return `the record of step ${step}`;
  return `step ${step}`;
}

const list = (items: readonly string[], none: string) => (items.length > 0 ? items.join("; ") : none);

/**
 * Say what an execution lost mid-step had done, from its record (which Task state ran) and the incident (the
 * action journal's writes, action runs, approvals): a responder reads it before deciding to rerun or resolve.
 */
export function reportInterruption(
  incident: InterruptedIncident,
  record: ExecutionRecord,
  machine: {
    /** Every Task state of the machine and what it invokes. */
    readonly tasks: readonly { state: string; ref: FunctionRef }[];
    /** The Task states reachable after a state (LocalStepFunctions.tasksAfter). */
    readonly tasksAfter: (state: string) => readonly { state: string; ref: FunctionRef }[];
  },
  dryRun: boolean,
): InterruptionReport {
  const { tasks } = machine;
  const refOf = (state: string) => tasks.find((task) => task.state === state)?.ref;
  const running = Object.keys(record.running).map((state) => ({
    state,
    step: stepOf(state),
    what: whatRan(refOf(state), stepOf(state)),
  }));
  const writes = journaledWrites(incident.timeline, record.startDate);
  const runs = incident.actionRuns.filter((run) => run.at >= record.startDate);
  const sentByRun = runs
    .filter((run) => run.status !== "planned" && run.writes.length > 0)
    .map((run) => `${run.action} at ${run.step}: ${run.writes.length} write(s) sent`);
  const journaledSteps = new Set(runs.map((run) => run.step));
  const sent = [
    ...sentByRun,
    ...writes
      .filter((write) => write.outcome === "sent" && !journaledSteps.has(write.step))
      .map((write) => `${write.action} at ${write.step}: ${write.label} sent`),
  ];
  const unknown = writes
    .filter((write) => write.outcome !== "sent")
    .map(
      (write) =>
        `${write.action} at ${write.step}: ${write.label} ${write.outcome === "failed" ? "failed, and may have been applied all the same" : "was being sent: it may or may not have reached the provider"}`,
    );
  const ranSteps = new Set([...runs.map((run) => run.step), ...running.map((entry) => entry.step)]);
  const from = running.map((entry) => entry.state);
  if (from.length === 0 && record.lastFinished) from.push(record.lastFinished);
  const ahead = new Map(from.flatMap((state) => machine.tasksAfter(state)).map((task) => [task.state, task]));
  const notRun = [...ahead.values()]
    .filter((task) => task.ref.kind === "action" && !ranSteps.has(task.state))
    .map((task) => `${(task.ref as { action: string }).action} at ${task.state}`);
  const where =
    running.length > 0
      ? `while ${running.map((entry) => entry.what).join(" and ")} ran`
      : `between steps${record.lastFinished ? `, after ${record.lastFinished}` : ""}`;
  const summary = [
    `interrupted: the local runtime stopped ${where}; this execution (${record.name}) will not go on.`,
    dryRun
      ? "Dry run: nothing was sent."
      : [
          `Sent: ${list(sent, "nothing")}.`,
          ...(unknown.length > 0
            ? [`Unknown: ${unknown.join("; ")}: check the target before rerunning.`]
            : []),
        ].join(" "),
    `Not run: ${list(notRun, "no further action")}.`,
    `\`/quell rerun ${incident.id}\` starts the playbook again (its approvals ask again); \`/quell resolve ${incident.id} <reason>\` closes it.`,
  ].join(" ");
  const first = running[0];
  return {
    state: first?.state ?? null,
    step: first?.step ?? null,
    summary,
    detail: {
      executionName: record.name,
      running,
      lastFinished: record.lastFinished ?? null,
      sent: dryRun ? [] : sent,
      unknown: dryRun ? [] : unknown,
      notRun,
      dryRun,
    },
  };
}
