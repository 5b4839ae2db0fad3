import type { AuthoredStep } from "./define.js";

const DAY = 24 * 3600;

/** How a playbook that contains an IAM user's access key reads its alert, and what its cards say. */
export interface AccessKeyContainment {
  /** Only alerts from this source carry every detail read below (null when unknown, never missing). */
  readonly source: string;
  /** Where the alert says what kind of principal acted (`IAMUser` is the only kind with a key to deactivate). */
  readonly principalTypePath: string;
  /** The facts every card shows (read from the state, escaped when rendered). */
  readonly facts: Readonly<Record<string, string>>;
  /** The approval before the key is deactivated: who decides, and what the card says. */
  readonly approval: {
    readonly policy: "one" | "two";
    readonly title: string;
    readonly plan: readonly string[];
  };
  /** What the manual-containment cards are titled, and what this playbook's alerts are called on them. */
  readonly manualTitle: string;
  readonly mitigated: string;
}

/**
 * The steps shared by playbooks that contain a leaked or abused IAM user access key: only a long-term key
 * (`AKIA…`) of an IAM user, named by an alert from the expected source, is deactivated, after approval
 * (reversible: it can be set Active again). Temporary session keys (`ASIA…`), roles, root, an alert without a
 * user or key, or one from another source go to a human who contains it by hand and confirms.
 */
export function accessKeyContainmentSteps(spec: AccessKeyContainment): Record<string, AuthoredStep> {
  const manual = (plan: string[], facts: Readonly<Record<string, string>>): AuthoredStep => ({
    type: "approval",
    policy: "one",
    title: spec.manualTitle,
    plan: [...plan, "Deny records that nothing was contained."],
    facts: { ...facts },
    timeoutSeconds: DAY,
    onApprove: "mitigatedByHand",
  });
  return {
    fromExpectedSource: {
      type: "choice",
      choices: [{ when: { path: "$.alert.source", equals: spec.source }, next: "containable" }],
      otherwise: "confirmManualContainmentOther",
    },
    containable: {
      type: "choice",
      choices: [
        { when: { path: "$.alert.details.userName", isNull: true }, next: "confirmManualContainment" },
        { when: { path: "$.alert.details.accessKeyId", isNull: true }, next: "confirmManualContainment" },
        // Temporary credentials (an assumed role, or a user's session token) are not IAM user access keys.
        { when: { path: "$.alert.details.accessKeyId", matches: "ASIA*" }, next: "confirmManualContainment" },
        { when: { path: spec.principalTypePath, equals: "IAMUser" }, next: "approveDeactivation" },
      ],
      otherwise: "confirmManualContainment",
    },
    approveDeactivation: {
      type: "approval",
      policy: spec.approval.policy,
      title: spec.approval.title,
      plan: [...spec.approval.plan],
      facts: { ...spec.facts },
      timeoutSeconds: DAY,
      onApprove: "deactivateKey",
    },
    deactivateKey: {
      type: "action",
      action: "aws.deactivate-access-key",
      input: {
        userName: { path: "$.alert.details.userName" },
        accessKeyId: { path: "$.alert.details.accessKeyId" },
      },
      next: "mitigated",
    },
    confirmManualContainment: manual(
      [
        "Quell deactivates only long-term IAM user access keys; this alert names none (see the principal and Access key).",
        "Contain by hand: revoke the role's active sessions, or deactivate the key, in the IAM console; then Approve to record it.",
      ],
      spec.facts,
    ),
    confirmManualContainmentOther: manual(
      [
        `Quell deactivates keys only from ${spec.source} alerts; this one came from another source (see Source).`,
        "Contain by hand: deactivate the access key or revoke the sessions in the IAM console; then Approve to record it.",
      ],
      { Source: "$.alert.source", Alert: "$.alert.title" },
    ),
    mitigated: { type: "succeed", outcome: "mitigated", summary: spec.mitigated },
    mitigatedByHand: {
      type: "succeed",
      outcome: "mitigated",
      summary: "Credentials contained by hand; confirmed in Quell.",
    },
  };
}
