import * as z from "zod";
import type { Severity } from "../../shared/alert.js";
import { clip, escapeText } from "../generic.js";
import {
  type DetailValue,
  detectorAdapter,
  listFact,
  nothingDetected,
  screensOutput,
  type Verdict,
  withGuardrail,
} from "./envelope.js";

/**
 * `POST /alerts/bedrock-guardrails`: an Amazon Bedrock `ApplyGuardrail` response, forwarded by the app.
 * Known fields are typed strictly; fields Quell does not read pass through (AWS adds them over time).
 * Matched text (PII values, regex matches, outputs) is never copied into the alert: only types and counts.
 */

const Confidence = z.enum(["NONE", "LOW", "MEDIUM", "HIGH"]);
type Confidence = z.infer<typeof Confidence>;
const upperName = z
  .string()
  .regex(/^[A-Z][A-Z0-9_]{0,63}$/, { error: "must be an upper-case name such as PROMPT_ATTACK or EMAIL" });

const ContentFilter = z.looseObject({
  type: upperName,
  confidence: Confidence,
  filterStrength: Confidence.optional(),
  action: z.enum(["BLOCKED", "NONE"]),
  detected: z.boolean().optional(),
});

type ContentFilter = z.infer<typeof ContentFilter>;

const SensitiveMatch = z.looseObject({
  action: z.enum(["ANONYMIZED", "BLOCKED", "NONE"]),
  detected: z.boolean().optional(),
});

const Assessment = z.looseObject({
  contentPolicy: z.looseObject({ filters: z.array(ContentFilter).max(100) }).optional(),
  sensitiveInformationPolicy: z
    .looseObject({
      piiEntities: z
        .array(SensitiveMatch.extend({ type: upperName, match: z.string().optional() }))
        .max(1000)
        .optional(),
      regexes: z
        .array(
          SensitiveMatch.extend({
            name: z.string().max(256).optional(),
            match: z.string().optional(),
            regex: z.string().optional(),
          }),
        )
        .max(1000)
        .optional(),
    })
    .optional(),
});

export const ApplyGuardrailResponse = z.looseObject({
  action: z.enum(["GUARDRAIL_INTERVENED", "NONE"]),
  actionReason: z.string().max(4096).optional(),
  outputs: z
    .array(z.looseObject({ text: z.string().optional() }))
    .max(100)
    .optional(),
  assessments: z.array(Assessment).max(100),
  usage: z.record(z.string().max(64), z.number().int().nonnegative()).optional(),
});
export type ApplyGuardrailResponse = z.infer<typeof ApplyGuardrailResponse>;

const SEVERITY_BY_CONFIDENCE: Record<Confidence, Severity> = {
  HIGH: "high",
  MEDIUM: "medium",
  LOW: "low",
  NONE: "low",
};
const CONFIDENCE_ORDER: readonly Confidence[] = ["NONE", "LOW", "MEDIUM", "HIGH"];

/** A filter or match counts when it says it detected, or (older responses without `detected`) when it acted. */
const fired = (item: { detected?: boolean | undefined; action: string }) =>
  item.detected ?? item.action !== "NONE";

export function bedrockVerdict(
  result: ApplyGuardrailResponse,
  options: { output: boolean; guardrail: string },
): Omit<Verdict, "guardrail"> {
  const { output, guardrail } = options;
  // Collected in plain loops, in the assessments' order: this runs for every alert.
  const firedFilters: ContentFilter[] = [];
  const sensitive: string[] = [];
  for (const assessment of result.assessments) {
    for (const filter of assessment.contentPolicy?.filters ?? [])
      if (fired(filter)) firedFilters.push(filter);
    const policy = assessment.sensitiveInformationPolicy;
    for (const entity of policy?.piiEntities ?? []) if (fired(entity)) sensitive.push(entity.type);
    for (const regex of policy?.regexes ?? [])
      if (fired(regex)) sensitive.push(`REGEX:${clip(escapeText(regex.name ?? "unnamed"), 64)}`);
  }
  const attacks = firedFilters.filter((filter) => filter.type === "PROMPT_ATTACK");
  const intervened = result.action === "GUARDRAIL_INTERVENED";
  // Assigned key by key: V8 builds `{ ...facts, more }` on a slow path, and this runs for every alert.
  const facts: Record<string, DetailValue> = { guardrailAction: result.action };
  if (result.actionReason) facts.actionReason = clip(escapeText(result.actionReason), 2048);
  if (firedFilters.length > 0) facts.contentFilters = listFact(firedFilters.map((filter) => filter.type));
  if (sensitive.length > 0) facts.sensitiveInformationTypes = listFact(sensitive);
  const verb = intervened ? "blocked" : "detected";

  if (attacks.length > 0) {
    const confidence = attacks
      .map((attack) => attack.confidence)
      .reduce((top, next) => (CONFIDENCE_ORDER.indexOf(next) > CONFIDENCE_ORDER.indexOf(top) ? next : top));
    const blocked = attacks.some((attack) => attack.action === "BLOCKED");
    facts.promptAttackConfidence = confidence;
    facts.promptAttackAction = blocked ? "BLOCKED" : "NONE";
    return {
      type: "prompt_injection",
      severity: SEVERITY_BY_CONFIDENCE[confidence],
      finding: `Prompt attack (confidence ${confidence}) ${blocked ? "blocked" : "detected"} by ${guardrail}`,
      secondaryTypes: sensitive.length > 0 ? ["sensitive_data_leak"] : [],
      facts,
    };
  }
  if (sensitive.length > 0 && output) {
    return {
      type: "sensitive_data_leak",
      severity: "medium",
      finding: `Sensitive information in model output ${verb} by ${guardrail}`,
      facts,
    };
  }
  if (intervened || firedFilters.length > 0 || sensitive.length > 0) {
    const what = [...new Set([...firedFilters.map((filter) => filter.type), ...sensitive])].slice(0, 5);
    return {
      type: "other",
      severity: "low",
      finding: `${guardrail} ${verb} ${what.length > 0 ? what.join(", ") : "content"} (no AI attack)`,
      facts,
    };
  }
  return nothingDetected(`${guardrail} found nothing`, facts);
}

export const bedrockGuardrails = detectorAdapter({
  name: "bedrock-guardrails",
  aliases: ["bedrock-guardrails"],
  result: ApplyGuardrailResponse,
  verdict: ({ result, context }) => {
    const id = context?.guardrailIdentifier;
    const version = context?.guardrailVersion ? ` v${context.guardrailVersion}` : "";
    const verdict = bedrockVerdict(result, {
      output: screensOutput(context),
      guardrail: id ? `Bedrock guardrail ${id}${version}` : "Bedrock guardrail",
    });
    return withGuardrail(verdict, id ? { id, provider: "aws" } : undefined);
  },
});
