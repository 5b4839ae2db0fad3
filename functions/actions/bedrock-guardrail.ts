import {
  GetGuardrailCommand,
  type GetGuardrailResponse,
  type GuardrailContentFilter,
  type GuardrailContentPolicy,
  type GuardrailContentPolicyConfig,
  type GuardrailContextualGroundingPolicy,
  type GuardrailContextualGroundingPolicyConfig,
  type GuardrailSensitiveInformationPolicy,
  type GuardrailSensitiveInformationPolicyConfig,
  type GuardrailTopicPolicy,
  type GuardrailTopicPolicyConfig,
  type GuardrailWordPolicy,
  type GuardrailWordPolicyConfig,
  UpdateGuardrailCommand,
  type UpdateGuardrailRequest,
} from "@aws-sdk/client-bedrock";
import type { ActionContext, IamNeed, Write } from "./contract.js";

/**
 * A Bedrock guardrail's working draft as GetGuardrail reads it, turned into the UpdateGuardrail request that
 * writes it back. UpdateGuardrail replaces the whole configuration (a policy left out is removed), so every policy
 * the guardrail has is carried over field for field; an action changes one policy (the PROMPT_ATTACK content
 * filter, the sensitive-information entities) and nothing else.
 */

// biome-ignore lint/suspicious/noTemplateCurlyInString: placeholders that infra fills per stack.
const GUARDRAIL_RESOURCE = "arn:${Partition}:bedrock:${Region}:${Account}:guardrail/*";

/** Reading a guardrail's draft; and reading it then writing it back. */
export const readGuardrailIam: IamNeed = {
  actions: ["bedrock:GetGuardrail"],
  resources: [GUARDRAIL_RESOURCE],
};
export const updateGuardrailIam: IamNeed = {
  actions: ["bedrock:GetGuardrail", "bedrock:UpdateGuardrail"],
  resources: [GUARDRAIL_RESOURCE],
};

/** The guardrail's working draft: the version UpdateGuardrail changes (numbered versions never change). */
export const readDraft = (context: ActionContext, guardrailIdentifier: string) =>
  context.aws.bedrock().send(new GetGuardrailCommand({ guardrailIdentifier, guardrailVersion: "DRAFT" }));

/** The write of a whole guardrail configuration. */
export const updateGuardrail = (context: ActionContext, request: UpdateGuardrailRequest): Write => ({
  description: { kind: "aws", service: "bedrock", operation: "UpdateGuardrail", input: request },
  send: () => context.aws.bedrock().send(new UpdateGuardrailCommand(request)),
});

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
export function withPromptAttack(
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

/** The content policy as UpdateGuardrail takes it, unchanged. */
const contentPolicyConfigOf = (
  policy: GuardrailContentPolicy | undefined,
): GuardrailContentPolicyConfig | undefined =>
  policy?.filters && policy.filters.length > 0
    ? { filtersConfig: policy.filters, ...(policy.tier ? { tierConfig: policy.tier } : {}) }
    : undefined;

const topicPolicyConfig = ({ topics, tier }: GuardrailTopicPolicy): GuardrailTopicPolicyConfig => ({
  // DENY is the only topic type; GetGuardrail always says it, UpdateGuardrail requires it.
  topicsConfig: (topics ?? []).map((topic) => ({ ...topic, type: topic.type ?? "DENY" })),
  ...(tier ? { tierConfig: tier } : {}),
});

const wordPolicyConfig = ({ words, managedWordLists }: GuardrailWordPolicy): GuardrailWordPolicyConfig => ({
  ...(words ? { wordsConfig: words } : {}),
  ...(managedWordLists ? { managedWordListsConfig: managedWordLists } : {}),
});

const contextualGroundingPolicyConfig = ({
  filters,
  tier,
}: GuardrailContextualGroundingPolicy): GuardrailContextualGroundingPolicyConfig => ({
  filtersConfig: filters ?? [],
  ...(tier ? { tierConfig: tier } : {}),
});

/** The policies one action changes; every other one is written back as the draft has it. */
export interface PolicyChanges {
  /** The content policy to write instead (undefined: the policy is removed). */
  readonly contentPolicyConfig?: GuardrailContentPolicyConfig | undefined;
  readonly sensitiveInformationPolicyConfig?: GuardrailSensitiveInformationPolicyConfig | undefined;
}

/** The sensitive-information policy as UpdateGuardrail takes it, from what GetGuardrail read. */
export const sensitiveInformationPolicyConfig = ({
  piiEntities,
  regexes,
}: GuardrailSensitiveInformationPolicy): GuardrailSensitiveInformationPolicyConfig => ({
  ...(piiEntities ? { piiEntitiesConfig: piiEntities } : {}),
  ...(regexes ? { regexesConfig: regexes } : {}),
});

/**
 * The UpdateGuardrail request for `identifier` that keeps everything `guardrail` has except the policies named
 * in `changes` (a key present with undefined removes that policy).
 */
export function updateKeepingAllBut(
  guardrail: GetGuardrailResponse,
  identifier: string,
  changes: PolicyChanges,
): UpdateGuardrailRequest {
  const { description, topicPolicy, wordPolicy, sensitiveInformationPolicy, contextualGroundingPolicy } =
    guardrail;
  const { automatedReasoningPolicy, crossRegionDetails, kmsKeyArn, contentPolicy } = guardrail;
  const contentPolicyConfig =
    "contentPolicyConfig" in changes ? changes.contentPolicyConfig : contentPolicyConfigOf(contentPolicy);
  const sensitiveConfig =
    "sensitiveInformationPolicyConfig" in changes
      ? changes.sensitiveInformationPolicyConfig
      : sensitiveInformationPolicy && sensitiveInformationPolicyConfig(sensitiveInformationPolicy);
  const crossRegionProfile =
    crossRegionDetails?.guardrailProfileArn ?? crossRegionDetails?.guardrailProfileId;
  return {
    guardrailIdentifier: identifier,
    name: guardrail.name,
    ...(description !== undefined ? { description } : {}),
    ...(topicPolicy ? { topicPolicyConfig: topicPolicyConfig(topicPolicy) } : {}),
    ...(contentPolicyConfig ? { contentPolicyConfig } : {}),
    ...(wordPolicy ? { wordPolicyConfig: wordPolicyConfig(wordPolicy) } : {}),
    ...(sensitiveConfig ? { sensitiveInformationPolicyConfig: sensitiveConfig } : {}),
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
