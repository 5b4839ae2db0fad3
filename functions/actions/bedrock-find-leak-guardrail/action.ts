import * as z from "zod";
import { AlertDetails, alertText } from "../alert-details.js";
import { GUARDRAIL_IDENTIFIER, readDraft, readGuardrailIam } from "../bedrock-guardrail.js";
import { configOf, OutputAction, piiEntityTypesIn, strictEnough } from "../bedrock-guardrail-pii.js";
import { defineAction } from "../contract.js";

const text = alertText(8192);

/** Where sources name the guardrail that screened the output: the detector's context, else the emitter's evidence. */
const GUARDRAIL_KEYS = [
  "guardrailIdentifier",
  "evidence.guardrailIdentifier",
  "evidence.guardrailArn",
  "guardrailArn",
];
/** Where sources name what leaked: Bedrock's own assessment, an emitter's matches or types, Lakera's detector types. */
const LEAK_KEYS = [
  "sensitiveInformationTypes",
  "evidence.matches",
  "evidence.piiEntityTypes",
  "evidence.entityTypes",
  "detectorTypes",
];
const SECRET_KEYS = ["evidence.secretsReferencedInPrompt", "secretsReferencedInPrompt", "evidence.secrets"];

/** Lakera Guard's PII detector types and the Bedrock entity type each one is. */
const LAKERA_PII: Record<string, string> = {
  "pii/address": "ADDRESS",
  "pii/credit_card": "CREDIT_DEBIT_CARD_NUMBER",
  "pii/email": "EMAIL",
  "pii/iban_code": "INTERNATIONAL_BANK_ACCOUNT_NUMBER",
  "pii/ip_address": "IP_ADDRESS",
  "pii/name": "NAME",
  "pii/phone_number": "PHONE",
  "pii/us_social_security_number": "US_SOCIAL_SECURITY_NUMBER",
};

/** Every Bedrock PII entity type the alert names, wherever its source put it. */
export function leakedTypesOf(details: AlertDetails): string[] {
  const named = LEAK_KEYS.map((key) => text(details, key) ?? "").join(" ");
  const lakera = named
    .split(/[\s,]+/)
    .map((word) => LAKERA_PII[word])
    .filter((type) => type !== undefined);
  return [...new Set([...piiEntityTypesIn(named), ...lakera])].sort();
}

const notFound = (why: string, details: AlertDetails) => ({
  found: false,
  why,
  guardrailIdentifier: null,
  guardrailName: null,
  leakedTypes: leakedTypesOf(details).join(",") || "none named",
  toTighten: "",
  alreadyStrict: "",
  promptSecrets: promptSecretsOf(details),
});

const promptSecretsOf = (details: AlertDetails) =>
  SECRET_KEYS.map((key) => text(details, key))
    .filter((value) => value !== undefined)
    .join(" ") || "none named in the alert";

/**
 * Find the Bedrock guardrail behind a sensitive-output alert and what leaked (read-only): the guardrail the
 * detector or the emitter names, the PII entity types named (only names from Bedrock's own list are taken from
 * alert text, and Lakera's `pii/*` types are translated), and, reading the guardrail's draft, which of them it
 * does not yet mask or block on responses. Also the secrets a leaked system prompt referenced, for the card that
 * asks to rotate them.
 */
export const findLeakGuardrail = defineAction({
  name: "bedrock.find-leak-guardrail",
  description:
    "Find the Amazon Bedrock guardrail behind leaked sensitive output and the PII types it does not yet mask on " +
    "responses (bedrock:GetGuardrail; read-only).",
  input: z.object({ details: AlertDetails, outputAction: OutputAction }),
  output: z.object({
    found: z.boolean(),
    why: z.string(),
    guardrailIdentifier: z.string().nullable(),
    guardrailName: z.string().nullable(),
    leakedTypes: z.string(),
    /** Leaked types the guardrail does not yet handle as strictly as asked on responses. */
    toTighten: z.string(),
    alreadyStrict: z.string(),
    promptSecrets: z.string(),
  }),
  secrets: [],
  iam: [readGuardrailIam],
  reversible: false,
  blastRadius: { maxWrites: 0, low: true },
  timeoutSeconds: 30,
  async plan({ details, outputAction }, context) {
    const guardrailIdentifier = GUARDRAIL_KEYS.map((key) => text(details, key)).find(
      (value) => value !== undefined && value.length <= 2048 && GUARDRAIL_IDENTIFIER.test(value),
    );
    if (!guardrailIdentifier)
      return { output: notFound("the alert names no Amazon Bedrock guardrail", details), writes: [] };
    const leaked = leakedTypesOf(details);
    if (leaked.length === 0)
      return {
        output: notFound(
          "the alert names no PII entity type Bedrock guardrails know (custom patterns are not tightened)",
          details,
        ),
        writes: [],
      };
    const guardrail = await readDraft(context, guardrailIdentifier);
    const toTighten = leaked.filter((type) => !strictEnough(configOf(guardrail, type), outputAction));
    const alreadyStrict = leaked.filter((type) => !toTighten.includes(type));
    return {
      output: {
        found: toTighten.length > 0,
        why:
          toTighten.length > 0
            ? `${guardrail.name ?? guardrailIdentifier} does not ${outputAction === "BLOCK" ? "block" : "mask"} ${toTighten.join(", ")} in responses`
            : `${guardrail.name ?? guardrailIdentifier} already handles ${alreadyStrict.join(", ")} in responses as strictly: the leak came from elsewhere`,
        guardrailIdentifier,
        guardrailName: guardrail.name ?? null,
        leakedTypes: leaked.join(","),
        toTighten: toTighten.join(","),
        alreadyStrict: alreadyStrict.join(","),
        promptSecrets: promptSecretsOf(details),
      },
      writes: [],
    };
  },
});
