import { accessKeyContainmentSteps } from "./access-key-containment.js";
import { definePlaybook } from "./define.js";

/**
 * Guardrail tampering: CloudTrail shows a Bedrock guardrail updated or deleted by a principal that is not on
 * the guardrail-admin allow-list. Whoever can weaken a model's safety controls can then abuse the model
 * unseen, so the key that made the change is deactivated, under four eyes (an insider may be behind it, and
 * the person named by the alert may not decide). The guardrail's configuration is for its owners to review:
 * Quell does not guess what it should be.
 */
export const containGuardrailTampering = definePlaybook({
  name: "contain-guardrail-tampering",
  description:
    "Deactivate the IAM user access key that changed a Bedrock guardrail, with four-eyes approval.",
  handles: ["guardrail_tampering"],
  startAt: "fromExpectedSource",
  steps: accessKeyContainmentSteps({
    source: "aws.bedrock",
    roleArnPath: "$.alert.details.roleArn",
    principalTypePath: "$.alert.details.principalType",
    facts: {
      Change: "$.alert.details.eventName",
      Guardrail: "$.alert.details.guardrailId",
      "Guardrail version": "$.alert.details.guardrailVersion",
      "Prompt-attack filter (input)": "$.alert.details.promptAttackInputStrength",
      Succeeded: "$.alert.details.succeeded",
      "IAM user": "$.alert.details.userName",
      "Access key": "$.alert.details.accessKeyId",
      Principal: "$.alert.details.principalArn",
      Account: "$.alert.details.accountId",
      "Source IP": "$.alert.details.sourceIPAddress",
    },
    approval: {
      policy: "two",
      title: "Deactivate the access key that changed a guardrail",
      plan: [
        "Set the IAM user's access key shown below to Inactive (iam:UpdateAccessKey): it can change no guardrail, and call nothing else, any more.",
        "The key is not deleted: it can be set Active again (Quell's undo, or the IAM console).",
        "The guardrail keeps the configuration it was given: its owners review and restore it.",
      ],
    },
    manualTitle: "Guardrail changed outside the allow-list: contain these credentials by hand",
    mitigated:
      "The access key that changed the guardrail is deactivated; the guardrail awaits its owners' review.",
  }),
});
