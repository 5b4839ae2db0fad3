import { definePlaybook } from "./define.js";
import {
  alertFacts,
  confirmByHandSteps,
  genericAlertSide,
  githubAlert,
  type KeyPath,
  keyPathIds,
  keyPathSteps,
} from "./leaked-key-paths.js";

/** GitHub secret types Quell disables itself, and the step each starts at; any other type goes to a human. */
const PROVIDER_PATHS = [
  ["openai_api_key", "locateKey"],
  ["anthropic_api_key", "locateAnthropicKey"],
  ["anthropic_admin_api_key", "confirmAnthropicAdminKeyByHand"],
  // GitHub reports an AWS key pair's id, a temporary key id or a session token: the finder tells them apart.
  ["aws_access_key_id", "locateAwsKey"],
  ["aws_secret_access_key", "locateAwsKey"],
  ["aws_temporary_access_key_id", "locateAwsKey"],
  ["aws_session_token", "locateAwsKey"],
  ["aws_api_key", "locateBedrockKey"],
] as const;

/** How an Anthropic key is found and deactivated, from a GitHub alert or a generic one naming the key. */
const anthropicPath = {
  find: "anthropic.find-leaked-key",
  disable: "anthropic.deactivate-key",
  disableInput: { keyId: "match.keyId" },
  approval: {
    title: "Deactivate the leaked Anthropic key",
    plan: [
      "Set the Anthropic API key shown below inactive (Admin API): every request made with it fails at once.",
      "The Admin API cannot delete keys: undo (or the Console) sets it active again.",
    ],
  },
  facts: {
    Key: "match.partialKeyHint",
    "Key name": "match.keyName",
    Workspace: "match.workspaceId",
    "Status now": "match.status",
  },
  byHand: {
    title: "No single Anthropic key matches: deactivate it by hand",
    plan: [
      "Quell found no unique Anthropic API key for this secret (see Matches) and will not guess.",
      "Deactivate the key by hand in the Claude Console (Settings, API keys).",
    ],
    facts: { Matches: "matchCount" },
  },
} as const satisfies Omit<KeyPath, "ids" | "next">;

/** How an IAM user's access key is found and deactivated, from a GitHub alert or a generic one naming the key. */
const awsKeyPath = {
  find: "aws.find-leaked-access-key",
  disable: "aws.deactivate-access-key",
  disableInput: { userName: "match.userName", accessKeyId: "match.accessKeyId" },
  approval: {
    title: "Deactivate the leaked AWS access key",
    plan: [
      "Set the IAM user's access key shown below to Inactive (iam:UpdateAccessKey): every call signed with it fails at once.",
      "The key is not deleted: undo (or the IAM console) sets it Active again. Rotate it for its owner afterwards.",
    ],
  },
  facts: { "IAM user": "match.userName", "Access key": "match.accessKeyId" },
  byHand: {
    title: "AWS key not deactivated: contain it by hand",
    plan: [
      "Quell deactivates only long-term access keys of an IAM user of this account, and this one is not (see Why).",
      "Contain it by hand: deactivate the key in its account, or revoke the role's sessions for a temporary key.",
    ],
    facts: { "Access key": "accessKeyId", Kind: "keyKind", Why: "reason" },
  },
} as const satisfies Omit<KeyPath, "ids" | "next">;

/**
 * A provider API key leaked to a repository. Work as a responder would: read the alert from GitHub, find the exact
 * key at its provider (chosen by GitHub's secret type: OpenAI, Anthropic, an AWS access key, an Amazon Bedrock API
 * key), ask a human, disable it, and close the GitHub alert as revoked. When no single key matches, or the provider
 * is one Quell cannot reach, Quell does not guess and never asks another provider: a human disables it by hand and
 * confirms, and the card says why. A generic emitter's alert that names the key itself (an Anthropic key id, an AWS
 * access key id) takes the same Anthropic and AWS paths; any other source goes to a human.
 */
export const leakedAiKey = definePlaybook({
  name: "leaked-ai-key",
  description: "Disable a leaked AI provider API key found by secret scanning, with approval.",
  handles: ["leaked_api_key"],
  startAt: "fromGitHub",
  steps: {
    fromGitHub: {
      type: "choice",
      choices: [
        { when: { path: "$.alert.source", equals: "github" }, next: "keyStillValid" },
        { when: { path: "$.alert.source", equals: "generic" }, next: "genericProvider" },
      ],
      otherwise: "confirmOtherSourceByHand",
    },
    // A generic emitter names the key itself (principal id) and its provider: the same paths, found by id.
    genericProvider: {
      type: "choice",
      choices: [
        {
          when: { path: "$.alert.details.principalProvider", equals: "anthropic" },
          next: "locateGenericAnthropicKey",
        },
        { when: { path: "$.alert.details.principalProvider", equals: "aws" }, next: "locateGenericAwsKey" },
      ],
      otherwise: "confirmOtherSourceByHand",
    },
    // GitHub checks a leaked key with its provider: one already inactive has nothing left to revoke, so Quell
    // closes the alert as revoked on its own (reopening it is the undo) instead of paging someone.
    keyStillValid: {
      type: "choice",
      choices: [
        { when: { path: "$.alert.details.validity", equals: "inactive" }, next: "closeInactiveKeyAlert" },
      ],
      otherwise: "whichProvider",
    },
    whichProvider: {
      type: "choice",
      choices: PROVIDER_PATHS.map(([secretType, next]) => ({
        when: { path: "$.alert.details.secretType", equals: secretType },
        next,
      })),
      otherwise: "confirmUnsupportedKeyByHand",
    },
    closeInactiveKeyAlert: {
      type: "approval",
      policy: "auto",
      title: "Close the alert of a leaked key that no longer works",
      plan: [
        "GitHub reports this key inactive: there is nothing left to revoke.",
        "Resolve the GitHub secret-scanning alert as revoked. Undo reopens it.",
      ],
      facts: { ...alertFacts, Validity: "$.alert.details.validity" },
      onApprove: "resolveInactiveKeyAlert",
    },
    resolveInactiveKeyAlert: {
      type: "action",
      action: "github.resolve-secret-scanning-alert",
      input: {
        ...githubAlert,
        resolution: "revoked",
        comment: "GitHub reports the key inactive; closed by Quell (policy auto).",
      },
      next: "inactiveKeyClosed",
    },
    inactiveKeyClosed: {
      type: "succeed",
      outcome: "resolved",
      summary: "The leaked key was already inactive; GitHub alert closed as revoked.",
    },
    ...keyPathSteps({
      ids: {
        ...keyPathIds("OpenAi"),
        locate: "locateKey",
        found: "uniqueMatch",
        approve: "approveRevoke",
        disable: "revokeKey",
        confirmByHand: "confirmManualRevoke",
        resolveByHand: "resolveAlertAfterManualRevoke",
      },
      find: "openai.find-leaked-key",
      disable: "openai.revoke-project-key",
      disableInput: { projectId: "match.projectId", keyId: "match.keyId" },
      approval: {
        title: "Revoke the leaked OpenAI key",
        plan: [
          "Delete the OpenAI project API key shown below (it stops working at once and cannot be restored).",
        ],
      },
      facts: {
        "OpenAI project": "match.projectName",
        Key: "match.redactedValue",
        "Key name": "match.keyName",
      },
      byHand: {
        title: "No single OpenAI key matches: revoke it by hand",
        plan: [
          "Quell found no unique OpenAI key for this secret (see Matches) and will not guess.",
          "Revoke the key by hand in the OpenAI dashboard.",
        ],
        facts: { Matches: "matchCount" },
      },
      next: "resolveAlert",
    }),
    ...keyPathSteps({ ...anthropicPath, ids: keyPathIds("Anthropic"), next: "resolveAlert" }),
    ...confirmByHandSteps(
      {
        confirmByHand: "confirmAnthropicAdminKeyByHand",
        resolveByHand: "resolveAlertAfterAnthropicAdminKeyByHand",
      },
      "An Anthropic admin key leaked: delete it by hand",
      [
        "Admin keys cannot be disabled through Anthropic's Admin API, so Quell cannot do it.",
        "An organisation admin deletes this admin key in the Claude Console (Settings, Admin keys) now: it can manage every key and member.",
      ],
      { ...alertFacts },
    ),
    ...keyPathSteps({ ...awsKeyPath, ids: keyPathIds("Aws"), next: "resolveAlert" }),
    ...keyPathSteps({
      ids: keyPathIds("Bedrock"),
      find: "aws.find-bedrock-api-key",
      disable: "aws.deactivate-bedrock-api-key",
      disableInput: { userName: "match.userName", credentialId: "match.credentialId" },
      approval: {
        title: "Deactivate the leaked Amazon Bedrock API key",
        plan: [
          "Set the Bedrock long-term API key shown below to Inactive (iam:UpdateServiceSpecificCredential): Bedrock refuses it at once.",
          "The key is not deleted: undo (or the IAM console) sets it Active again.",
        ],
      },
      facts: {
        "IAM user": "match.userName",
        "Credential id": "match.credentialId",
        "Key alias": "match.alias",
        "Status now": "match.status",
      },
      byHand: {
        title: "No single Bedrock API key matches: contain it by hand",
        plan: [
          "Quell found no unique Bedrock long-term API key for this secret (see Matches and Kind) and will not guess.",
          "A short-term key lasts at most 12 hours: deny Bedrock to the identity that made it. Otherwise deactivate the key in the IAM console.",
        ],
        facts: { Matches: "matchCount", Kind: "keyKind", "Key alias": "alias" },
      },
      next: "resolveAlert",
    }),
    ...confirmByHandSteps(
      {
        confirmByHand: "confirmUnsupportedKeyByHand",
        resolveByHand: "resolveAlertAfterUnsupportedKeyByHand",
      },
      "Quell cannot disable this kind of key: revoke it by hand",
      [
        "Quell disables OpenAI, Anthropic, AWS access key and Bedrock API keys; this secret type is none of them (see Secret type).",
        "Revoke or rotate the key by hand at its provider.",
      ],
      { ...alertFacts, Provider: "$.alert.details.provider" },
    ),
    ...keyPathSteps({
      ...anthropicPath,
      ids: keyPathIds("GenericAnthropic"),
      alert: genericAlertSide({ keyId: { path: "$.alert.details.principalId" } }),
      next: "disabledOutsideGitHub",
    }),
    ...keyPathSteps({
      ...awsKeyPath,
      ids: keyPathIds("GenericAws"),
      alert: genericAlertSide({ accessKeyId: { path: "$.alert.details.principalId" } }),
      next: "disabledOutsideGitHub",
    }),
    resolveAlert: {
      type: "action",
      action: "github.resolve-secret-scanning-alert",
      input: { ...githubAlert, resolution: "revoked", comment: "Key revoked by Quell after approval." },
      next: "mitigated",
    },
    confirmOtherSourceByHand: {
      type: "approval",
      policy: "one",
      title: "A leaked key reported outside GitHub: revoke it by hand",
      plan: [
        "Quell disables leaked keys named by GitHub secret-scanning alerts, or by generic alerts naming an Anthropic key id or an AWS access key id; this alert is neither (see Source).",
        "Revoke or rotate the key by hand at its provider, then Approve to record it. Deny records that nothing was revoked.",
      ],
      facts: { Source: "$.alert.source", Alert: "$.alert.title", Severity: "$.alert.severity" },
      timeoutSeconds: 24 * 3600,
      onApprove: "revokedByHandElsewhere",
    },
    mitigated: {
      type: "succeed",
      outcome: "mitigated",
      summary: "Leaked key revoked and GitHub alert resolved.",
    },
    mitigatedByHand: {
      type: "succeed",
      outcome: "mitigated",
      summary: "Key revoked by hand; GitHub alert resolved.",
    },
    disabledOutsideGitHub: {
      type: "succeed",
      outcome: "mitigated",
      summary: "Leaked key disabled at its provider.",
    },
    revokedByHandElsewhere: {
      type: "succeed",
      outcome: "mitigated",
      summary: "Key revoked by hand; confirmed in Quell.",
    },
  },
});
