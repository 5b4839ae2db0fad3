import type { ActionRun } from "../shared/action-runs.js";
import { applicableExclusions } from "../shared/exclusions.js";
import { type Approval, INTERRUPTED_BY, type Incident } from "../shared/incident.js";
import { escapeMrkdwn, plainText } from "../shared/mrkdwn.js";
import type { PauseState } from "../shared/pause.js";
import { SlackActionIds } from "./ids.js";
import { runProgress, undoBlock } from "./run-status.js";

/** What an approval card shows. Titles and plan lines come from the playbook; everything else is escaped. */
export interface ApprovalCardInput {
  readonly incident: Pick<Incident, "id" | "title" | "severity" | "type" | "playbook"> &
    Partial<Pick<Incident, "risk" | "ownerTeams" | "unknownAssets">>;
  readonly approval: Pick<
    Approval,
    "approvalId" | "title" | "timeoutAt" | "status" | "policy" | "approvedBy"
  > &
    Partial<
      Pick<
        Approval,
        | "decidedBy"
        | "decidedAt"
        | "reason"
        | "comment"
        | "voteComments"
        | "excludedApprovers"
        | "overBudget"
        | "diagramUrl"
      >
    >;
  readonly plan: readonly string[];
  readonly facts: Readonly<Record<string, unknown>>;
  readonly dryRun: boolean;
  /** Quell's kill switch when the card was drawn: a paused Quell writes nothing, whatever is approved. */
  readonly pause?: PauseState;
  /**
   * For an approved step that leads straight to an action: that action's run, and whether the incident ended
   * (then a missing run did not complete). The decided card then shows the run's progress and Undo.
   */
  readonly approvedRun?: { readonly run: ActionRun | undefined; readonly incidentEnded: boolean };
}

// biome-ignore lint/suspicious/noExplicitAny: Block Kit blocks are plain JSON objects.
export type Block = Record<string, any>;

const SEVERITY_ICON: Record<string, string> = {
  critical: ":red_circle:",
  high: ":large_orange_circle:",
  medium: ":large_yellow_circle:",
  low: ":white_circle:",
  info: ":white_circle:",
};

/** The card's body: heading, what happened and what triage learnt, facts, and the plan under `planHeading`. */
export function bodyBlocks(input: ApprovalCardInput, planHeading = "If approved, Quell will:"): Block[] {
  const { incident, approval } = input;
  const facts = Object.entries(input.facts).slice(0, 10);
  return [
    { type: "header", text: { type: "plain_text", text: plainText(approval.title) } },
    {
      type: "section",
      text: {
        type: "mrkdwn",
        text:
          `${SEVERITY_ICON[incident.severity] ?? ""} *${escapeMrkdwn(incident.severity)}* · ` +
          `${escapeMrkdwn(incident.type)} · incident \`${escapeMrkdwn(incident.id)}\`\n` +
          `*What happened:* ${escapeMrkdwn(incident.title, 300)}${triageLines(incident)}`,
      },
    },
    ...(facts.length > 0
      ? [
          {
            type: "section",
            fields: facts.map(([label, value]) => ({
              type: "mrkdwn",
              text: `*${escapeMrkdwn(label, 40)}*\n${escapeMrkdwn(value, 300)}`,
            })),
          },
        ]
      : []),
    {
      type: "section",
      text: {
        type: "mrkdwn",
        // Slack refuses section text over 3,000 characters.
        text: `*${planHeading}*\n${input.plan.map((line) => `• ${escapeMrkdwn(line, 300)}`).join("\n")}`.slice(
          0,
          3000,
        ),
      },
    },
  ];
}

/** What triage learnt, escaped (asset ids come from the alert): risk and its reasons, owners, unknown AI. */
function triageLines(incident: ApprovalCardInput["incident"]): string {
  const lines: string[] = [];
  if (incident.risk) {
    const reasons = escapeMrkdwn(incident.risk.reasons.join("; "), 500);
    lines.push(`*Risk:* ${incident.risk.score}/100 (${reasons})`);
  }
  if (incident.ownerTeams?.length)
    lines.push(`*Owners:* ${escapeMrkdwn(incident.ownerTeams.join(", "), 200)}`);
  if (incident.unknownAssets?.length) {
    const unknown = incident.unknownAssets.map((asset) => `${asset.kind} ${asset.id}`).join(", ");
    lines.push(`:warning: *Not in the AI asset inventory:* ${escapeMrkdwn(unknown, 300)}`);
  }
  return lines.map((line) => `\n${line}`).join("");
}

/**
 * The playbook by name, linked to its diagram page when one is published (QUELL_PLAYBOOK_DOCS_URL), else with the
 * page's path in the repository (docs/playbooks/<name>.md, written by `npm run compile-playbooks -- golden`).
 */
function playbookLink(input: ApprovalCardInput): string {
  const name = escapeMrkdwn(input.incident.playbook);
  const url = input.approval.diagramUrl;
  return url ? `<${url}|\`${name}\`> (diagram)` : `\`${name}\` (diagram: docs/playbooks/${name}.md)`;
}

/** The card while the decision is pending: facts, plan, and Approve / Deny buttons carrying the approval id. */
export function pendingApprovalCard(input: ApprovalCardInput): { text: string; blocks: Block[] } {
  const { approval } = input;
  const notes = [
    input.dryRun
      ? ":test_tube: *Dry run*: Quell will record what it would send and change nothing."
      : undefined,
    input.pause?.paused
      ? `:double_vertical_bar: *Quell is paused* (by ${input.pause.by ? `<@${escapeMrkdwn(input.pause.by, 30)}>` : "someone"}): a decision is recorded, but nothing is written until \`/quell resume\`.`
      : undefined,
    approval.overBudget
      ? `:chart_with_upwards_trend: *Containment budget spent*: ${approval.overBudget.used} containments in the last hour (budget ${approval.overBudget.limit}), so this one needs a second approver.`
      : undefined,
    approval.policy === "two"
      ? `:busts_in_silhouette: *Four eyes*: needs two different approvers. Approved so far: ${votersOf(approval)}.${commentsOf(approval)}`
      : undefined,
    notEligible(approval),
    `Expires ${escapeMrkdwn(approval.timeoutAt)} if nobody decides (expired is not denied). Playbook ${playbookLink(input)}.`,
  ].filter(Boolean);
  return {
    // A critical incident (a key leaked publicly, say) notifies the whole channel at once, not only whoever looks.
    text: `${input.incident.severity === "critical" ? "<!here> " : ""}Approval needed: ${plainText(approval.title)}`,
    blocks: [
      ...bodyBlocks(input),
      { type: "context", elements: notes.map((text) => ({ type: "mrkdwn", text })) },
      {
        type: "actions",
        block_id: "quell.decision",
        elements: [
          {
            type: "button",
            action_id: SlackActionIds.approve,
            style: "primary",
            text: { type: "plain_text", text: "Approve" },
            value: approval.approvalId,
          },
          {
            type: "button",
            action_id: SlackActionIds.approveWithComment,
            text: { type: "plain_text", text: "Approve with comment…" },
            value: approval.approvalId,
          },
          {
            type: "button",
            action_id: SlackActionIds.deny,
            style: "danger",
            text: { type: "plain_text", text: "Deny" },
            value: approval.approvalId,
          },
        ],
      },
    ],
  };
}

/** Slack user ids are validated when a vote is taken; a mention is the only safe way to show a person. */
const votersOf = (approval: Pick<Approval, "approvedBy">) =>
  approval.approvedBy.length > 0
    ? approval.approvedBy.map((id) => `<@${escapeMrkdwn(id, 30)}>`).join(" and ")
    : "nobody yet";

/** Approvers' comments, escaped: each four-eyes vote's, else the decision's. Empty when there are none. */
function commentsOf(approval: ApprovalCardInput["approval"]): string {
  const comments =
    approval.policy === "two"
      ? (approval.voteComments ?? [])
      : approval.comment && approval.decidedBy
        ? [{ by: approval.decidedBy, comment: approval.comment }]
        : [];
  return comments
    .map(({ by, comment }) => ` Comment by <@${escapeMrkdwn(by, 30)}>: “${escapeMrkdwn(comment, 500)}”`)
    .join("");
}

const EXCLUDED_LABEL = { subject: "subject", requester: "requester" } as const;

/** Who may not decide, escaped (exclusions come from configuration and the requester, still data). */
function notEligible(approval: ApprovalCardInput["approval"]): string | undefined {
  const excluded = applicableExclusions(approval);
  if (excluded.length === 0) return undefined;
  const people = excluded.map(
    ({ userId, because }) => `<@${escapeMrkdwn(userId, 30)}> (${EXCLUDED_LABEL[because]})`,
  );
  return `:no_entry_sign: *Not eligible*: ${people.join(", ")}`;
}

const OUTCOME_LINE = {
  approved: ":white_check_mark: *Approved*",
  denied: ":no_entry: *Denied*",
  expired: ":hourglass: *Expired*: nobody decided in time",
} as const;

/** The card once decided: who and when, and no buttons. */
export function decidedApprovalCard(input: ApprovalCardInput): { text: string; blocks: Block[] } {
  const { approval } = input;
  const status = approval.status === "pending" ? "expired" : approval.status;
  const deciders =
    approval.status === "approved" && approval.policy === "two" ? votersOf(approval) : undefined;
  const who =
    approval.status === "expired" || !approval.decidedBy
      ? ""
      : ` by ${deciders ?? `<@${approval.decidedBy}>`}`;
  const reason = approval.reason ? ` (reason: ${escapeMrkdwn(approval.reason, 300)})` : "";
  const comments = approval.status === "approved" ? commentsOf(approval) : "";
  const line =
    approval.status === "expired" && approval.decidedBy === INTERRUPTED_BY
      ? `:warning: *Interrupted* at ${escapeMrkdwn(approval.decidedAt ?? "")}: the local runtime stopped before anyone decided; nothing was approved. See the thread.`
      : `${OUTCOME_LINE[status]}${who} at ${escapeMrkdwn(approval.decidedAt ?? "")}${reason}${comments ? `.${comments}` : ""}`;
  const progress =
    approval.status === "approved" && input.approvedRun && !input.dryRun
      ? runProgress(input.approvedRun.run, input.approvedRun.incidentEnded)
      : undefined;
  const run = input.approvedRun?.run;
  return {
    text: `${plainText(approval.title)}: ${status}`,
    blocks: [
      ...bodyBlocks(input),
      {
        type: "context",
        elements: [
          { type: "mrkdwn", text: line },
          ...(progress ? [{ type: "mrkdwn", text: progress.line }] : []),
        ],
      },
      ...(progress?.undo && run ? [undoBlock(run.runId)] : []),
    ],
  };
}
