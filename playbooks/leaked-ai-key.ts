import { definePlaybook } from "./define.js";

const DAY = 24 * 3600;

/** The GitHub alert this playbook works on, as action input. */
const githubAlert = {
  repository: { path: "$.alert.details.repository" },
  alertNumber: { path: "$.alert.details.alertNumber" },
} as const;

/** Facts every card of this playbook shows. */
const alertFacts = {
  Repository: "$.alert.details.repository",
  "GitHub alert": "$.alert.details.htmlUrl",
  "Secret type": "$.alert.details.secretTypeDisplayName",
} as const;

/**
 * A provider API key leaked to a repository. Work as a responder would: read the alert from GitHub, find
 * the exact key at OpenAI, ask a human, revoke it, and close the GitHub alert as revoked. When no single
 * key matches, Quell does not guess: a human revokes by hand and confirms.
 */
export const leakedAiKey = definePlaybook({
  name: "leaked-ai-key",
  description: "Revoke a leaked AI provider API key found by secret scanning, with approval.",
  handles: ["leaked_api_key"],
  startAt: "keyStillValid",
  steps: {
    // GitHub checks a leaked key with its provider: one already inactive has nothing left to revoke, so Quell
    // closes the alert as revoked on its own (reopening it is the undo) instead of paging someone.
    keyStillValid: {
      type: "choice",
      choices: [
        { when: { path: "$.alert.details.validity", equals: "inactive" }, next: "closeInactiveKeyAlert" },
      ],
      otherwise: "locateKey",
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
    locateKey: {
      type: "action",
      action: "openai.find-leaked-key",
      input: {
        repository: { path: "$.alert.details.repository" },
        alertNumber: { path: "$.alert.details.alertNumber" },
      },
      next: "uniqueMatch",
    },
    uniqueMatch: {
      type: "choice",
      choices: [{ when: { path: "$.steps.locateKey.output.matchCount", equals: 1 }, next: "approveRevoke" }],
      otherwise: "confirmManualRevoke",
    },
    approveRevoke: {
      type: "approval",
      policy: "one",
      title: "Revoke the leaked OpenAI key",
      plan: [
        "Delete the OpenAI project API key shown below (it stops working at once and cannot be restored).",
        "Resolve the GitHub secret-scanning alert as revoked.",
      ],
      facts: {
        ...alertFacts,
        "OpenAI project": "$.steps.locateKey.output.match.projectName",
        Key: "$.steps.locateKey.output.match.redactedValue",
        "Key name": "$.steps.locateKey.output.match.keyName",
      },
      timeoutSeconds: DAY,
      onApprove: "revokeKey",
    },
    revokeKey: {
      type: "action",
      action: "openai.revoke-project-key",
      input: {
        projectId: { path: "$.steps.locateKey.output.match.projectId" },
        keyId: { path: "$.steps.locateKey.output.match.keyId" },
      },
      next: "resolveAlert",
    },
    resolveAlert: {
      type: "action",
      action: "github.resolve-secret-scanning-alert",
      input: {
        ...githubAlert,
        resolution: "revoked",
        comment: "Key revoked by Quell after approval.",
      },
      next: "mitigated",
    },
    confirmManualRevoke: {
      type: "approval",
      policy: "one",
      title: "No single OpenAI key matches: revoke it by hand",
      plan: [
        "Quell found no unique OpenAI key for this secret (see Matches) and will not guess.",
        "Revoke the key by hand in the OpenAI dashboard, then Approve: Quell resolves the GitHub alert as revoked.",
        "Deny leaves the GitHub alert open.",
      ],
      facts: {
        ...alertFacts,
        Matches: "$.steps.locateKey.output.matchCount",
      },
      timeoutSeconds: DAY,
      onApprove: "resolveAlertAfterManualRevoke",
    },
    resolveAlertAfterManualRevoke: {
      type: "action",
      action: "github.resolve-secret-scanning-alert",
      input: {
        ...githubAlert,
        resolution: "revoked",
        comment: "Key revoked by hand; confirmed in Quell.",
      },
      next: "mitigatedByHand",
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
  },
});
