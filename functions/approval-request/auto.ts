import * as z from "zod";
import type { Clock } from "../shared/ids.js";
import { type Approval, approvalIdFor } from "../shared/incident.js";
import type { IncidentStore } from "../shared/store.js";
import { autoApprovalCard } from "../slack/auto-card.js";
import type { SlackPoster } from "./core.js";
import { ApprovalModes } from "./events.js";

/** What a compiled `auto` approval step sends (playbooks/compile.ts): no task token, nobody waits. */
export const AutoApprovalEvent = z.object({
  mode: z.literal(ApprovalModes.auto),
  incidentId: z.string().min(1),
  playbook: z.string().min(1),
  step: z.string().min(1),
  actionStep: z.string().min(1),
  title: z.string().min(1),
  plan: z.array(z.string()),
  facts: z.record(z.string(), z.unknown()),
  dryRun: z.boolean().default(false),
});
export type AutoApprovalEvent = z.infer<typeof AutoApprovalEvent>;

export interface AutoApprovalDeps {
  readonly store: IncidentStore;
  readonly slack: SlackPoster;
  readonly channel: string;
  readonly dryRun: boolean;
  readonly clock: Clock;
}

export const AUTO_APPROVER = "quell:auto";

/**
 * Record an approval given by policy and post its card, which says what Quell is doing without asking and
 * offers Undo once the action has applied. A retried call re-uses the recorded approval and its card.
 */
export async function approveByPolicy(event: AutoApprovalEvent, deps: AutoApprovalDeps) {
  const incident = await deps.store.getIncident(event.incidentId);
  if (!incident) throw new Error(`incident ${event.incidentId} does not exist`);
  const now = deps.clock().toISOString();
  const channel = incident.route?.channel ?? deps.channel;
  const approval = await deps.store.recordAutoApproval({
    approvalId: approvalIdFor(event.incidentId, event.step),
    incidentId: event.incidentId,
    step: event.step,
    status: "approved",
    policy: "auto",
    actionStep: event.actionStep,
    approvedBy: [],
    dryRun: deps.dryRun || event.dryRun || incident.shadow === true,
    title: event.title,
    plan: event.plan,
    facts: event.facts,
    approvers: [],
    requestedAt: now,
    timeoutAt: now,
    decidedBy: AUTO_APPROVER,
    decidedAt: now,
  } satisfies Approval);
  if (approval.messageTs) return { approvalId: approval.approvalId, channel: approval.channel };
  await deps.store.appendTimeline(event.incidentId, {
    kind: "approval_decided",
    summary: `approved by policy auto (reversible, low blast radius): ${event.title}${incident.shadow ? "; shadow: no card posted" : ""}`,
    actor: AUTO_APPROVER,
    detail: {
      approvalId: approval.approvalId,
      step: event.step,
      policy: "auto",
      actionStep: event.actionStep,
    },
  });
  // A shadow run tells nobody: the digest and the shadow report say what it would have done. Nor does a replay.
  if (incident.shadow || incident.rehearsal?.quiet) return { approvalId: approval.approvalId, channel };
  const card = autoApprovalCard({ incident, approval, run: undefined });
  const posted = await deps.slack.postMessage({ channel, ...card });
  await deps.store.setApprovalMessage(event.incidentId, event.step, posted.channel, posted.ts);
  await deps.store.setSlackThread(event.incidentId, posted.channel, posted.ts);
  return { approvalId: approval.approvalId, channel: posted.channel, messageTs: posted.ts };
}
