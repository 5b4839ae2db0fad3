/**
 * What the Bedrock stand-in checks in an UpdateGuardrail body and how it stores one, written from the API
 * reference (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_UpdateGuardrail.html and the
 * Guardrail*Config data types), independently of Quell's action so that the two can disagree in a test.
 * Only the constraints a guardrail writer can plausibly get wrong are checked; each failure is reported the
 * way the API words a ValidationException ("1 validation error detected: Value … at '…' failed to satisfy
 * constraint: …").
 */
import { isRecord } from "./server.js";

export type Json = Record<string, unknown>;

const STRENGTHS = ["NONE", "LOW", "MEDIUM", "HIGH"];
const CONTENT_FILTER_TYPES = ["SEXUAL", "VIOLENCE", "HATE", "INSULTS", "MISCONDUCT", "PROMPT_ATTACK"];
const GROUNDING_FILTER_TYPES = ["GROUNDING", "RELEVANCE"];

/** Each policy as UpdateGuardrail takes it and as GetGuardrail returns it, member by member. */
export const POLICY_MEMBERS = [
  ["topicPolicyConfig", "topicPolicy", { topicsConfig: "topics", tierConfig: "tier" }],
  ["contentPolicyConfig", "contentPolicy", { filtersConfig: "filters", tierConfig: "tier" }],
  ["wordPolicyConfig", "wordPolicy", { wordsConfig: "words", managedWordListsConfig: "managedWordLists" }],
  [
    "sensitiveInformationPolicyConfig",
    "sensitiveInformationPolicy",
    { piiEntitiesConfig: "piiEntities", regexesConfig: "regexes" },
  ],
  [
    "contextualGroundingPolicyConfig",
    "contextualGroundingPolicy",
    { filtersConfig: "filters", tierConfig: "tier" },
  ],
  [
    "automatedReasoningPolicyConfig",
    "automatedReasoningPolicy",
    { policies: "policies", confidenceThreshold: "confidenceThreshold" },
  ],
] as const;

const failed = (value: unknown, at: string, constraint: string) =>
  `1 validation error detected: Value '${typeof value === "string" ? value : (JSON.stringify(value) ?? "null")}' ` +
  `at '${at}' failed to satisfy constraint: ${constraint}`;

function text(body: Json, member: string, max: number, pattern?: RegExp): string | undefined {
  const value = body[member];
  if (typeof value !== "string" || value.length < 1 || value.length > max)
    return failed(value, member, `Member must be a string of length between 1 and ${max}`);
  if (pattern && !pattern.test(value))
    return failed(value, member, `Member must satisfy regular expression pattern: ${pattern.source}`);
  return undefined;
}

function oneOf(value: unknown, at: string, allowed: readonly string[]): string | undefined {
  return typeof value === "string" && allowed.includes(value)
    ? undefined
    : failed(value, at, `Member must satisfy enum value set: [${allowed.join(", ")}]`);
}

function list(value: unknown, at: string, min: number, max: number): unknown[] | string {
  if (!Array.isArray(value) || value.length < min || value.length > max)
    return failed(value, at, `Member must have length between ${min} and ${max}, inclusive`);
  return value;
}

function contentFilterProblems(policy: unknown): string | undefined {
  if (!isRecord(policy)) return failed(policy, "contentPolicyConfig", "Member must not be null");
  const filters = list(policy.filtersConfig, "contentPolicyConfig.filtersConfig", 1, 6);
  if (typeof filters === "string") return filters;
  const seen = new Set<unknown>();
  for (const [index, filter] of filters.entries()) {
    const at = `contentPolicyConfig.filtersConfig.${index + 1}.member`;
    if (!isRecord(filter)) return failed(filter, at, "Member must not be null");
    const problem =
      oneOf(filter.type, `${at}.type`, CONTENT_FILTER_TYPES) ??
      oneOf(filter.inputStrength, `${at}.inputStrength`, STRENGTHS) ??
      oneOf(filter.outputStrength, `${at}.outputStrength`, STRENGTHS);
    if (problem) return problem;
    if (seen.has(filter.type))
      return `Content filter type ${String(filter.type)} is configured more than once.`;
    seen.add(filter.type);
    if (filter.type === "PROMPT_ATTACK" && filter.outputStrength !== "NONE")
      return "The output strength of the PROMPT_ATTACK content filter must be NONE.";
  }
  return undefined;
}

function otherPolicyProblems(body: Json): string | undefined {
  const topics = body.topicPolicyConfig;
  if (topics !== undefined) {
    const listed = list(
      isRecord(topics) ? topics.topicsConfig : undefined,
      "topicPolicyConfig.topicsConfig",
      1,
      30,
    );
    if (typeof listed === "string") return listed;
    for (const [index, topic] of listed.entries()) {
      const at = `topicPolicyConfig.topicsConfig.${index + 1}.member`;
      if (!isRecord(topic) || typeof topic.name !== "string" || typeof topic.definition !== "string")
        return failed(topic, at, "Member must have a name and a definition");
      const problem = oneOf(topic.type, `${at}.type`, ["DENY"]);
      if (problem) return problem;
    }
  }
  const grounding = body.contextualGroundingPolicyConfig;
  if (grounding !== undefined) {
    const at = "contextualGroundingPolicyConfig.filtersConfig";
    const filters = list(isRecord(grounding) ? grounding.filtersConfig : undefined, at, 1, 2);
    if (typeof filters === "string") return filters;
    for (const [index, filter] of filters.entries()) {
      const problem = oneOf(isRecord(filter) ? filter.type : filter, `${at}.${index + 1}.member.type`, [
        ...GROUNDING_FILTER_TYPES,
      ]);
      if (problem) return problem;
    }
  }
  return undefined;
}

/** Why UpdateGuardrail would refuse this body (a ValidationException's message), or undefined. */
export function updateProblem(body: unknown): string | undefined {
  if (!isRecord(body)) return "The request body must be a JSON object.";
  return (
    text(body, "name", 50, /^[0-9a-zA-Z-_]+$/) ??
    text(body, "blockedInputMessaging", 500) ??
    text(body, "blockedOutputsMessaging", 500) ??
    (body.description === undefined ? undefined : text(body, "description", 200)) ??
    (body.contentPolicyConfig === undefined ? undefined : contentFilterProblems(body.contentPolicyConfig)) ??
    otherPolicyProblems(body)
  );
}

/** A policy's members renamed from UpdateGuardrail's spelling to GetGuardrail's; unknown members are dropped. */
export function storedPolicy(config: Json, members: Readonly<Record<string, string>>): Json {
  const stored: Json = {};
  for (const [written, read] of Object.entries(members))
    if (config[written] !== undefined) stored[read] = structuredClone(config[written]);
  return stored;
}
