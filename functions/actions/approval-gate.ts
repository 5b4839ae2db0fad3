import { ApprovalNotRecorded, TransientError } from "../shared/errors.js";
import { type Approval, approvalIdFor, SHADOW_APPROVER } from "../shared/incident.js";

/**
 * What the gate reads, the stored approval, read consistently (IncidentStore.getApproval), and writes: the
 * decision on the timeline when the click that made it could not (IncidentStore.recordDecision).
 */
export interface ApprovalReader {
  getApproval(incidentId: string, step: string): Promise<Approval | undefined>;
  recordDecision(approval: Approval): Promise<void>;
}

/** What an action task says about the approval in front of it (compiled by playbooks/compile.ts). */
export interface ApprovalGate {
  readonly incidentId: string;
  /** The approval step whose `onApprove` this action step is; absent for steps behind no approval. */
  readonly approvalStep?: string | undefined;
  /** The step runs under the `auto` policy: its stored approval must be one given by policy. */
  readonly approval?: "auto" | undefined;
  /**
   * This run plans its writes and sends none (deployment or execution dry run, or a shadow incident). Only such a
   * run may go ahead on an approval a shadow run recorded as would-ask; absent means it would send.
   */
  readonly planOnly?: boolean | undefined;
}

/** The recorded decision a gated run went ahead on: kept with each write it journals. */
export interface GivenApproval {
  readonly approvalId: string;
  readonly policy: Approval["policy"];
  readonly decidedBy: string | null;
  readonly approvedBy: readonly string[];
  readonly decidedAt: string | null;
}

/**
 * Refuse to act on a task token alone: an action step behind an approval runs only when the store records that
 * approval as given, the decision Slack's click wrote before it settled the task. A human approval must be
 * `approved` with its approver recorded (two distinct approvers for `two`); an `auto` step needs its stored
 * approval by policy. Throws ApprovalNotRecorded, saying what was found, before anything is planned or sent.
 * Returns the approval the run goes ahead on, or undefined for a step behind no approval.
 */
export async function requireRecordedApproval(
  gate: ApprovalGate,
  reader: ApprovalReader,
  action: string,
): Promise<GivenApproval | undefined> {
  if (!gate.approvalStep) {
    if (gate.approval === "auto") {
      throw new ApprovalNotRecorded(
        `${action} was asked to run under policy auto without naming the approval that allows it; nothing was sent`,
      );
    }
    return undefined;
  }
  const approvalId = approvalIdFor(gate.incidentId, gate.approvalStep);
  const approval = await reader.getApproval(gate.incidentId, gate.approvalStep).catch((error: unknown) => {
    // Nothing was planned or sent: Step Functions retries the step (TransientError) instead of failing it.
    throw new TransientError(`${action} could not read approval ${approvalId}: ${String(error)}`, {
      cause: error,
    });
  });
  const problem = problemWith(approval, gate.approval === "auto", gate.planOnly === true);
  if (problem || !approval) {
    throw new ApprovalNotRecorded(
      `${action} refused to run: approval ${approvalId} ${problem}; nothing was sent`,
    );
  }
  if (approval.policy !== "auto" && !isShadowApproval(approval)) {
    // The click that decided writes `approval_decided` once its decision took effect; if that write failed (the
    // database throttled just then), the timeline gets it here, before anything is sent. Written already: no-op.
    await reader.recordDecision(approval).catch((error: unknown) => {
      throw new TransientError(
        `${action} could not record approval ${approvalId} on the timeline: ${String(error)}`,
        {
          cause: error,
        },
      );
    });
  }
  return {
    approvalId,
    policy: approval.policy,
    decidedBy: approval.decidedBy ?? null,
    approvedBy: approval.approvedBy,
    decidedAt: approval.decidedAt ?? null,
  };
}

/** An approval a shadow run recorded in place of asking: by its mark, or by its decider's name. */
const isShadowApproval = (approval: Approval) =>
  approval.shadow === true ||
  approval.decidedBy === SHADOW_APPROVER ||
  approval.approvedBy.includes(SHADOW_APPROVER);

/** Why this stored approval does not allow the step to run, or undefined when it does. */
function problemWith(approval: Approval | undefined, auto: boolean, planOnly: boolean): string | undefined {
  if (!approval) return "is not recorded";
  // Nobody was asked: it stands in for a decision only where nothing is sent, whatever else it claims.
  if (isShadowApproval(approval)) {
    if (!planOnly) return "was recorded by a shadow run (nobody was asked), and this run would send writes";
    return approval.status === "approved" ? undefined : `is ${approval.status}, not approved`;
  }
  if (approval.status !== "approved") return `is ${approval.status}, not approved`;
  if (auto)
    return approval.policy === "auto" ? undefined : `is a ${approval.policy} approval, not policy auto`;
  if (approval.policy === "auto") return "was given by policy auto, but this step needs a human decision";
  if (!approval.decidedBy) return "records no approver";
  const approvers = new Set(approval.approvedBy);
  if (approval.policy === "two" && approvers.size < 2) {
    return `records ${approvers.size} distinct approver(s); four eyes needs two`;
  }
  return undefined;
}
