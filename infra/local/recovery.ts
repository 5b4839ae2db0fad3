import { ApprovalModes } from "../../functions/approval-request/events.js";
import { FINAL_STATUSES } from "../../functions/shared/incident.js";
import { markInterrupted } from "../../functions/shared/interruption.js";
import type { IncidentTimelineEvent } from "../../functions/shared/quell-events.js";
import type { IncidentStore } from "../../functions/shared/store.js";
import { UNDO_MACHINE } from "../../functions/shared/undo-machine.js";
import type { WaitingCallback } from "./execution-record.js";
import { reportInterruption } from "./interruption-report.js";
import type { ExecutionRecord, LocalHandler, LocalStepFunctions, ResumePoint } from "./stepfunctions.js";

export interface RecoveryDeps {
  readonly stepFunctions: LocalStepFunctions;
  readonly store: IncidentStore;
  /** Puts a Quell event on the bus (the notifier updates cards and threads from it). */
  readonly publish: (event: IncidentTimelineEvent) => void;
  /** The recorder function: an interrupted undo is recorded as the undo machine records a failed one. */
  readonly recorder: LocalHandler;
  /** Whether the runtime runs in dry run (then nothing any action did was sent). */
  readonly dryRun: boolean;
  /** Forgets idempotency records left `INPROGRESS` by the stopped runtime (stale-idempotency.ts). */
  readonly clearStaleInProgress: () => Promise<number>;
}

export interface RecoveryOutcome {
  readonly resumed: string[];
  readonly interrupted: string[];
  /** Lost after their incident had already ended: nothing to tell. */
  readonly ended: string[];
}

/**
 * After a restart, settle every execution that was running when the runtime stopped, so none stays `running` or
 * `awaiting_approval` for ever. One waiting on an approval resumes with its timer re-armed from the stored
 * deadline (a decision recorded but never delivered is put back to pending first: it did not take effect); one
 * in Quell's own recorder or approval function runs that step again. Any other was lost mid-step, where an
 * action may have been half sent: its incident is marked `interrupted` with what was and was not sent, and a
 * responder may `/quell rerun` it.
 */
export async function recoverExecutions(deps: RecoveryDeps): Promise<RecoveryOutcome> {
  const outcome: RecoveryOutcome = { resumed: [], interrupted: [], ended: [] };
  // Nothing runs yet: an invocation still marked in progress was lost, and must not block its step's next run.
  await deps.clearStaleInProgress();
  for (const record of deps.stepFunctions.load()) {
    const input = parseInput(record.input);
    if (!input.incidentId) {
      deps.stepFunctions.abandon(record, "the local runtime stopped; the execution names no incident");
      outcome.ended.push(record.name);
      continue;
    }
    const undo = deps.stepFunctions.playbookOf(record.stateMachineArn)?.name === UNDO_MACHINE;
    const point = undo ? undefined : await resumePoint(record, deps);
    if (undo) {
      await interruptUndo(record, input, deps);
      outcome.interrupted.push(record.name);
    } else if (point) {
      deps.stepFunctions.resume(record, point);
      outcome.resumed.push(record.name);
    } else if (await interrupt(record, input.incidentId, deps)) {
      outcome.interrupted.push(record.name);
    } else {
      outcome.ended.push(record.name);
    }
  }
  return outcome;
}

function parseInput(input: string): { incidentId?: string; step?: string; dryRun?: boolean } {
  try {
    const parsed = JSON.parse(input) as Record<string, unknown>;
    return {
      ...(typeof parsed.incidentId === "string" ? { incidentId: parsed.incidentId } : {}),
      ...(typeof parsed.step === "string" ? { step: parsed.step } : {}),
      dryRun: parsed.dryRun === true,
    };
  } catch {
    return {};
  }
}

/**
 * Where the execution can go on, if anywhere. At the approval it waited on, when the stored approval holds its
 * task token; with the handler called again (same token) only when it may not have finished: the approval is not
 * stored with this token yet, or its card was never recorded as posted. At a task of Quell's own recorder or
 * approval function (they are retried like any Lambda). Never at an action: its write may have been half sent.
 */
async function resumePoint(record: ExecutionRecord, deps: RecoveryDeps): Promise<ResumePoint | undefined> {
  if (record.waiting) return callbackPoint(record.waiting, deps);
  const running = Object.entries(record.running);
  const [first] = running;
  if (running.length !== 1 || !first || first[1].nested) return undefined;
  const [state] = first;
  const ref = deps.stepFunctions.tasksOf(record.stateMachineArn).find((task) => task.state === state)?.ref;
  return ref?.kind === "recorder" || ref?.kind === "approvalRequest" ? { kind: "task", state } : undefined;
}

async function callbackPoint(waiting: WaitingCallback, deps: RecoveryDeps): Promise<ResumePoint | undefined> {
  const { incidentId, step, mode } = waiting.payload as {
    incidentId?: unknown;
    step?: unknown;
    mode?: unknown;
  };
  if (typeof incidentId !== "string" || typeof step !== "string") return undefined;
  const requesting = waiting.phase === "requesting";
  const extending = mode === ApprovalModes.extend;
  const approval = await deps.store.getApproval(incidentId, step);
  if (!approval) return requesting && !extending ? { kind: "callback", reinvoke: true } : undefined;
  if (approval.taskToken !== waiting.taskToken) {
    // The handler had not stored this wait's token yet: asking again stores it (a pending approval only).
    return requesting && approval.status === "pending" ? { kind: "callback", reinvoke: true } : undefined;
  }
  if (approval.status === "approved" || approval.status === "denied") {
    // Recorded but never delivered (the wait had not settled, so the token was never accepted): it did not take
    // effect. Back to pending, so the timeline keeps no decision that did not happen, and a new click decides.
    const by = approval.decidedBy ?? "";
    const reopened = await deps.store.correctApproval(incidentId, step, {
      from: { status: approval.status, by },
      to: "pending",
    });
    if (!reopened) return undefined;
    await deps.store.appendTimeline(incidentId, {
      kind: "approval_refused",
      summary: `${approval.status} by ${by} was recorded but never delivered (the local runtime stopped first); the approval is pending again`,
      actor: by,
      detail: { approvalId: approval.approvalId, error: "Interrupted" },
    });
  } else if (approval.status !== "pending") {
    return undefined;
  }
  // A first request stored the token before posting the card: without the card's message, post it again.
  return { kind: "callback", reinvoke: requesting && !extending && !approval.messageTs };
}

/** Mark the incident interrupted, with what was and was not sent. False when it had already ended. */
async function interrupt(record: ExecutionRecord, incidentId: string, deps: RecoveryDeps): Promise<boolean> {
  const detail = await deps.store.getIncidentDetail(incidentId);
  if (!detail || FINAL_STATUSES.includes(detail.status)) {
    deps.stepFunctions.abandon(record, "the local runtime stopped after the incident had ended");
    return false;
  }
  const playbook = deps.stepFunctions.playbookOf(record.stateMachineArn)?.name ?? detail.playbook ?? "";
  const dryRun = deps.dryRun || parseInput(record.input).dryRun === true;
  const arn = record.stateMachineArn;
  const machine = {
    tasks: deps.stepFunctions.tasksOf(arn),
    tasksAfter: (state: string) => deps.stepFunctions.tasksAfter(arn, state),
  };
  const report = reportInterruption(detail, record, machine, dryRun);
  await markInterrupted(
    detail,
    {
      executionName: record.name,
      playbook,
      input: record.input,
      state: report.state,
      step: report.step,
      summary: report.summary,
      detail: report.detail,
      expiryReason: "the local runtime stopped while the playbook ran; a rerun asks again",
    },
    deps,
  );
  deps.stepFunctions.abandon(record, report.summary.slice(0, 1000));
  return true;
}

/**
 * An undo lost mid-way: recorded as a failed undo (the run says so, and the thread), since its write may or may
 * not have been sent; the responder restores by hand, as after any failed undo.
 */
async function interruptUndo(
  record: ExecutionRecord,
  input: { incidentId?: string; step?: string },
  deps: RecoveryDeps,
): Promise<void> {
  const running = Object.keys(record.running).join(", ") || "between steps";
  const cause = `the local runtime stopped while the undo ran (${running}); it may or may not have been applied`;
  if (input.incidentId && input.step) {
    await deps.recorder({
      kind: "undo_failed",
      incidentId: input.incidentId,
      step: input.step,
      error: { Error: "Interrupted", Cause: cause },
    });
  }
  deps.stepFunctions.abandon(record, cause);
}
