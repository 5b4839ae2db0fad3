import * as z from "zod";
import {
  contextGuardrail,
  type DetailValue,
  detectorAdapter,
  listFact,
  nothingDetected,
  type Verdict,
  withGuardrail,
} from "./envelope.js";

/**
 * `POST /alerts/llm-guard`: an LLM Guard API `POST /analyze/prompt` or `/analyze/output` response, forwarded
 * by the app. Scores must be numbers and `is_valid` a boolean: never coerced ("false" is truthy). The
 * sanitized text is never copied into the alert; only its length.
 */

const ScannerName = z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, {
  error: "must be an LLM Guard scanner name such as PromptInjection",
});

export const LlmGuardResponse = z.looseObject({
  is_valid: z.boolean(),
  scanners: z
    .record(ScannerName, z.number().min(-1).max(1))
    .refine((scanners) => Object.keys(scanners).length <= 100, { error: "at most 100 scanners" }),
  sanitized_prompt: z.string().optional(),
  sanitized_output: z.string().optional(),
});
export type LlmGuardResponse = z.infer<typeof LlmGuardResponse>;

/** Scanners whose finding is sensitive data (PII, secrets) rather than an attack. */
const SENSITIVE_SCANNERS = new Set(["Anonymize", "Secrets", "Sensitive"]);

export function llmGuardVerdict(result: LlmGuardResponse, output: boolean): Omit<Verdict, "guardrail"> {
  // A scanner counts as a detection when its risk score is above 0.
  const flagged = Object.entries(result.scanners)
    .filter(([, score]) => score > 0)
    .map(([name]) => name);
  const injection = result.scanners.PromptInjection;
  const sanitized = result.sanitized_output ?? result.sanitized_prompt;
  // Assigned key by key: V8 builds `{ ...a, ...b }` on a slow path, and this runs for every alert.
  const facts: Record<string, DetailValue> = {
    isValid: result.is_valid,
    scanMode: output ? "output" : "prompt",
  };
  if (flagged.length > 0) facts.scannersFlagged = listFact(flagged);
  if (injection !== undefined) facts.promptInjectionScore = injection;
  if (sanitized !== undefined) facts.sanitizedLength = sanitized.length;
  if (result.is_valid) return nothingDetected("LLM Guard passed the text", facts);
  const sensitive = flagged.some((name) => SENSITIVE_SCANNERS.has(name));
  if (injection !== undefined && injection > 0) {
    return {
      type: "prompt_injection",
      severity: "medium",
      finding: `Prompt injection (score ${injection}) flagged by LLM Guard`,
      secondaryTypes: sensitive ? ["sensitive_data_leak"] : [],
      facts,
    };
  }
  if (sensitive && output) {
    return {
      type: "sensitive_data_leak",
      severity: "medium",
      finding: "Sensitive data in model output flagged by LLM Guard",
      facts,
    };
  }
  const what = flagged.length > 0 ? flagged.slice(0, 5).join(", ") : "the text";
  return { type: "other", severity: "low", finding: `LLM Guard rejected ${what} (no AI attack)`, facts };
}

export const llmGuard = detectorAdapter({
  name: "llm-guard",
  aliases: ["llm-guard"],
  result: LlmGuardResponse,
  verdict: ({ result, context }) => {
    const output =
      context?.scanMode === "output" ||
      (context?.scanMode === undefined && result.sanitized_output !== undefined);
    const guardrail = contextGuardrail(context, "llm-guard");
    return withGuardrail(llmGuardVerdict(result, output), guardrail);
  },
});
