import { exclusionOf } from "../shared/exclusions.js";
import type { Clock } from "../shared/ids.js";
import { type Approval, type ApproverExclusion, parseApprovalId } from "../shared/incident.js";
import type { QuellEventPublisher } from "../shared/quell-events.js";
import type { IncidentStore } from "../shared/store.js";
import type { TaskSettler } from "../shared/task-settler.js";
import { SLACK_USER_ID } from "./ids.js";

/** SendTaskSuccess/Failure errors that mean the task is no longer waiting. */
const TASK_GONE = new Set(["TaskTimedOut", "TaskDoesNotExist", "InvalidToken"]);

export interface DecisionDeps {
  readonly store: IncidentStore;
  readonly tasks: TaskSettler;
  /** Quell events on the bus: the notifier re-renders the card from them, off the click's hot path. */
  readonly events: QuellEventPublisher;
  readonly clock: Clock;
  /** Whether a Slack user may decide this approval (its own approvers, else the configured ones). */
  readonly isAuthorised: (userId: string, approval: Approval) => Promise<boolean>;
}

export interface DecisionRequest {
  readonly approvalId: string;
  readonly decision: "approved" | "denied";
  readonly userId: string;
  readonly teamId?: string;
  readonly reason?: string;
  /** An approver's comment ("Approve with comment…"): kept on the decision, and on the vote for `two`. */
  readonly comment?: string;
  /** The card the click came from, when Slack says. */
  readonly message?: { readonly channel: string; readonly ts: string };
}

export type DecisionOutcome =
  | { kind: "decided"; approval: Approval }
  | { kind: "unknown_approval" }
  | { kind: "not_authorised"; approval: Approval }
  /** Authorised, but excluded from this decision: the subject of the alert or the requester of the run. */
  | { kind: "excluded"; approval: Approval; because: readonly ApproverExclusion["because"][] }
  | { kind: "already_final"; approval: Approval }
  /** A `two` approval took this person's vote and waits for a second, different approver. */
  | { kind: "vote_recorded"; approval: Approval }
  /** This person already voted on this `two` approval; a second vote by them counts for nothing. */
  | { kind: "already_voted"; approval: Approval };

/**
 * Decide an approval: check the clicker, win the conditional write, settle the task exactly once, record
 * it and update the card. A double click, a Slack retry or a click after expiry settles nothing.
 */
/**
 * Whether this person may decide this approval now: the approval exists, they are authorised and not excluded
 * from it (a refusal is recorded), and it is still pending. Used before opening a decision modal (deny
 * reason, approve comment), and by `decide`.
 */
export async function checkDecidable(
  request: Omit<DecisionRequest, "reason" | "comment">,
  deps: Pick<DecisionDeps, "store" | "isAuthorised">,
): Promise<
  | { kind: "decidable"; approval: Approval & { taskToken: string } }
  | Exclude<DecisionOutcome, { kind: "decided" }>
> {
  const ids = parseApprovalId(request.approvalId);
  if (!ids || !SLACK_USER_ID.test(request.userId)) return { kind: "unknown_approval" };
  const approval = await deps.store.getApproval(ids.incidentId, ids.step);
  if (!approval) return { kind: "unknown_approval" };
  if (!(await deps.isAuthorised(request.userId, approval))) {
    await deps.store.appendTimeline(ids.incidentId, {
      kind: "approval_refused",
      summary: `${request.userId} is not authorised to decide ${approval.title}; the approval stays ${approval.status}`,
      actor: request.userId,
      detail: {
        approvalId: approval.approvalId,
        attempted: request.decision,
        teamId: request.teamId ?? null,
      },
    });
    return { kind: "not_authorised", approval };
  }
  // Four eyes exclusions (functions/shared/exclusions.ts): the subject of the alert never decides on an
  // action against themselves; on a `two` approval, neither does the requester of the run. Excluded people
  // may neither approve nor deny; the approval stays as it is and the attempt is recorded.
  const because = exclusionOf(approval, request.userId);
  if (because.length > 0) {
    await deps.store.appendTimeline(ids.incidentId, {
      kind: "approval_refused",
      summary: `${request.userId} may not decide ${approval.title} (${because.join(", ")}); the approval stays ${approval.status}`,
      actor: request.userId,
      detail: {
        approvalId: approval.approvalId,
        attempted: request.decision,
        excluded: because,
        policy: approval.policy,
        teamId: request.teamId ?? null,
      },
    });
    return { kind: "excluded", approval, because };
  }
  if (approval.status !== "pending") return { kind: "already_final", approval };
  return { kind: "decidable", approval };
}

export async function decide(request: DecisionRequest, deps: DecisionDeps): Promise<DecisionOutcome> {
  const checked = await checkDecidable(request, deps);
  if (checked.kind !== "decidable") return checked;
  const { approval } = checked;
  const ids = { incidentId: approval.incidentId, step: approval.step };
  if (request.decision === "approved" && approval.policy === "two") {
    const vote = await recordVote(ids, request, approval, deps);
    if (vote) return vote;
  }

  const decided = await deps.store.decideApproval(ids.incidentId, ids.step, {
    status: request.decision,
    by: request.userId,
    ...(request.teamId ? { team: request.teamId } : {}),
    ...(request.reason ? { reason: request.reason } : {}),
    ...(request.comment ? { comment: request.comment } : {}),
  });
  if (!decided) {
    const current = await deps.store.getApproval(ids.incidentId, ids.step);
    return { kind: "already_final", approval: current ?? approval };
  }

  // The approval item now records the decision: that, not the task token, is what the action checks before it
  // runs. The timeline says `approval_decided` only once the decision took effect (announceDecision).
  const decidedAt = decided.decidedAt ?? deps.clock().toISOString();
  try {
    if (request.decision === "approved") {
      await deps.tasks.succeed(decided.taskToken, {
        decision: "approved",
        by: request.userId,
        teamId: request.teamId ?? null,
        at: decidedAt,
      });
    } else {
      await deps.tasks.fail(decided.taskToken, "ApprovalDenied", `denied by ${request.userId}`);
    }
  } catch (error) {
    const name = (error as Error).name;
    const gone = TASK_GONE.has(name);
    // Expired: the step timed out between the card's last render and this click. A token gone before the approval's
    // timeout is of a wait that ended early: its request failed and Step Functions is retrying it (a new token is
    // coming), or the playbook stopped (its ending expires the approval). Either way the decision was not
    // delivered: the approval is pending again, so a new click can settle it.
    const expired =
      name === "TaskTimedOut" || (gone && Date.parse(decided.timeoutAt) <= deps.clock().getTime());
    const corrected = await deps.store.correctApproval(ids.incidentId, ids.step, {
      from: { status: request.decision, by: request.userId },
      to: expired ? "expired" : "pending",
    });
    // An escalating approval between its two waits: the first task is gone, but the store kept the decision,
    // and the escalated wait settles its new token with it (approval-request/escalation.ts). It counts.
    if (gone && !corrected) return announceDecision(ids, request, decided, decidedAt, deps);
    // Gone otherwise: nothing waits for this decision any more. The incident's status is left to the playbook's
    // own expiry path (a timed-out wait), which records the final state; the click only says it came too late.
    await deps.store.appendTimeline(ids.incidentId, {
      kind: "approval_refused",
      summary: !expired
        ? `${request.decision} by ${request.userId} could not be delivered (${name}); the approval is pending again`
        : name === "TaskTimedOut"
          ? `${request.decision} by ${request.userId} arrived after the approval expired; it changed nothing`
          : `${request.decision} by ${request.userId} arrived after the playbook stopped waiting for it (${name}); it changed nothing`,
      actor: request.userId,
      detail: { approvalId: decided.approvalId, attempted: request.decision, error: name },
    });
    if (!expired) throw error;
    return { kind: "already_final", approval: { ...decided, status: "expired" } };
  }
  return announceDecision(ids, request, decided, decidedAt, deps);
}

/**
 * A decision that took effect: on the timeline (dated when it was recorded, so it sorts before the steps it let
 * run), the incident runs on after an approval, and the card re-renders from the event.
 */
async function announceDecision(
  ids: { incidentId: string; step: string },
  request: DecisionRequest,
  decided: Approval,
  decidedAt: string,
  deps: DecisionDeps,
): Promise<DecisionOutcome> {
  await deps.store.recordDecision({
    ...decided,
    decidedAt,
    decidedBy: request.userId,
    ...(request.teamId ? { decidedByTeam: request.teamId } : {}),
    ...(request.reason ? { reason: request.reason } : {}),
    ...(request.comment ? { comment: request.comment } : {}),
    ...(decided.messageTs || !request.message ? {} : { messageTs: request.message.ts }),
  });
  if (request.decision === "approved") await deps.store.updateIncident(ids.incidentId, { status: "running" });
  await deps.events.publish({
    incidentId: ids.incidentId,
    kind: "approval_decided",
    summary: `${request.decision} by ${request.userId}`,
    approvalStep: ids.step,
  });
  return { kind: "decided", approval: decided };
}

/**
 * Four eyes: take one vote. Returns an outcome when the decision must wait (first vote, or a repeated one);
 * undefined when this vote is the second, so the caller decides the approval.
 */
async function recordVote(
  ids: { incidentId: string; step: string },
  request: DecisionRequest,
  approval: Approval,
  deps: DecisionDeps,
): Promise<DecisionOutcome | undefined> {
  const voted = await deps.store.addApprover(ids.incidentId, ids.step, request.userId, request.comment);
  if (!voted) {
    const current = (await deps.store.getApproval(ids.incidentId, ids.step)) ?? approval;
    return current.status === "pending"
      ? { kind: "already_voted", approval: current }
      : { kind: "already_final", approval: current };
  }
  if (voted.approvedBy.length >= 2) return undefined;
  await deps.store.appendTimeline(ids.incidentId, {
    kind: "approval_vote",
    summary: `first approval by ${request.userId}; a second, different approver is needed`,
    actor: request.userId,
    detail: {
      approvalId: voted.approvalId,
      approvedBy: voted.approvedBy,
      teamId: request.teamId ?? null,
      comment: request.comment ?? null,
    },
  });
  await deps.events.publish({
    incidentId: ids.incidentId,
    kind: "approval_vote",
    summary: `first approval by ${request.userId}`,
    approvalStep: ids.step,
  });
  return { kind: "vote_recorded", approval: voted };
}
