import { defineTriageConfig } from "../functions/triage/config.js";

/**
 * Triage configuration: the AI asset inventory, correlation, routing, suppression, rate limits and who may post
 * GitHub alerts. Validated when loaded (a bad field fails with its path). The inventory and the GitHub allow-list
 * below describe the examples used by the demo and the sample alerts: replace them with yours. Locally, `QUELL_TRIAGE_CONFIG_FILE` may point at a JSON
 * file with the same shape instead.
 */
export const triageConfig = defineTriageConfig({
  inventory: [
    {
      kind: "app",
      id: "support-chat",
      name: "Customer support assistant",
      ownerTeam: "support-platform",
      environment: "production",
      criticality: "high",
    },
    {
      kind: "guardrail",
      id: "q7x2k9m4w1ba",
      name: "support-chat input and output guardrail",
      ownerTeam: "support-platform",
      environment: "production",
      criticality: "critical",
    },
    {
      kind: "model",
      id: "anthropic.claude-3-5-sonnet-20240620-v1:0",
      ownerTeam: "ml-platform",
      environment: "production",
      criticality: "high",
    },
    {
      kind: "app",
      id: "hr-assistant",
      ownerTeam: "people-tools",
      environment: "production",
      criticality: "medium",
    },
    {
      kind: "app",
      id: "code-review-bot",
      ownerTeam: "developer-experience",
      environment: "staging",
      criticality: "low",
    },
  ],
  correlation: { windowSeconds: 3600, entityKinds: ["access_key", "principal", "end_user"] },
  routes: [
    {
      // CloudTrail model enumeration (ListFoundationModels and the like) from a key with no baseline is a
      // precursor, not proof: it opens an incident but starts nothing. A GuardDuty LLMjacking finding for the
      // same key joins that incident (correlation) and starts contain-llmjacking there.
      id: "enumeration-precursor-watch",
      match: { sources: ["aws.bedrock"], types: ["llmjacking"] },
      playbook: null,
    },
    {
      // Abuse through the LLM gateway: throttle-abuser blocks the end user or throttles the gateway key the
      // alert names, after approval, and asks a human to act by hand when it names neither.
      id: "gateway-abuse",
      match: { types: ["jailbreak", "model_extraction", "token_spend_anomaly"] },
      playbook: "throttle-abuser",
    },
  ],
  suppressions: [],
  rateLimit: { startsPerPlaybook: 200, windowSeconds: 60 },
  // Who may post GitHub alerts: the sample alerts' organisation. Replace it with yours (organisations,
  // repositories as owner/name, or GitHub App installation ids); an empty list refuses every GitHub delivery.
  github: { allow: { organizations: ["example-corp"] } },
});
