import type { ActionRun } from "../shared/action-runs.js";
import { type Approval, FINAL_STATUSES, type Incident } from "../shared/incident.js";
import { escapeMrkdwn, plainText } from "../shared/mrkdwn.js";
import { type Block, bodyBlocks } from "./cards.js";
import { SlackActionIds } from "./ids.js";

export interface AutoCardInput {
  readonly incident: Parameters<typeof bodyBlocks>[0]["incident"] & Partial<Pick<Incident, "status">>;
  readonly approval: Approval;
  /** The approved action's run, once recorded: what the card says and whether Undo is offered follow it. */
  readonly run: ActionRun | undefined;
}

const AUTO_LINE =
  ":robot_face: *Approved by policy* (`auto`: the action is reversible and of low blast radius; no human was asked)";

/** Where the approved action stands, escaped; and whether Undo may be offered. */
function progress(input: AutoCardInput): { line: string; undo: boolean } {
  const { run, approval } = input;
  if (approval.dryRun)
    return {
      line: ":test_tube: *Dry run*: Quell recorded what it would send and changed nothing.",
      undo: false,
    };
  if (!run) {
    const over = input.incident.status && FINAL_STATUSES.includes(input.incident.status);
    return { line: over ? "The action did not complete; see the thread." : "Running…", undo: false };
  }
  const by = run.undoRequestedBy ? ` by <@${escapeMrkdwn(run.undoRequestedBy, 30)}>` : "";
  switch (run.status) {
    case "planned":
      return { line: "Dry run: nothing was changed, nothing to undo.", undo: false };
    case "applied":
      return run.undoable
        ? {
            line: `:white_check_mark: Done at ${escapeMrkdwn(run.at)}. Undo restores what it changed.`,
            undo: true,
          }
        : { line: ":white_check_mark: Nothing needed changing; nothing to undo.", undo: false };
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

/** The card of an `auto` approval: what Quell does without asking, its progress, and Undo while it applies. */
export function autoApprovalCard(input: AutoCardInput): { text: string; blocks: Block[] } {
  const { approval } = input;
  const { line, undo } = progress(input);
  const runId = `${approval.incidentId}.${approval.actionStep ?? ""}`;
  return {
    text: `Done without asking (auto): ${plainText(approval.title)}`,
    blocks: [
      ...bodyBlocks(
        { ...input, plan: approval.plan, facts: approval.facts, dryRun: approval.dryRun },
        "Quell does this without asking:",
      ),
      {
        type: "context",
        elements: [
          { type: "mrkdwn", text: `${AUTO_LINE} at ${escapeMrkdwn(approval.decidedAt ?? "")}.` },
          { type: "mrkdwn", text: line },
        ],
      },
      ...(undo
        ? [
            {
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
            },
          ]
        : []),
    ],
  };
}
