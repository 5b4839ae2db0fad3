import type {
  GetGuardrailResponse,
  GuardrailPiiEntity,
  GuardrailPiiEntityConfig,
} from "@aws-sdk/client-bedrock";
import * as z from "zod";
import { TargetChanged, ValidationError } from "../../shared/errors.js";
import { canonicalJson } from "../../shared/hash.js";
import {
  GUARDRAIL_IDENTIFIER,
  readDraft,
  sensitiveInformationPolicyConfig,
  updateGuardrail,
  updateGuardrailIam,
  updateKeepingAllBut,
} from "../bedrock-guardrail.js";
import {
  configOf,
  EntityConfig,
  entitiesOf,
  OutputAction,
  outputActionOf,
  piiEntityTypesIn,
  strictEnough,
} from "../bedrock-guardrail-pii.js";
import { defineAction } from "../contract.js";

export { piiEntityTypesIn };

const Input = z.object({
  guardrailIdentifier: z.string().max(2048).regex(GUARDRAIL_IDENTIFIER),
  /** Where the alert names the leaked types: any text, from which Bedrock's entity type names are taken. */
  leakedTypes: z.string().max(8192),
  outputAction: OutputAction,
});

/**
 * The entity tightened on responses: an existing one keeps its input side and gets `wanted` on outputs; a new one
 * screens outputs only (input action NONE, input disabled), so prompts behave as before.
 */
const tightened = (type: string, entity: EntityConfig, wanted: OutputAction): GuardrailPiiEntityConfig =>
  (entity
    ? { ...entity, outputAction: wanted, outputEnabled: true }
    : {
        type,
        action: wanted,
        inputAction: "NONE",
        inputEnabled: false,
        outputAction: wanted,
        outputEnabled: true,
      }) as GuardrailPiiEntityConfig;

/** The draft's sensitive-information policy with each entity in `entities` replaced (null: removed). */
function withEntities(
  guardrail: GetGuardrailResponse,
  identifier: string,
  entities: ReadonlyMap<string, GuardrailPiiEntityConfig | null>,
) {
  const policy = guardrail.sensitiveInformationPolicy;
  const kept = entitiesOf(guardrail)
    .filter((entity) => !entities.has(entity.type ?? ""))
    .map((entity) => entity as GuardrailPiiEntityConfig);
  const replaced = [...entities.values()].filter((entity) => entity !== null);
  const piiEntitiesConfig = [...kept, ...replaced];
  const regexesConfig = policy?.regexes ?? [];
  const config = sensitiveInformationPolicyConfig({
    ...(piiEntitiesConfig.length > 0 ? { piiEntities: piiEntitiesConfig as GuardrailPiiEntity[] } : {}),
    ...(regexesConfig.length > 0 ? { regexes: regexesConfig } : {}),
  });
  // The API refuses an empty policy: a policy left with no entity and no regex is removed as a whole.
  return updateKeepingAllBut(guardrail, identifier, {
    sensitiveInformationPolicyConfig: config.piiEntitiesConfig || config.regexesConfig ? config : undefined,
  });
}

/** The same configuration, whatever order its fields come in. */
const sameConfig = (a: EntityConfig, b: EntityConfig) => canonicalJson(a) === canonicalJson(b);

/**
 * Make a Bedrock guardrail mask (ANONYMIZE) or block (BLOCK) responses that contain the PII entity types an alert
 * says leaked, on its DRAFT. UpdateGuardrail replaces the whole configuration, so the write carries every policy
 * the draft has, unchanged, but for those entities; an entity already as strict or stricter on outputs is left
 * alone (Quell never loosens a guardrail), and prompts keep their handling.
 *
 * Reversible: the output records each changed entity's configuration before (null: the guardrail did not screen
 * that type). Undo puts exactly those back and refuses, writing nothing, when a human changed one of them since.
 */
export const tightenSensitiveInformation = defineAction({
  name: "bedrock.tighten-sensitive-information",
  description:
    "Make an Amazon Bedrock guardrail mask or block the PII entity types that leaked in model responses, on its " +
    "DRAFT (bedrock:UpdateGuardrail, every other setting kept).",
  input: Input,
  output: z.object({
    guardrailId: z.string(),
    guardrailArn: z.string(),
    name: z.string(),
    /** The entity types Quell tightened, each with its configuration before the run. */
    changed: z.array(z.object({ type: z.string(), previous: EntityConfig, written: EntityConfig })),
    /** Leaked types the guardrail already handled at least as strictly. */
    alreadyStrict: z.array(z.string()),
  }),
  secrets: [],
  iam: [updateGuardrailIam],
  reversible: true,
  // Not low: masking or blocking can change legitimate answers of every app that uses the guardrail.
  blastRadius: { maxWrites: 1, low: false },
  timeoutSeconds: 30,
  async plan(input, context) {
    const types = piiEntityTypesIn(input.leakedTypes);
    if (types.length === 0) {
      throw new ValidationError(
        "the alert names no Amazon Bedrock PII entity type (such as EMAIL or CREDIT_DEBIT_CARD_NUMBER): " +
          "nothing to tighten; review the leak by hand",
      );
    }
    const guardrail = await readDraft(context, input.guardrailIdentifier);
    const changed: { type: string; previous: EntityConfig; written: EntityConfig }[] = [];
    const alreadyStrict: string[] = [];
    for (const type of types) {
      const previous = configOf(guardrail, type);
      if (strictEnough(previous, input.outputAction)) alreadyStrict.push(type);
      else
        changed.push({
          type,
          previous,
          written: tightened(type, previous, input.outputAction) as EntityConfig,
        });
    }
    const output = {
      guardrailId: guardrail.guardrailId ?? "",
      guardrailArn: guardrail.guardrailArn ?? "",
      name: guardrail.name ?? "",
      changed,
      alreadyStrict,
    };
    if (changed.length === 0) return { output, writes: [] };
    const entities = new Map(changed.map(({ type, written }) => [type, written as GuardrailPiiEntityConfig]));
    return {
      output,
      writes: [updateGuardrail(context, withEntities(guardrail, input.guardrailIdentifier, entities))],
    };
  },
  async verify(input, context) {
    const guardrail = await readDraft(context, input.guardrailIdentifier);
    const types = piiEntityTypesIn(input.leakedTypes);
    const states = types.map((type) => `${type} ${outputActionOf(configOf(guardrail, type))}`);
    return {
      verified: types.every((type) => strictEnough(configOf(guardrail, type), input.outputAction)),
      observed: `guardrail ${input.guardrailIdentifier} DRAFT, on responses: ${states.join(", ")}`,
    };
  },
  async undo(input, context, { output }) {
    const guardrail = await readDraft(context, input.guardrailIdentifier);
    const restore = new Map<string, GuardrailPiiEntityConfig | null>();
    for (const { type, previous, written } of output.changed) {
      const current = configOf(guardrail, type);
      if (sameConfig(current, previous)) continue;
      if (!sameConfig(current, written)) {
        throw new TargetChanged(
          `guardrail ${input.guardrailIdentifier} DRAFT: ${type} is not as Quell set it (outputs ${outputActionOf(current)}): ` +
            "someone changed it since, and Quell does not overwrite that (restore by hand)",
        );
      }
      restore.set(type, previous as GuardrailPiiEntityConfig | null);
    }
    if (restore.size === 0) return [];
    return [updateGuardrail(context, withEntities(guardrail, input.guardrailIdentifier, restore))];
  },
});
