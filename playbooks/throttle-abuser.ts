import type { AuthoredStep } from "./define.js";
import { definePlaybook } from "./define.js";

const DAY = 24 * 3600;

/** The ceilings a throttled gateway key gets: enough for a person to keep working, far too few to harvest. */
export const THROTTLED_LIMITS = { rpmLimit: 10, tpmLimit: 20_000 } as const;

/** The inline-detector routes: their alerts name the principal in the same details as the generic route. */
const DETECTOR_SOURCES = ["prompt-shields", "lakera", "llm-guard", "bedrock-guardrails"] as const;

/** What the card says, on every source, before blocking an end user. */
const blockPlan = [
  "Block this end user at the LiteLLM gateway (POST /customer/block): calls that carry this id as `user` are refused, in every app behind the gateway. Nothing changes if they are already blocked.",
  "Nobody else is affected: other users and the app's own gateway key keep working.",
  "LiteLLM refuses blocked end users only where its blocked-user check is enabled (README: throttle-abuser).",
  "Reversible: Undo unblocks them (/quell undo; the thread names the run).",
];

/** What the card says, on every source, before throttling a gateway key. */
const throttlePlan = [
  `Lower this LiteLLM gateway key's limits to at most ${THROTTLED_LIMITS.rpmLimit} requests and ${THROTTLED_LIMITS.tpmLimit.toLocaleString("en-US")} tokens per minute (POST /key/update); a lower limit it already has stays.`,
  "The key keeps working, slowly: every app or tenant that shares it slows down too.",
  "Reversible: Undo puts the previous limits back, unless someone changed them since (/quell undo; the thread names the run).",
];

/** Facts every card of this playbook shows; escaped when rendered (alert text is hostile). */
const alertFacts = {
  Alert: "$.alert.title",
  Type: "$.alert.type",
  Severity: "$.alert.severity",
} as const;

/**
 * The steps for one family of sources whose alerts name who did it as `details.principalType`, `principalId`
 * and `principalProvider` (the generic route and the inline detectors), each family with the details that name
 * its app. An end user is blocked; a gateway API key (provider `litellm`, or `app` for the app's own gateway) is
 * throttled; any other principal goes to a human.
 */
function principalSteps(family: "generic" | "detector", sourceFacts: Record<string, string>) {
  const id = (name: string) => `${family}${name}`;
  const approval = (title: string, plan: string[], subject: string, onApprove: string): AuthoredStep => ({
    type: "approval",
    policy: "one",
    title,
    plan,
    facts: {
      [subject]: "$.alert.details.principalId",
      "Identity provider": "$.alert.details.principalProvider",
      ...sourceFacts,
      ...alertFacts,
    },
    timeoutSeconds: DAY,
    onApprove,
  });
  return {
    [id("Principal")]: {
      type: "choice",
      choices: [
        { when: { path: "$.alert.details.principalType", equals: "end_user" }, next: id("ApproveBlock") },
        { when: { path: "$.alert.details.principalType", equals: "api_key" }, next: id("KeyIssuer") },
      ],
      otherwise: "reviewByHand",
    },
    [id("KeyIssuer")]: {
      type: "choice",
      choices: ["litellm", "app"].map((provider) => ({
        when: { path: "$.alert.details.principalProvider", equals: provider },
        next: id("ApproveThrottle"),
      })),
      otherwise: "reviewByHand",
    },
    [id("ApproveBlock")]: approval(
      "Block the end user at the LLM gateway",
      blockPlan,
      "End user",
      id("BlockEndUser"),
    ),
    [id("BlockEndUser")]: {
      type: "action",
      action: "litellm.block-end-user",
      input: { endUserId: { path: "$.alert.details.principalId" } },
      next: "endUserBlocked",
    },
    [id("ApproveThrottle")]: approval(
      "Throttle the LLM gateway key",
      throttlePlan,
      "Gateway key",
      id("ThrottleKey"),
    ),
    [id("ThrottleKey")]: {
      type: "action",
      action: "litellm.throttle-virtual-key",
      input: { key: { path: "$.alert.details.principalId" }, ...THROTTLED_LIMITS },
      next: "keyThrottled",
    },
  } satisfies Record<string, AuthoredStep>;
}

/**
 * Abuse of an AI app through its LLM gateway (a LiteLLM proxy): jailbreak attempts, model extraction, token
 * spend far above normal. When the alert names the end user, ask a human, then block that end user at the
 * gateway; when it names the gateway key, ask, then throttle the key. Both are reversible. An alert that names
 * neither (a CloudWatch spend alarm, an ops tool's metric) goes to a human with the reason: Quell has nothing
 * of the gateway's to act on.
 */
export const throttleAbuser = definePlaybook({
  name: "throttle-abuser",
  description:
    "Block the end user or throttle the LiteLLM gateway key behind jailbreaks, model extraction or token spend, with approval.",
  handles: ["jailbreak", "model_extraction", "token_spend_anomaly"],
  startAt: "fromPrincipalSource",
  steps: {
    // Only these routes carry the principal in details; every other source names no gateway user or key.
    fromPrincipalSource: {
      type: "choice",
      choices: [
        { when: { path: "$.alert.source", equals: "generic" }, next: "genericPrincipal" },
        ...DETECTOR_SOURCES.map((source) => ({
          when: { path: "$.alert.source", equals: source },
          next: "detectorPrincipal",
        })),
      ],
      otherwise: "reviewByHand",
    },
    ...principalSteps("generic", {
      App: "$.alert.details.assetId",
      Environment: "$.alert.details.environment",
      Emitter: "$.alert.details.emitter",
    }),
    ...principalSteps("detector", { App: "$.alert.details.app", Detector: "$.alert.details.detector" }),
    reviewByHand: {
      type: "approval",
      policy: "one",
      title: "Abuse at the LLM gateway: review it by hand",
      plan: [
        "Nothing automatic applies: Quell blocks an end user or throttles a LiteLLM gateway key only when the alert names one (an end_user principal, or an api_key principal from litellm or app, sent to the generic or an inline-detector route). This alert names neither (see Source).",
        "Review the abuse and contain it by hand (the gateway's admin UI, the app, the provider's console), then Approve to record it.",
        "Deny records that nothing was done.",
      ],
      facts: { Source: "$.alert.source", ...alertFacts },
      timeoutSeconds: DAY,
      onApprove: "reviewedByHand",
    },
    endUserBlocked: {
      type: "succeed",
      outcome: "mitigated",
      summary: "The end user is blocked at the LiteLLM gateway.",
    },
    keyThrottled: {
      type: "succeed",
      outcome: "mitigated",
      summary: "The gateway key's rate and token limits are lowered at the LiteLLM gateway.",
    },
    reviewedByHand: {
      type: "succeed",
      outcome: "mitigated",
      summary: "Gateway abuse reviewed and handled by hand; confirmed in Quell.",
    },
  },
});
