import type { ActionRun } from "../shared/action-runs.js";
import { escapeMrkdwn } from "../shared/mrkdwn.js";
import type { Block } from "./cards.js";
import { SlackActionIds } from "./ids.js";

/**
 * Where an approved action's run stands, in one escaped line, and whether Undo may be offered: only for a run
 * that applied writes its action can undo, and only until someone asks.
 */
export function runProgress(
  run: ActionRun | undefined,
  incidentEnded: boolean,
): { line: string; undo: boolean } {
  if (!run)
    return { line: incidentEnded ? "The action did not complete; see the thread." : "Running…", undo: false };
  const by = run.undoRequestedBy ? ` by <@${escapeMrkdwn(run.undoRequestedBy, 30)}>` : "";
  switch (run.status) {
    case "planned":
      return { line: "Dry run: nothing was changed, nothing to undo.", undo: false };
    case "applied":
      if (run.undoable) {
        const line = `:white_check_mark: Done at ${escapeMrkdwn(run.at)}. Undo restores what it changed.`;
        return { line, undo: true };
      }
      return run.writes.length === 0
        ? { line: ":white_check_mark: Nothing needed changing; nothing to undo.", undo: false }
        : {
            line: `:white_check_mark: Done at ${escapeMrkdwn(run.at)}. This action cannot be undone.`,
            undo: false,
          };
    case "undo_requested":
      return { line: `:hourglass_flowing_sand: Undo requested${by}; in progress.`, undo: false };
    case "undone":
      return {
        line: `:leftwards_arrow_with_hook: *Undone*${by} at ${escapeMrkdwn(run.undoneAt ?? "")}.`,
        undo: false,
      };
    case "undo_planned":
      return { line: `Undo dry run${by}: planned, nothing sent.`, undo: false };
    case "undo_failed":
      return {
        line: `:x: *Undo failed*${by}: ${escapeMrkdwn(run.undoError ?? "unknown error", 300)}. Restore it by hand.`,
        undo: false,
      };
  }
}

/** The Undo button for a run, with Slack's own confirmation dialog first. */
export const undoBlock = (runId: string): Block => ({
  type: "actions",
  block_id: "quell.undo",
  elements: [
    {
      type: "button",
      action_id: SlackActionIds.undo,
      style: "danger",
      text: { type: "plain_text", text: "Undo" },
      value: runId,
      confirm: {
        title: { type: "plain_text", text: "Undo this action?" },
        text: { type: "plain_text", text: "Quell restores what the action changed." },
        confirm: { type: "plain_text", text: "Undo" },
        deny: { type: "plain_text", text: "Keep it" },
      },
    },
  ],
});
