import * as z from "zod";
import { excludedApproversFor } from "../shared/exclusions.js";
import type { Clock } from "../shared/ids.js";
import { type Approval, approvalIdFor, type Incident } from "../shared/incident.js";
import type { IncidentStore } from "../shared/store.js";
import type { TaskSettler } from "../shared/task-settler.js";
import { pendingApprovalCard } from "../slack/cards.js";
import { EscalationPlan } from "./events.js";
import { recordWouldAsk } from "./shadow.js";

/** What a compiled approval step sends (see playbooks/compile.ts). */
export const ApprovalRequestEvent = z.object({
  taskToken: z.string().min(1).max(2048),
  incidentId: z.string().min(1),
  executionId: z.string().min(1),
  playbook: z.string().min(1),
  step: z.string().min(1),
  policy: z.enum(["one", "two"]),
  /**
   * The playbook's `fourEyesWhen` read from the state: true asks for two approvers (a change to an asset the
   * inventory lists in production, or does not list). It raises the policy, never lowers it.
   */
  fourEyes: z.boolean().optional(),
  /** Approving leads to a containment: it counts against the containment budget (QUELL_CONTAINMENTS_PER_HOUR). */
  containment: z.boolean().optional(),
  /** The action step `onApprove` leads straight to, when it does: the decided card follows its run. */
  actionStep: z.string().min(1).optional(),
  /** A rehearsal execution (`/quell dry-run`): the card says so, and the actions plan without sending. */
  dryRun: z.boolean().default(false),
  title: z.string().min(1),
  plan: z.array(z.string()),
  facts: z.record(z.string(), z.unknown()),
  timeoutSeconds: z.number().int().positive(),
  approvers: z.array(z.string()).optional(),
  /** The step's escalation; the first wait then ends at `afterSeconds` (see events.ts). */
  escalation: EscalationPlan.optional(),
  /** The Slack user who asked for this run, when a human did (alert-started runs send none). */
  requestedBy: z
    .string()
    .regex(/^[UW][A-Z0-9]{2,20}$/)
    .optional(),
});
export type ApprovalRequestEvent = z.infer<typeof ApprovalRequestEvent>;

export interface SlackPoster {
  postMessage(message: {
    channel: string;
    text: string;
    blocks: unknown[];
  }): Promise<{ channel: string; ts: string }>;
}

export interface ApprovalRequestDeps {
  readonly store: IncidentStore;
  readonly slack: SlackPoster;
  readonly channel: string;
  readonly defaultApprovers: readonly string[];
  readonly dryRun: boolean;
  readonly clock: Clock;
  /** At most this many containments an hour before each further one needs a second approver; null: no budget. */
  readonly containmentsPerHour?: number | null;
  /** Where the playbooks' diagram pages are published (`<url>/<playbook>.md`); unset: cards name the file. */
  readonly playbookDocsUrl?: string | undefined;
  /** Answers a shadow run's wait itself (shadow.ts): nobody is asked, so nobody else would. */
  readonly tasks?: TaskSettler;
}

/** The playbook's diagram page under the published docs, for an http(s) base URL only (it goes in a Slack link). */
export function diagramUrlFor(playbook: string, base: string | undefined): string | undefined {
  if (!base || !/^https?:\/\/[^\s<>|]+$/.test(base) || !/^[a-z][a-z0-9-]{2,62}$/.test(playbook))
    return undefined;
  return `${base.replace(/\/+$/, "")}/${playbook}.md`;
}

/** Who asked for the rerun this approval belongs to (its execution is the rerun's), if it does. */
function rerunRequester(incident: Incident, event: ApprovalRequestEvent): string | undefined {
  const rerun = incident.rerun;
  return rerun && event.executionId.endsWith(`:${rerun.executionName}`) ? rerun.requestedBy : undefined;
}

/** The containments of the last hour and the budget, when the budget is set and spent. */
async function budgetSpent(deps: ApprovalRequestDeps) {
  const limit = deps.containmentsPerHour ?? null;
  if (limit === null) return undefined;
  const used = await deps.store.containments.lastHour();
  return used >= limit ? { used, limit } : undefined;
}

/**
 * Store the task token behind an approval id and post the card. The token never leaves DynamoDB; the
 * card's buttons carry only the approval id.
 */
export async function requestApproval(event: ApprovalRequestEvent, deps: ApprovalRequestDeps) {
  const incident = await deps.store.getIncident(event.incidentId);
  if (!incident) throw new Error(`incident ${event.incidentId} does not exist`);
  const now = deps.clock();
  // Triage's routing may send the card to the owning team and ask for more approvers, never fewer.
  const channel = incident.route?.channel ?? deps.channel;
  // Over the containment budget, a containment needs a second approver (the card says why).
  const overBudget = event.containment ? await budgetSpent(deps) : undefined;
  const policy =
    incident.route?.approvalPolicy === "two" || event.fourEyes === true || overBudget ? "two" : event.policy;
  // A rehearsal or a rerun was asked for by someone: they may not also approve it under four eyes.
  const requestedBy = event.requestedBy ?? incident.rehearsal?.requestedBy ?? rerunRequester(incident, event);
  const diagramUrl = diagramUrlFor(event.playbook, deps.playbookDocsUrl);
  const approval: Approval = {
    approvalId: approvalIdFor(event.incidentId, event.step),
    incidentId: event.incidentId,
    step: event.step,
    status: "pending",
    policy,
    approvedBy: [],
    dryRun: deps.dryRun || event.dryRun,
    title: event.title,
    plan: event.plan,
    facts: event.facts,
    approvers: event.approvers ?? deps.defaultApprovers,
    requestedAt: now.toISOString(),
    timeoutAt: new Date(now.getTime() + event.timeoutSeconds * 1000).toISOString(),
    ...(event.escalation ? { escalation: event.escalation } : {}),
    ...(event.actionStep ? { actionStep: event.actionStep } : {}),
    ...(overBudget ? { overBudget } : {}),
    ...(diagramUrl ? { diagramUrl } : {}),
    // Four eyes exclusions: the requester and the alert's subjects (which apply per policy: decide.ts).
    ...(requestedBy ? { requestedBy } : {}),
    excludedApprovers: excludedApproversFor(requestedBy, incident.subjectSlackUsers),
  };
  // A shadow playbook, or a quiet rehearsal (replay), records whom it would have asked, asks nobody and goes on.
  if (incident.shadow || incident.rehearsal?.quiet) {
    return recordWouldAsk({ approval, channel, taskToken: event.taskToken }, { ...deps, tasks: deps.tasks });
  }
  // A retried request (the first failed after posting, say, while the database throttled) gets a new task token:
  // the stored approval takes it and keeps the card already posted, so nobody sees two cards for one approval.
  const earlier = await deps.store.getApproval(event.incidentId, event.step);
  const already =
    earlier?.status === "pending" && earlier.channel && earlier.messageTs
      ? { channel: earlier.channel, ts: earlier.messageTs }
      : undefined;
  await deps.store.putApproval(
    already ? { ...approval, channel: already.channel, messageTs: already.ts } : approval,
    event.taskToken,
  );
  // Recorded before the card exists, so no click on the card can be recorded ahead of its request.
  await deps.store.updateIncident(event.incidentId, { status: "awaiting_approval" });
  if (!earlier) {
    await deps.store.appendTimeline(event.incidentId, {
      kind: "approval_requested",
      summary: `approval requested: ${event.title}`,
      detail: { approvalId: approval.approvalId, step: event.step, channel, policy },
    });
  }
  if (already) {
    await deps.store.setSlackThread(event.incidentId, already.channel, already.ts);
    return { approvalId: approval.approvalId, channel: already.channel, messageTs: already.ts };
  }
  const card = pendingApprovalCard({
    incident,
    approval,
    plan: event.plan,
    facts: event.facts,
    dryRun: approval.dryRun,
    pause: await deps.store.pause.state(),
  });
  const posted = await deps.slack.postMessage({ channel, ...card });
  await deps.store.setApprovalMessage(event.incidentId, event.step, posted.channel, posted.ts);
  await deps.store.setSlackThread(event.incidentId, posted.channel, posted.ts);
  return { approvalId: approval.approvalId, channel: posted.channel, messageTs: posted.ts };
}
