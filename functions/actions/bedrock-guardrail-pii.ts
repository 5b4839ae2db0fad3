import type { GetGuardrailResponse, GuardrailPiiEntity } from "@aws-sdk/client-bedrock";
import { GuardrailPiiEntityType } from "@aws-sdk/client-bedrock";
import * as z from "zod";

/**
 * A Bedrock guardrail's PII entities as the sensitive-output actions read them: which entity types an alert names,
 * and how strictly the guardrail handles each on model responses.
 */

export const PII_TYPES = new Set<string>(Object.values(GuardrailPiiEntityType));

/**
 * The Bedrock PII entity types named in `text`, in a fixed order: alert text is hostile, so only names from the
 * API's own list are taken (`CREDIT_DEBIT_CARD_NUMBER,EMAIL`, or a detector's JSON evidence naming them), and
 * anything else (custom regexes, other words) is ignored.
 */
export const piiEntityTypesIn = (text: string): string[] => {
  const words = new Set(text.split(/[^A-Za-z0-9_]+/));
  return [...PII_TYPES].filter((type) => words.has(type)).sort();
};

/** How strict an output action is: NONE only detects, ANONYMIZE masks, BLOCK replaces the whole response. */
export const STRICTNESS = { NONE: 0, ANONYMIZE: 1, BLOCK: 2 } as const;
export const OutputAction = z.enum(["ANONYMIZE", "BLOCK"]);
export type OutputAction = z.infer<typeof OutputAction>;

/** An entity's configuration as GetGuardrail returns it (null: the guardrail does not screen that type). */
export const EntityConfig = z
  .object({
    type: z.string(),
    action: z.string(),
    inputAction: z.string().optional(),
    outputAction: z.string().optional(),
    inputEnabled: z.boolean().optional(),
    outputEnabled: z.boolean().optional(),
  })
  .nullable();
export type EntityConfig = z.infer<typeof EntityConfig>;

export const entitiesOf = (guardrail: GetGuardrailResponse): GuardrailPiiEntity[] =>
  guardrail.sensitiveInformationPolicy?.piiEntities ?? [];

export const configOf = (guardrail: GetGuardrailResponse, type: string): EntityConfig => {
  const entity = entitiesOf(guardrail).find((candidate) => candidate.type === type);
  return entity ? (JSON.parse(JSON.stringify(entity)) as EntityConfig) : null;
};

/** The action a response containing this entity gets (outputAction overrides the entity's `action`). */
export const outputActionOf = (entity: EntityConfig): keyof typeof STRICTNESS => {
  if (!entity || entity.outputEnabled === false) return "NONE";
  const action = entity.outputAction ?? entity.action;
  return action in STRICTNESS ? (action as keyof typeof STRICTNESS) : "NONE";
};

export const strictEnough = (entity: EntityConfig, wanted: OutputAction) =>
  STRICTNESS[outputActionOf(entity)] >= STRICTNESS[wanted];
