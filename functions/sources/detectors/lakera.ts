import * as z from "zod";
import { identifier, printableAscii } from "../generic.js";
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
 * `POST /alerts/lakera`: a Lakera Guard `POST /v2/guard` response, forwarded by the app. Known fields are
 * typed strictly; others pass through. `payload[]` (where PII was found, with the text) is never copied.
 */

const DetectorType = z
  .string()
  .max(128)
  .regex(/^[a-z0-9_]+(\/[a-z0-9_]+)*$/, {
    error: "must be a Lakera detector type such as prompt_attack or pii/email",
  });

const BreakdownItem = z.looseObject({
  project_id: identifier(128).optional(),
  policy_id: identifier(128).optional(),
  detector_id: identifier(128).optional(),
  detector_type: DetectorType,
  detected: z.boolean(),
  message_id: z.number().int().nonnegative(),
});

export const LakeraGuardResponse = z.looseObject({
  flagged: z.boolean(),
  breakdown: z.array(BreakdownItem).max(500).optional(),
  payload: z.array(z.looseObject({})).max(1000).optional(),
  metadata: z.looseObject({ request_uuid: printableAscii(128).optional() }).optional(),
});
export type LakeraGuardResponse = z.infer<typeof LakeraGuardResponse>;

const isPii = (type: string) => type === "pii" || type.startsWith("pii/");

export function lakeraVerdict(result: LakeraGuardResponse, output: boolean): Omit<Verdict, "guardrail"> {
  const detections = (result.breakdown ?? []).filter((item) => item.detected);
  const types = detections.map((item) => item.detector_type);
  // Assigned key by key: V8 builds `{ ...a, ...b }` on a slow path, and this runs for every alert.
  const facts: Record<string, DetailValue> = { flagged: result.flagged };
  if (types.length > 0) facts.detectorTypes = listFact(types);
  if (result.metadata?.request_uuid) facts.lakeraRequestUuid = result.metadata.request_uuid;
  const pii = types.some(isPii);
  if (types.includes("prompt_attack")) {
    return {
      type: "prompt_injection",
      severity: "medium",
      finding: "Prompt attack flagged by Lakera Guard",
      secondaryTypes: pii ? ["sensitive_data_leak"] : [],
      facts,
    };
  }
  if (pii && output) {
    return {
      type: "sensitive_data_leak",
      severity: "medium",
      finding: "PII in model output flagged by Lakera Guard",
      facts,
    };
  }
  if (types.length > 0 || result.flagged) {
    const what = types.length > 0 ? [...new Set(types)].slice(0, 5).join(", ") : "content";
    return { type: "other", severity: "low", finding: `Lakera Guard flagged ${what} (no AI attack)`, facts };
  }
  return nothingDetected("Lakera Guard flagged nothing", facts);
}

export const lakera = detectorAdapter({
  name: "lakera",
  aliases: ["lakera-guard", "lakera"],
  result: LakeraGuardResponse,
  verdict: ({ result, context }) => {
    const verdict = lakeraVerdict(result, screensOutput(context));
    const detection =
      (result.breakdown ?? []).find((item) => item.detected && item.detector_type === "prompt_attack") ??
      (result.breakdown ?? []).find((item) => item.detected) ??
      result.breakdown?.[0];
    const guardrail =
      context?.guardrailIdentifier ?? detection?.policy_id ?? context?.projectId ?? detection?.project_id;
    const requestUuid = result.metadata?.request_uuid;
    if (requestUuid) Object.assign(verdict, { nativeId: { name: "lakeraRequestUuid", value: requestUuid } });
    return withGuardrail(verdict, guardrail ? { id: guardrail, provider: "lakera" } : undefined);
  },
});
