import { type ActionRun, parseRunId } from "../shared/action-runs.js";
import { escapeMrkdwn } from "../shared/mrkdwn.js";
import { UNDO_MACHINE, type UndoInput, undoExecutionName } from "../shared/undo-machine.js";
import type { CommandDeps } from "./commands.js";
import { SLACK_USER_ID } from "./ids.js";

const who = (userId: string | undefined) => (userId ? ` by <@${escapeMrkdwn(userId, 30)}>` : "");

/** Why a run cannot be undone now, from its recorded state. */
function notUndoable(run: ActionRun): string {
  const name = `\`${escapeMrkdwn(run.runId)}\` (${escapeMrkdwn(run.action)})`;
  switch (run.status) {
    case "planned":
      return `${name} was a dry run: nothing was applied, so there is nothing to undo.`;
    case "applied":
      return `${name} changed nothing that Quell can restore (it found nothing to change, or the action cannot be undone).`;
    case "undo_requested":
      return `Undo of ${name} was already requested${who(run.undoRequestedBy)}; it is in progress.`;
    case "undone":
      return `${name} was already undone${who(run.undoRequestedBy)} at ${escapeMrkdwn(run.undoneAt ?? "")}.`;
    case "undo_planned":
      return `Undo of ${name} already ran as a dry run${who(run.undoRequestedBy)}.`;
    case "undo_failed":
      return `Undo of ${name} failed${who(run.undoRequestedBy)}: ${escapeMrkdwn(run.undoError ?? "", 300)}. Restore it by hand.`;
  }
}

/**
 * Undo an applied action run for a responder (the Undo button or `/quell undo <run>`): authorise, claim the
 * run with one conditional write (so two clicks, two people or a retry undo it once), then start the undo
 * machine. Everything slow happens in that execution; the answer comes back at once.
 */
export async function requestUndo(runId: string, userId: string, deps: CommandDeps): Promise<string> {
  const ids = parseRunId(runId);
  const run = ids ? await deps.store.actionRuns.get(ids.incidentId, ids.step) : undefined;
  if (!ids || !run)
    return `No action run ${escapeMrkdwn(runId || "(missing id)", 80)}. Try \`/quell status <incident>\`.`;
  if (!SLACK_USER_ID.test(userId) || !(await deps.isResponder(userId))) {
    await deps.store.appendTimeline(ids.incidentId, {
      kind: "undo_refused",
      summary: `undo of ${run.runId} refused: ${userId} is not an authorised responder`,
      actor: userId,
      detail: { step: ids.step },
    });
    return "You are not authorised to undo actions (you are not a configured approver). Nothing changed; your attempt was recorded.";
  }
  if (run.status !== "applied" || !run.undoable) return notUndoable(run);
  const claimed = await deps.store.actionRuns.requestUndo(ids.incidentId, ids.step, userId);
  if (!claimed) {
    const now = await deps.store.actionRuns.get(ids.incidentId, ids.step);
    return now ? notUndoable(now) : `No action run ${escapeMrkdwn(runId, 80)}.`;
  }
  const input: UndoInput = {
    incidentId: ids.incidentId,
    step: ids.step,
    action: run.action,
    input: run.input,
    output: run.output ?? null,
    dryRun: false,
  };
  try {
    await deps.machines.start(UNDO_MACHINE, undoExecutionName(ids.incidentId, ids.step), input);
  } catch (error) {
    await deps.store.actionRuns.releaseUndo(ids.incidentId, ids.step, userId);
    throw error;
  }
  const summary = `undo of ${run.action} (${run.runId}) requested by ${userId}`;
  await deps.store.appendTimeline(ids.incidentId, {
    kind: "undo_requested",
    summary,
    actor: userId,
    detail: { step: ids.step, action: run.action },
  });
  await deps.events.publish({
    incidentId: ids.incidentId,
    kind: "undo_requested",
    summary,
    actionStep: ids.step,
  });
  return `Undoing \`${escapeMrkdwn(run.runId)}\` (${escapeMrkdwn(run.action)}); the incident's thread says when it is done.`;
}
