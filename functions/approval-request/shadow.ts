import { ConfigurationError } from "../shared/errors.js";
import type { Clock } from "../shared/ids.js";
import { type Approval, SHADOW_APPROVER } from "../shared/incident.js";
import type { IncidentStore } from "../shared/store.js";
import type { TaskSettler } from "../shared/task-settler.js";

/** What recording a would-ask needs: the store, the task settler that answers the wait, the clock. */
export interface WouldAskDeps {
  readonly store: Pick<IncidentStore, "recordAutoApproval" | "appendTimeline">;
  readonly tasks: TaskSettler | undefined;
  readonly clock: Clock;
}

/** Who would have been asked, as the timeline and the shadow report say it. */
export function wouldAskDetail(approval: Approval, channel: string) {
  return {
    approvalId: approval.approvalId,
    step: approval.step,
    title: approval.title,
    channel,
    policy: approval.policy,
    fourEyes: approval.policy === "two",
    approvers: approval.approvers,
    ...(approval.excludedApprovers?.length ? { excludedApprovers: approval.excludedApprovers } : {}),
    ...(approval.overBudget ? { overBudget: approval.overBudget } : {}),
    plan: approval.plan,
  };
}

/**
 * A shadow run reached an approval: record, in place of asking, who would have been asked (approvers, channel,
 * policy, four eyes) on the approval and the timeline, and answer the wait so the playbook goes on. No card is
 * posted and nobody is mentioned. The recorded approval lets only a plan-only run through (approval-gate.ts).
 * A retried request finds it recorded and answers its own new task token.
 */
export async function recordWouldAsk(
  request: { readonly approval: Approval; readonly channel: string; readonly taskToken: string },
  deps: WouldAskDeps,
) {
  const { approval, channel } = request;
  if (!deps.tasks) throw new ConfigurationError("a shadow approval needs a task settler to answer its wait");
  const decidedAt = deps.clock().toISOString();
  const wouldAsk: Approval = {
    ...approval,
    status: "approved",
    approvedBy: [],
    dryRun: true,
    shadow: true,
    channel,
    decidedBy: SHADOW_APPROVER,
    decidedAt,
  };
  const stored = await deps.store.recordAutoApproval(wouldAsk);
  if (!stored.shadow) {
    throw new ConfigurationError(
      `approval ${approval.approvalId} is already recorded as a real request; a shadow run does not answer it`,
    );
  }
  if (stored === wouldAsk) {
    const who = approval.policy === "two" ? "two of" : "one of";
    await deps.store.appendTimeline(approval.incidentId, {
      kind: "approval_would_ask",
      summary: `shadow: would ask ${who} ${approval.approvers.join(", ") || "nobody listed"} in ${channel}: ${approval.title}; nobody was asked`,
      actor: SHADOW_APPROVER,
      detail: wouldAskDetail(approval, channel),
    });
  }
  await deps.tasks.succeed(request.taskToken, {
    decision: "would_ask",
    by: SHADOW_APPROVER,
    teamId: null,
    at: stored.decidedAt ?? decidedAt,
  });
  // No card: nothing was posted, so there is no message.
  return { approvalId: approval.approvalId, channel, messageTs: undefined, shadow: true };
}
