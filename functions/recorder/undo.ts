import type { RecordEvent } from "./events.js";
import { type RecorderDeps, tell } from "./tell.js";

type UndoEvent = Extract<RecordEvent, { kind: "undo" | "undo_failed" }>;

/** How an undo ended: on the action run, the timeline and the bus (the notifier tells the thread). */
export async function recordUndo(event: UndoEvent, { store, events }: RecorderDeps): Promise<void> {
  const { incidentId, step } = event;
  const requested = await store.actionRuns.get(incidentId, step);
  const by = requested?.undoRequestedBy ? ` (asked by ${requested.undoRequestedBy})` : "";
  const ended =
    event.kind === "undo_failed"
      ? ({
          kind: "undo_failed",
          status: "undo_failed",
          error: `${event.error.Error}: ${event.error.Cause ?? ""}`,
        } as const)
      : event.result.mode === "planned"
        ? ({ kind: "undo_planned", status: "undo_planned", writes: event.result.writes } as const)
        : ({ kind: "action_undone", status: "undone", writes: event.result.writes } as const);
  const settled = await store.actionRuns.settleUndo(incidentId, step, ended);
  // A retried recorder call finds the run already settled: the first call told everyone.
  if (!settled) return;
  const action = settled.action;
  const summary =
    ended.kind === "undo_failed"
      ? `${action}: undo failed${by}: ${ended.error.slice(0, 200)}`
      : ended.kind === "undo_planned"
        ? `${action}: undo dry run, ${ended.writes.length} write(s) planned and not sent${by}`
        : `${action}: undone, ${ended.writes.length} write(s) applied${by}`;
  await tell(
    { store, events },
    incidentId,
    {
      kind: ended.kind,
      summary,
      ...(requested?.undoRequestedBy ? { actor: requested.undoRequestedBy } : {}),
      detail: { step, action, ...("writes" in ended ? { writes: ended.writes } : { error: ended.error }) },
    },
    { actionStep: step },
  );
}
