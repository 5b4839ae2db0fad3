import type { ActionRun } from "../shared/action-runs.js";
import { type Approval, FINAL_STATUSES, type Incident } from "../shared/incident.js";
import { escapeMrkdwn, plainText } from "../shared/mrkdwn.js";
import { type Block, bodyBlocks } from "./cards.js";
import { runProgress, undoBlock } from "./run-status.js";

export interface AutoCardInput {
  readonly incident: Parameters<typeof bodyBlocks>[0]["incident"] & Partial<Pick<Incident, "status">>;
  readonly approval: Approval;
  /** The approved action's run, once recorded: what the card says and whether Undo is offered follow it. */
  readonly run: ActionRun | undefined;
}

const AUTO_LINE =
  ":robot_face: *Approved by policy* (`auto`: the action is reversible and of low blast radius; no human was asked)";

/** The card of an `auto` approval: what Quell does without asking, its progress, and Undo while it applies. */
export function autoApprovalCard(input: AutoCardInput): { text: string; blocks: Block[] } {
  const { approval } = input;
  const ended = Boolean(input.incident.status && FINAL_STATUSES.includes(input.incident.status));
  const { line, undo } = approval.dryRun
    ? { line: ":test_tube: *Dry run*: Quell recorded what it would send and changed nothing.", undo: false }
    : runProgress(input.run, ended);
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
      ...(undo && input.run ? [undoBlock(input.run.runId)] : []),
    ],
  };
}
