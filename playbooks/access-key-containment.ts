import type { AuthoredStep } from "./define.js";

const DAY = 24 * 3600;

/** How a playbook that contains an IAM user's access key reads its alert, and what its cards say. */
export interface AccessKeyContainment {
  /** Only alerts from this source carry every detail read below (null when unknown, never missing). */
  readonly source: string;
  /** Where the alert says what kind of principal acted (`IAMUser` is the only kind with a key to deactivate). */
  readonly principalTypePath: string;
  /** Where the alert names the role of an assumed-role session (its ARN, null when unknown). */
  readonly roleArnPath: string;
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
 * The steps shared by playbooks that contain a leaked or abused AWS credential, named by an alert from the expected
 * source: a long-term key (`AKIA…`) of an IAM user is deactivated after approval (undo sets it Active again);
 * temporary credentials (`ASIA…`) of an assumed role are cut off by revoking every session of the role issued
 * before now, under four eyes when the asset is (or may be) production (undo removes the deny policy). Root, a
 * user's session token, an alert without a key or role, or one from another source go to a human who contains it
 * by hand and confirms.
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
      choices: [{ when: { path: "$.alert.source", equals: spec.source }, next: "checkProtected" }],
      otherwise: "confirmManualContainmentOther",
    },
    checkProtected: {
      type: "action",
      action: "quell.check-protected",
      input: {
        userName: { path: "$.alert.details.userName" },
        accessKeyId: { path: "$.alert.details.accessKeyId" },
        principalArn: { path: "$.alert.details.principalArn" },
        roleArn: { path: spec.roleArnPath },
      },
      quiet: true,
      next: "protectedPrincipal",
    },
    protectedPrincipal: {
      type: "choice",
      choices: [
        {
          when: { path: "$.steps.checkProtected.output.protected", equals: true },
          next: "confirmProtectedByHand",
        },
      ],
      otherwise: "containable",
    },
    confirmProtectedByHand: manual(
      [
        "The principal shown below is protected (see Protected by): Quell never contains it, automatically or by approval.",
        "If it must be contained, do it by hand (its owners first); then Approve to record it.",
      ],
      {
        ...spec.facts,
        "Protected principal": "$.steps.checkProtected.output.principal",
        "Protected by": "$.steps.checkProtected.output.entry",
      },
    ),
    containable: {
      type: "choice",
      choices: [
        { when: { path: "$.alert.details.accessKeyId", isNull: true }, next: "confirmManualContainment" },
        // Temporary credentials (an assumed role, or a user's session token) are not IAM user access keys.
        { when: { path: "$.alert.details.accessKeyId", matches: "ASIA*" }, next: "assumedRole" },
        { when: { path: "$.alert.details.userName", isNull: true }, next: "confirmManualContainment" },
        { when: { path: spec.principalTypePath, equals: "IAMUser" }, next: "approveDeactivation" },
      ],
      otherwise: "confirmManualContainment",
    },
    assumedRole: {
      type: "choice",
      choices: [{ when: { path: spec.principalTypePath, equals: "AssumedRole" }, next: "roleKnown" }],
      otherwise: "confirmManualContainment",
    },
    roleKnown: {
      type: "choice",
      choices: [{ when: { path: spec.roleArnPath, isNull: true }, next: "confirmManualContainment" }],
      otherwise: "approveSessionRevocation",
    },
    approveSessionRevocation: {
      type: "approval",
      policy: "one",
      fourEyesWhen: "$.asset.treatAsProduction",
      title: "Revoke every current session of the role behind these temporary credentials",
      plan: [
        "Attach an inline policy to the role shown below denying every action to sessions issued before now (aws:TokenIssueTime): the stolen temporary key stops at once.",
        "Every current session of this role stops too, the application's own included; new sessions work, so services that assume the role again recover.",
        "Undo removes exactly this policy. Find how the credentials were taken (the instance, function or pipeline behind the session).",
      ],
      facts: { ...spec.facts, Role: spec.roleArnPath },
      timeoutSeconds: DAY,
      onApprove: "revokeSessions",
    },
    revokeSessions: {
      type: "action",
      action: "aws.revoke-role-sessions",
      input: { roleArn: { path: spec.roleArnPath }, incidentId: { path: "$.incidentId" } },
      next: "sessionsRevoked",
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
        "Quell contains an IAM user's long-term access key or an assumed role's sessions; this alert names neither (see the principal and Access key).",
        "Contain by hand: revoke the sessions, or deactivate the key, in the IAM console; then Approve to record it.",
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
    sessionsRevoked: {
      type: "succeed",
      outcome: "mitigated",
      summary: "Every session of the role issued before the containment is denied.",
    },
    mitigatedByHand: {
      type: "succeed",
      outcome: "mitigated",
      summary: "Credentials contained by hand; confirmed in Quell.",
    },
  };
}
