import { definePlaybook } from "./define.js";

const DAY = 24 * 3600;

/** Facts every card of this playbook shows: fields the GuardDuty adapter always sets (null when unknown). */
const keyFacts = {
  "IAM user": "$.alert.details.userName",
  "Access key": "$.alert.details.accessKeyId",
  "User type": "$.alert.details.userType",
  Principal: "$.alert.details.principalArn",
  "Finding type": "$.alert.details.findingType",
  "GuardDuty severity": "$.alert.details.guardDutySeverity",
  Account: "$.alert.details.accountId",
  "Source IP": "$.alert.details.remoteIp",
  Models: "$.alert.details.modelIds",
} as const;

/**
 * LLMjacking: a GuardDuty finding (AnomalousModelInvocation, CostHarvesting) says an IAM user's access key
 * is being used to run models it should not. Ask a human, then deactivate that key (reversible: it can be set
 * Active again). Only a long-term IAM user key named by a GuardDuty finding is deactivated: temporary session
 * keys (ASIA…), roles, root and alerts without a user or key go to a human who contains it by hand.
 */
export const containLlmjacking = definePlaybook({
  name: "contain-llmjacking",
  description: "Deactivate the IAM user access key behind an LLMjacking finding, with approval.",
  handles: ["llmjacking"],
  startAt: "fromGuardDuty",
  steps: {
    // Only the GuardDuty adapter guarantees every detail read below (null when unknown, never missing).
    fromGuardDuty: {
      type: "choice",
      choices: [{ when: { path: "$.alert.source", equals: "aws.guardduty" }, next: "containable" }],
      otherwise: "confirmManualContainmentOther",
    },
    containable: {
      type: "choice",
      choices: [
        { when: { path: "$.alert.details.userName", isNull: true }, next: "confirmManualContainment" },
        { when: { path: "$.alert.details.accessKeyId", isNull: true }, next: "confirmManualContainment" },
        // Temporary credentials (an assumed role, or a user's session token) are not IAM user access keys.
        { when: { path: "$.alert.details.accessKeyId", matches: "ASIA*" }, next: "confirmManualContainment" },
        { when: { path: "$.alert.details.userType", equals: "IAMUser" }, next: "approveDeactivation" },
      ],
      otherwise: "confirmManualContainment",
    },
    approveDeactivation: {
      type: "approval",
      policy: "one",
      title: "Deactivate the IAM access key used for LLMjacking",
      plan: [
        "Set the IAM user's access key shown below to Inactive (iam:UpdateAccessKey): every call signed with it fails at once.",
        "The key is not deleted: it can be set Active again (Quell's undo, or the IAM console).",
        "Anything legitimate using this key stops too: rotate it for its owner afterwards.",
      ],
      facts: keyFacts,
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
    confirmManualContainment: {
      type: "approval",
      policy: "one",
      title: "LLMjacking: contain these credentials by hand",
      plan: [
        "Quell deactivates only long-term IAM user access keys; this finding names none (see User type and Access key).",
        "Contain by hand: revoke the role's active sessions, or deactivate the key, in the IAM console; then Approve to record it.",
        "Deny records that nothing was contained.",
      ],
      facts: keyFacts,
      timeoutSeconds: DAY,
      onApprove: "mitigatedByHand",
    },
    confirmManualContainmentOther: {
      type: "approval",
      policy: "one",
      title: "LLMjacking: contain these credentials by hand",
      plan: [
        "Quell deactivates keys only from GuardDuty findings; this alert came from another source (see Source).",
        "Contain by hand: deactivate the access key or revoke the sessions in the IAM console; then Approve to record it.",
        "Deny records that nothing was contained.",
      ],
      facts: {
        Source: "$.alert.source",
        Alert: "$.alert.title",
      },
      timeoutSeconds: DAY,
      onApprove: "mitigatedByHand",
    },
    mitigated: {
      type: "succeed",
      outcome: "mitigated",
      summary: "IAM access key deactivated.",
    },
    mitigatedByHand: {
      type: "succeed",
      outcome: "mitigated",
      summary: "Credentials contained by hand; confirmed in Quell.",
    },
  },
});
