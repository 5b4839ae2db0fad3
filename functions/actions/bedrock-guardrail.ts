import type {
  GetGuardrailResponse,
  GuardrailContentFilter,
  GuardrailContentPolicy,
  GuardrailContentPolicyConfig,
  GuardrailContextualGroundingPolicy,
  GuardrailContextualGroundingPolicyConfig,
  GuardrailSensitiveInformationPolicy,
  GuardrailSensitiveInformationPolicyConfig,
  GuardrailTopicPolicy,
  GuardrailTopicPolicyConfig,
  GuardrailWordPolicy,
  GuardrailWordPolicyConfig,
  UpdateGuardrailRequest,
} from "@aws-sdk/client-bedrock";

/**
 * A guardrail's configuration as GetGuardrail reads it, turned into the UpdateGuardrail request that writes it
 * back. UpdateGuardrail replaces the whole configuration (a policy left out is removed), so every policy the
 * guardrail has is carried over field for field; only the PROMPT_ATTACK content filter is changed.
 */

export const FILTER_STRENGTHS = ["NONE", "LOW", "MEDIUM", "HIGH"] as const;
export type FilterStrength = (typeof FILTER_STRENGTHS)[number];

export const PROMPT_ATTACK = "PROMPT_ATTACK";

/** A guardrail id or ARN, as GetGuardrail and UpdateGuardrail take it (their `guardrailIdentifier` pattern). */
export const GUARDRAIL_IDENTIFIER =
  /^(?:[a-z0-9]+|arn:aws(?:-[^:]+)?:bedrock:[a-z0-9-]{1,20}:\d{12}:guardrail\/[a-z0-9]+)$/;

const promptAttackFilter = (guardrail: GetGuardrailResponse): GuardrailContentFilter | undefined =>
  guardrail.contentPolicy?.filters?.find((filter) => filter.type === PROMPT_ATTACK);

/** The PROMPT_ATTACK filter's strength on prompts; null when the guardrail has no PROMPT_ATTACK filter. */
export const promptAttackInputStrength = (guardrail: GetGuardrailResponse): FilterStrength | null =>
  promptAttackFilter(guardrail)?.inputStrength ?? null;

/**
 * The content filters with PROMPT_ATTACK at `inputStrength` on prompts (and NONE on responses, the only
 * strength the API accepts for it), in place, or appended when the guardrail has none; removed for null.
 */
function withPromptAttack(
  policy: GuardrailContentPolicy | undefined,
  inputStrength: FilterStrength | null,
): GuardrailContentPolicyConfig | undefined {
  const filters = policy?.filters ?? [];
  const current = filters.find((filter) => filter.type === PROMPT_ATTACK);
  const others = filters.filter((filter) => filter !== current);
  const set = (strength: FilterStrength) =>
    ({ ...current, type: PROMPT_ATTACK, inputStrength: strength, outputStrength: "NONE" }) as const;
  const filtersConfig =
    inputStrength === null
      ? others
      : current
        ? filters.map((filter) => (filter === current ? set(inputStrength) : filter))
        : [...filters, set(inputStrength)];
  // The API takes one to six filters: a content policy left without any is removed as a whole.
  if (filtersConfig.length === 0) return undefined;
  return { filtersConfig, ...(policy?.tier ? { tierConfig: policy.tier } : {}) };
}

const topicPolicyConfig = ({ topics, tier }: GuardrailTopicPolicy): GuardrailTopicPolicyConfig => ({
  // DENY is the only topic type; GetGuardrail always says it, UpdateGuardrail requires it.
  topicsConfig: (topics ?? []).map((topic) => ({ ...topic, type: topic.type ?? "DENY" })),
  ...(tier ? { tierConfig: tier } : {}),
});

const wordPolicyConfig = ({ words, managedWordLists }: GuardrailWordPolicy): GuardrailWordPolicyConfig => ({
  ...(words ? { wordsConfig: words } : {}),
  ...(managedWordLists ? { managedWordListsConfig: managedWordLists } : {}),
});

const sensitiveInformationPolicyConfig = ({
  piiEntities,
  regexes,
}: GuardrailSensitiveInformationPolicy): GuardrailSensitiveInformationPolicyConfig => ({
  ...(piiEntities ? { piiEntitiesConfig: piiEntities } : {}),
  ...(regexes ? { regexesConfig: regexes } : {}),
});

const contextualGroundingPolicyConfig = ({
  filters,
  tier,
}: GuardrailContextualGroundingPolicy): GuardrailContextualGroundingPolicyConfig => ({
  filtersConfig: filters ?? [],
  ...(tier ? { tierConfig: tier } : {}),
});

/**
 * The UpdateGuardrail request for `identifier` that keeps everything `guardrail` has except the PROMPT_ATTACK
 * filter, which is set to `promptAttack` on prompts (or removed, for null).
 */
export function updateKeepingAllBut(
  guardrail: GetGuardrailResponse,
  identifier: string,
  promptAttack: FilterStrength | null,
): UpdateGuardrailRequest {
  const { description, topicPolicy, wordPolicy, sensitiveInformationPolicy, contextualGroundingPolicy } =
    guardrail;
  const { automatedReasoningPolicy, crossRegionDetails, kmsKeyArn } = guardrail;
  const contentPolicyConfig = withPromptAttack(guardrail.contentPolicy, promptAttack);
  const crossRegionProfile =
    crossRegionDetails?.guardrailProfileArn ?? crossRegionDetails?.guardrailProfileId;
  return {
    guardrailIdentifier: identifier,
    name: guardrail.name,
    ...(description !== undefined ? { description } : {}),
    ...(topicPolicy ? { topicPolicyConfig: topicPolicyConfig(topicPolicy) } : {}),
    ...(contentPolicyConfig ? { contentPolicyConfig } : {}),
    ...(wordPolicy ? { wordPolicyConfig: wordPolicyConfig(wordPolicy) } : {}),
    ...(sensitiveInformationPolicy
      ? { sensitiveInformationPolicyConfig: sensitiveInformationPolicyConfig(sensitiveInformationPolicy) }
      : {}),
    ...(contextualGroundingPolicy
      ? { contextualGroundingPolicyConfig: contextualGroundingPolicyConfig(contextualGroundingPolicy) }
      : {}),
    ...(automatedReasoningPolicy ? { automatedReasoningPolicyConfig: automatedReasoningPolicy } : {}),
    ...(crossRegionProfile ? { crossRegionConfig: { guardrailProfileIdentifier: crossRegionProfile } } : {}),
    blockedInputMessaging: guardrail.blockedInputMessaging,
    blockedOutputsMessaging: guardrail.blockedOutputsMessaging,
    ...(kmsKeyArn ? { kmsKeyId: kmsKeyArn } : {}),
  };
}
