import { ApprovalDenied, errorName } from "../shared/errors.js";
import { escapeMrkdwn } from "../shared/mrkdwn.js";
import type { SlackMessagePoster } from "../shared/slack-client.js";
import type { IncidentStore } from "../shared/store.js";
import type { TaskSettler } from "../shared/task-settler.js";
import { pendingApprovalCard } from "../slack/cards.js";
import type { EscalateEvent, ExtendEvent } from "./events.js";

/** Posts a card, or a message in a card's thread. */
export type ThreadedSlackPoster = SlackMessagePoster;

export interface EscalationDeps {
  readonly store: IncidentStore;
  readonly slack: ThreadedSlackPoster;
  readonly tasks: TaskSettler;
  /** Where the re-post goes when the playbook names no channel and the first card was never posted. */
  readonly channel: string;
}

/** How Slack mentions a user group (`<!subteam^S…>`) or a user (`<@U…>`); the id is escaped all the same. */
export const mentionOf = (to: string): string =>
  to.startsWith("S") ? `<!subteam^${escapeMrkdwn(to, 30)}>` : `<@${escapeMrkdwn(to, 30)}>`;

/**
 * The first wait of an escalating approval ended without a decision: re-post its card, with the same
 * buttons (same approval id), mentioning the escalation group or user, in the playbook's escalation channel
 * or else in the first card's thread, and record `escalated`. An approval decided in the meantime is not
 * escalated.
 */
export async function escalateApproval(event: EscalateEvent, deps: EscalationDeps) {
  const approval = await deps.store.getApproval(event.incidentId, event.step);
  if (!approval) throw new Error(`approval ${event.incidentId}.${event.step} does not exist`);
  if (approval.status !== "pending") return { escalated: false, status: approval.status };
  const incident = await deps.store.getIncident(event.incidentId);
  if (!incident) throw new Error(`incident ${event.incidentId} does not exist`);
  const card = pendingApprovalCard({
    incident,
    approval,
    plan: approval.plan,
    facts: approval.facts,
    dryRun: approval.dryRun,
  });
  const text =
    `:rotating_light: ${mentionOf(event.to)} escalation: nobody has decided ` +
    `*${escapeMrkdwn(approval.title, 150)}* yet. It expires ${escapeMrkdwn(approval.timeoutAt)} ` +
    "if nobody decides (expired is not denied).";
  const thread =
    !event.channel && approval.channel && approval.messageTs
      ? { channel: approval.channel, thread_ts: approval.messageTs }
      : undefined;
  const posted = await deps.slack.postMessage({
    ...(thread ?? { channel: event.channel ?? deps.channel }),
    text,
    blocks: [{ type: "section", text: { type: "mrkdwn", text } }, ...card.blocks],
  });
  await deps.store.setApprovalMessage(event.incidentId, event.step, posted.channel, posted.ts, "escalation");
  await deps.store.appendTimeline(event.incidentId, {
    kind: "escalated",
    summary: `escalated to ${event.to}: ${approval.title}`,
    detail: {
      approvalId: approval.approvalId,
      step: event.step,
      to: event.to,
      channel: posted.channel,
      messageTs: posted.ts,
      threadTs: thread?.thread_ts ?? null,
    },
  });
  return { escalated: true, channel: posted.channel, messageTs: posted.ts };
}

/**
 * The escalated, final wait: the same pending approval takes the new task token, so the buttons of every
 * card of it keep working. A decision made between the two waits (its first task was already gone) was
 * kept for this wait: deliver it now, with this wait's token.
 */
export async function extendApproval(event: ExtendEvent, deps: Pick<EscalationDeps, "store" | "tasks">) {
  if (await deps.store.extendApproval(event.incidentId, event.step, event.taskToken)) {
    return { extended: true };
  }
  const approval = await deps.store.getApproval(event.incidentId, event.step);
  if (!approval) throw new Error(`approval ${event.incidentId}.${event.step} does not exist`);
  const by = approval.decidedBy ?? "unknown";
  if (approval.status === "approved") {
    await deps.tasks.succeed(event.taskToken, {
      decision: "approved",
      by,
      teamId: approval.decidedByTeam ?? null,
      at: approval.decidedAt ?? null,
    });
  } else if (approval.status === "denied") {
    await deps.tasks.fail(event.taskToken, errorName(ApprovalDenied), `denied by ${by}`);
  } else {
    // Expired already: nothing to deliver; this wait times out into the expiry as the first would have.
    return { extended: false, status: approval.status };
  }
  await deps.store.appendTimeline(event.incidentId, {
    kind: "approval_decided",
    summary: `${approval.status} by ${by}, made as the approval escalated: delivered to the escalated wait`,
    actor: by,
    detail: { approvalId: approval.approvalId, decision: approval.status, delivered: "escalated wait" },
  });
  return { extended: false, status: approval.status };
}
