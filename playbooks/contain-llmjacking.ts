import { accessKeyContainmentSteps } from "./access-key-containment.js";
import { definePlaybook } from "./define.js";

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
 * LLMjacking: a GuardDuty finding (AnomalousModelInvocation, CostHarvesting) says AWS credentials are being used
 * to run models they should not. An IAM user's long-term key is deactivated after approval (undo sets it Active
 * again); an assumed role's temporary key (ASIA…, stolen from an instance or a pipeline) is cut off by revoking the
 * role's sessions issued before now, under four eyes in production. Root, a user's session token and alerts without
 * a key or role go to a human who contains it by hand.
 */
export const containLlmjacking = definePlaybook({
  name: "contain-llmjacking",
  description: "Deactivate the IAM user access key behind an LLMjacking finding, with approval.",
  handles: ["llmjacking"],
  startAt: "fromExpectedSource",
  steps: accessKeyContainmentSteps({
    source: "aws.guardduty",
    roleArnPath: "$.alert.details.principalArn",
    principalTypePath: "$.alert.details.userType",
    facts: keyFacts,
    approval: {
      policy: "one",
      title: "Deactivate the IAM access key used for LLMjacking",
      plan: [
        "Set the IAM user's access key shown below to Inactive (iam:UpdateAccessKey): every call signed with it fails at once.",
        "The key is not deleted: it can be set Active again (Quell's undo, or the IAM console).",
        "Anything legitimate using this key stops too: rotate it for its owner afterwards.",
      ],
    },
    manualTitle: "LLMjacking: contain these credentials by hand",
    mitigated: "IAM access key deactivated.",
  }),
});
