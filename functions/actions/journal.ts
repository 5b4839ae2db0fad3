import { TransientError } from "../shared/errors.js";
import type { Clock } from "../shared/ids.js";
import type { TimelineEvent } from "../shared/incident.js";
import type { GivenApproval } from "./approval-gate.js";
import type { ActionJournal, WriteDescription, WriteOutcome } from "./contract.js";

/** What the journal needs of the incident store: one timeline entry at a time. */
export interface TimelineWriter {
  appendTimeline(incidentId: string, event: Omit<TimelineEvent, "at"> & { at?: string }): Promise<string>;
}

/** The run whose writes are journaled: which incident, step and action, applying or undoing. */
export interface JournaledRun {
  readonly incidentId: string;
  readonly step: string;
  readonly action: string;
  readonly mode: "apply" | "undo";
  /** The recorded decision the run went ahead on (approval-gate.ts); absent for steps behind no approval. */
  readonly approval?: GivenApproval | undefined;
}

/** How a failed send is recorded: the error's name and words, and the HTTP status when one came back. */
export function writeFailure(error: unknown): Extract<WriteOutcome, { ok: false }> {
  const { name, message } = error instanceof Error ? error : { name: "Error", message: String(error) };
  return { ok: false, error: name, message: message.slice(0, 500), status: statusOf(error) };
}

/** A provider's HTTP status: TransientError and ProviderError carry it, AWS SDK errors in `$metadata`. */
function statusOf(error: unknown): number | null {
  if (typeof error !== "object" || error === null) return null;
  const { status, $metadata } = error as { status?: unknown; $metadata?: { httpStatusCode?: unknown } };
  if (typeof status === "number") return status;
  return typeof $metadata?.httpStatusCode === "number" ? $metadata.httpStatusCode : null;
}

/** A write in a few words: `DELETE https://…/api_keys/key_1`, `iam UpdateAccessKey`. */
export const writeLabel = (write: WriteDescription): string =>
  write.kind === "http"
    ? `${write.method} ${write.url.slice(0, 200)}`
    : `${write.service} ${write.operation}`;

/**
 * The journal over the incident's timeline: `write_attempted` before each write is sent, `write_settled` after,
 * both in GET /incidents/{id}. Entries of one run never share a timestamp, so they keep their order.
 *
 * `settled` does not throw: by then the write went out (or failed) and the run goes on as it would; a failure to
 * record the outcome is handed to `onUnrecorded` (the action logs it). `attempted` throws a TransientError (the
 * step is retried), so nothing is sent that is not recorded first.
 */
export function timelineJournal(
  timeline: TimelineWriter,
  run: JournaledRun,
  options: { clock: Clock; onUnrecorded: (error: unknown, write: WriteDescription) => void },
): ActionJournal {
  let last = 0;
  const nextAt = () => {
    last = Math.max(options.clock().getTime(), last + 1);
    return new Date(last).toISOString();
  };
  const who = run.mode === "undo" ? `${run.action} undo` : run.action;
  // Each write carries the decision that allowed it, so the audit of a write never depends on another entry.
  const detail = (write: WriteDescription) => ({
    step: run.step,
    action: run.action,
    mode: run.mode,
    write,
    ...(run.approval ? { approval: run.approval } : {}),
  });
  return {
    async attempted(write) {
      try {
        await timeline.appendTimeline(run.incidentId, {
          kind: "write_attempted",
          summary: `${who}: sending ${writeLabel(write)}`,
          at: nextAt(),
          detail: detail(write),
        });
      } catch (error) {
        // Nothing was sent: Step Functions retries the step (TransientError) instead of failing it.
        throw new TransientError(`${who} could not record ${writeLabel(write)} before sending it`, {
          cause: error,
        });
      }
    },
    async settled(write, outcome) {
      const summary = outcome.ok
        ? `${who}: ${writeLabel(write)} sent`
        : `${who}: ${writeLabel(write)} failed (${outcome.status ?? outcome.error}); ` +
          "it may have been applied all the same: a retry reads the target again before writing";
      try {
        await timeline.appendTimeline(run.incidentId, {
          kind: "write_settled",
          summary,
          at: nextAt(),
          detail: { ...detail(write), outcome },
        });
      } catch (error) {
        options.onUnrecorded(error, write);
      }
    },
  };
}
