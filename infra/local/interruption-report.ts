import {
  type InterruptedIncident,
  journaledOutcome,
  listed,
  nextStepsSentence,
  sentSentence,
  stepOf,
} from "../../functions/shared/interruption.js";
import type { FunctionRef } from "../../playbooks/compile.js";
import type { ExecutionRecord } from "./execution-record.js";

export type { InterruptedIncident };
export { stepOf };

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

function whatRan(ref: FunctionRef | undefined, step: string): string {
  if (ref?.kind === "action") return `action ${ref.action} at step ${step}`;
  if (ref?.kind === "approvalRequest") return `the approval request of step ${step} (its card)`;
  if (ref?.kind === "recorder") return `the record of step ${step}`;
  return `step ${step}`;
}

/**
 * Say what an execution lost mid-step had done, from its record (which Task state ran) and the incident (the
 * action journal's writes, action runs, approvals: functions/shared/interruption.ts): a responder reads it
 * before deciding to rerun or resolve.
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
  const outcome = journaledOutcome(incident, record.startDate);
  const ranSteps = new Set([...outcome.ranSteps, ...running.map((entry) => entry.step)]);
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
    sentSentence(outcome, dryRun),
    `Not run: ${listed(notRun, "no further action")}.`,
    nextStepsSentence(incident.id),
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
      sent: dryRun ? [] : outcome.sent,
      unknown: dryRun ? [] : outcome.unknown,
      notRun,
      dryRun,
    },
  };
}
