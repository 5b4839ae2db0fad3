import { recordUndo } from "../recorder/undo.js";
import { ValidationError } from "../shared/errors.js";
import { FINAL_STATUSES } from "../shared/incident.js";
import {
  journaledOutcome,
  markInterrupted,
  nextStepsSentence,
  sentSentence,
} from "../shared/interruption.js";
import type { QuellEventPublisher } from "../shared/quell-events.js";
import type { IncidentStore } from "../shared/store.js";
import { UNDO_MACHINE, undoExecutionName } from "../shared/undo-machine.js";
import { type EndedUnfinished, ExecutionStatusChange, WatchedInput } from "./event.js";

export interface WatchDeps {
  readonly store: IncidentStore;
  readonly events: QuellEventPublisher;
  /** Quell's state machines: name → ARN (each playbook, and the undo machine). */
  readonly machines: Readonly<Record<string, string>>;
  /** The execution's whole input (DescribeExecution), when the event left it out. */
  readonly describeInput: (executionArn: string) => Promise<string>;
}

export type WatchOutcome =
  | { readonly kind: "interrupted"; readonly incidentId: string; readonly expiredApprovals: string[] }
  | { readonly kind: "undo_failed"; readonly incidentId: string; readonly step: string }
  | { readonly kind: "ignored"; readonly incidentId: string; readonly reason: string };

const ENDED_HOW: Record<EndedUnfinished, string> = {
  FAILED: "failed",
  TIMED_OUT: "timed out",
  ABORTED: "was aborted",
};

/** Longest cause kept in the timeline entry's detail: enough for an error message, never a whole stack. */
const CAUSE_CHARS = 300;
/** Longest cause quoted in the summary (Slack shows the first 600 characters of it: notifier/core.ts). */
const SUMMARY_CAUSE_CHARS = 120;

/**
 * Settle an incident whose playbook execution ended outside its own failure handling (failed past a step's
 * retries in Quell's own recorder, a Lambda service error, the execution timed out, someone aborted it): it is
 * marked `interrupted` as the local runtime marks an execution it lost (functions/shared/interruption.ts), so no
 * approval waits on a token nobody can answer and `/quell rerun` starts it again. Nothing is recorded when the
 * incident had already ended (a playbook's own failure path records it, then ends in a Fail state), or when it
 * has moved on to another execution (a rerun), or a second time for the same execution (a redelivered event). An
 * undo that ended so is recorded as a failed undo, once.
 */
export async function watchExecution(event: unknown, deps: WatchDeps): Promise<WatchOutcome> {
  const { detail } = parseEvent(event);
  const machine = Object.entries(deps.machines).find(([, arn]) => arn === detail.stateMachineArn)?.[0];
  if (!machine) {
    throw new ValidationError(`${detail.stateMachineArn} is not one of Quell's state machines`, [
      { path: "detail.stateMachineArn", message: "not one of Quell's state machines" },
    ]);
  }
  const expectedArn = `${detail.stateMachineArn.replace(":stateMachine:", ":execution:")}:${detail.name}`;
  if (detail.executionArn !== expectedArn) {
    throw new ValidationError(`execution ${detail.executionArn} is not ${detail.name} of its state machine`, [
      { path: "detail.executionArn", message: `expected ${expectedArn}` },
    ]);
  }
  const rawInput = await inputOf(detail, deps);
  const input = parseInput(rawInput);
  const ended = endedSentence(detail, machine === UNDO_MACHINE ? "undo" : "playbook");

  if (machine === UNDO_MACHINE) {
    if (!input.step || detail.name !== undoExecutionName(input.incidentId, input.step)) {
      throw new ValidationError(`undo execution ${detail.name} does not match its input`, [
        { path: "detail.name", message: "an undo is named <incident>-<step> of its input" },
      ]);
    }
    // Recorded once: the run's undo settles by a conditional write, so a redelivery (or an undo machine that
    // recorded its own failure before ending) changes nothing.
    await recordUndo(
      {
        kind: "undo_failed",
        incidentId: input.incidentId,
        step: input.step,
        error: {
          Error: detail.error || detail.status,
          Cause: `${ended}; it may or may not have been applied`,
        },
      },
      deps,
    );
    return { kind: "undo_failed", incidentId: input.incidentId, step: input.step };
  }

  const incidentId = input.incidentId;
  if (detail.name !== incidentId && !new RegExp(`^${incidentId}-rerun-\\d+$`).test(detail.name)) {
    throw new ValidationError(`execution ${detail.name} is not a run of incident ${incidentId}`, [
      { path: "detail.name", message: "a playbook execution is named <incident> or <incident>-rerun-<n>" },
    ]);
  }
  const incident = await deps.store.getIncidentDetail(incidentId);
  const ignored = (reason: string): WatchOutcome => ({ kind: "ignored", incidentId, reason });
  if (!incident) return ignored("no such incident");
  if (FINAL_STATUSES.includes(incident.status)) return ignored(`the incident is already ${incident.status}`);
  if (incident.executionName !== detail.name) {
    return ignored(`the incident's execution is now ${incident.executionName ?? "none"}`);
  }
  if (incident.status === "interrupted") {
    const kept = await deps.store.interruptions.list(incidentId);
    if (kept.some((interruption) => interruption.executionName === detail.name)) {
      return ignored("already recorded as interrupted");
    }
  }
  const dryRun = input.dryRun === true;
  const outcome = journaledOutcome(incident, startOfRun(incident.timeline, detail.name));
  const summary = [
    `interrupted: ${ended}; it will not go on.`,
    sentSentence(outcome, dryRun),
    ...(dryRun ? [] : ["Nothing else was sent: every write is journaled before it is sent."]),
    nextStepsSentence(incidentId),
  ].join(" ");
  const { expired } = await markInterrupted(
    incident,
    {
      executionName: detail.name,
      // The machine that ran: what `/quell rerun` starts again.
      playbook: machine,
      input: rawInput,
      state: null,
      step: null,
      summary,
      detail: {
        status: detail.status,
        error: detail.error ?? null,
        cause: causeOf(detail.cause),
        sent: dryRun ? [] : outcome.sent,
        unknown: dryRun ? [] : outcome.unknown,
        dryRun,
      },
      expiryReason: `the playbook's execution ${ENDED_HOW[detail.status]} before this approval was answered; a rerun asks again`,
    },
    { store: deps.store, publish: (published) => deps.events.publish(published) },
  );
  return { kind: "interrupted", incidentId, expiredApprovals: expired };
}

function parseEvent(event: unknown): ExecutionStatusChange {
  const parsed = ExecutionStatusChange.safeParse(event);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message }));
  throw new ValidationError(
    `not a Step Functions execution status change Quell watches: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join("; ")}`,
    issues,
  );
}

/** The input as the event carries it, else (left out for size, or cut) as DescribeExecution answers. */
async function inputOf(detail: ExecutionStatusChange["detail"], deps: WatchDeps): Promise<string> {
  if (typeof detail.input === "string" && detail.inputDetails?.included !== false && isJson(detail.input)) {
    return detail.input;
  }
  return deps.describeInput(detail.executionArn);
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function parseInput(raw: string): WatchedInput {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new ValidationError("the execution's input is not JSON", [{ path: "input", message: "not JSON" }]);
  }
  const parsed = WatchedInput.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => ({
    path: ["input", ...issue.path].join("."),
    message: issue.message,
  }));
  throw new ValidationError(
    `the execution's input names no incident: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join("; ")}`,
    issues,
  );
}

/** `the playbook's execution <name> failed … (<error>: <cause>)`, the cause cut short. */
function endedSentence(detail: ExecutionStatusChange["detail"], what: "playbook" | "undo"): string {
  const cause = causeOf(detail.cause, SUMMARY_CAUSE_CHARS);
  const why = [detail.error, cause].filter(Boolean).join(": ");
  return `the ${what}'s execution ${detail.name} ${ENDED_HOW[detail.status]} outside its own failure handling${why ? ` (${why})` : ""}`;
}

/** A Lambda failure's cause is its JSON error (message, type, stack): keep the message. */
function causeOf(cause: string | null | undefined, chars = CAUSE_CHARS): string | null {
  if (!cause) return null;
  let text = cause;
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === "string") text = parsed.errorMessage;
  } catch {
    // Not JSON: a plain cause (a timeout, an abort's reason).
  }
  return text.length > chars ? `${text.slice(0, chars)}…` : text;
}

/**
 * When this execution started, by its timeline: a rerun's `playbook_started` entry, else the incident's first
 * (its first execution started with it). The write journal counts from there.
 */
function startOfRun(
  timeline: readonly { at: string; kind: string; detail?: Record<string, unknown> }[],
  name: string,
) {
  const started = timeline.filter(
    (entry) => entry.kind === "playbook_started" && (entry.detail?.executionName ?? name) === name,
  );
  return started.at(-1)?.at ?? "";
}
