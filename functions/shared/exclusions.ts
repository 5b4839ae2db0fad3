import type { Approval, ApproverExclusion } from "./incident.js";

/**
 * Who may not decide an approval (four eyes: "neither approver may be the requester or the subject of the
 * alert"). The exclusions are recorded on the approval when it is requested; which of them apply depends on
 * the policy:
 *
 * - `two` (four eyes): the requester of the run and the subject of the alert may not decide at all, neither
 *   approve nor deny. A deny by the subject would let them block the containment of their own identity, and
 *   keeping one rule ("you take no part in this decision") is clearer than a rule per button.
 * - `one`: only the subject is excluded. Self-approval of an action against yourself is the classic abuse
 *   (and a deny by the subject would block it); a requester deciding their own request alone is what `one`
 *   means, so a requester is not excluded there.
 */
export function excludedApproversFor(
  requestedBy: string | undefined,
  subjectSlackUsers: readonly string[] | undefined,
): ApproverExclusion[] {
  return [
    ...(requestedBy ? [{ userId: requestedBy, because: "requester" as const }] : []),
    ...[...new Set(subjectSlackUsers ?? [])].map((userId) => ({ userId, because: "subject" as const })),
  ];
}

/** The exclusions that apply under the approval's policy (see above). */
export function applicableExclusions(
  approval: Pick<Approval, "policy" | "excludedApprovers">,
): ApproverExclusion[] {
  return (approval.excludedApprovers ?? []).filter(
    (exclusion) => approval.policy === "two" || exclusion.because === "subject",
  );
}

/** Why this person may not decide this approval; empty when they may. */
export function exclusionOf(
  approval: Pick<Approval, "policy" | "excludedApprovers">,
  userId: string,
): ApproverExclusion["because"][] {
  return applicableExclusions(approval)
    .filter((exclusion) => exclusion.userId === userId)
    .map((exclusion) => exclusion.because);
}
