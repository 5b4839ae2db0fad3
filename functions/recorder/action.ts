import { runIdFor } from "../shared/action-runs.js";
import type { RecordEvent } from "./events.js";
import { type RecorderDeps, tell } from "./tell.js";

type ActionEvent = Extract<RecordEvent, { kind: "action" }>;
type ActionFailedEvent = Extract<RecordEvent, { kind: "action_failed" }>;

/** An action step finished: keep its run (for undo), then its planned or applied entry, then its read-back. */
export async function recordAction(event: ActionEvent, deps: RecorderDeps): Promise<void> {
  const { result, incidentId, step } = event;
  const count = result.writes.length;
  const undoable = event.undoable && result.mode === "applied" && count > 0;
  const undoHint = undoable ? ` (undo: /quell undo ${runIdFor(incidentId, step)})` : "";
  const summary =
    result.mode === "planned"
      ? `${result.action}: dry run, ${count} write(s) planned and not sent`
      : `${result.action}: ${count === 0 ? "done, nothing to write" : `${count} write(s) applied${undoHint}`}`;
  await deps.store.actionRuns.record({
    incidentId,
    step,
    action: result.action,
    status: result.mode,
    undoable,
    input: result.input,
    output: result.output,
    writes: result.writes,
  });
  const detail = { step, action: result.action, writes: result.writes, output: result.output, undoable };
  const kind = result.mode === "planned" ? "action_planned" : "action_applied";
  await tell(deps, incidentId, { kind, summary, detail }, { actionStep: step });
  if (result.verified) {
    const verified = {
      kind: "action_verified",
      summary: `${result.action}: verified, ${result.verified}`,
    } as const;
    await tell(
      deps,
      incidentId,
      { ...verified, detail: { step, action: result.action } },
      { actionStep: step },
    );
  }
}

/** An action step failed. Only the error's name reaches Slack; its cause (a provider's words) stays on the timeline. */
export async function recordActionFailed(event: ActionFailedEvent, deps: RecorderDeps): Promise<void> {
  const { incidentId, step, action, error } = event;
  const summary = `${action} failed at ${step}: ${error.Error}`;
  await tell(
    deps,
    incidentId,
    { kind: "action_failed", summary, detail: { step, action, error } },
    { actionStep: step },
  );
}
