import * as z from "zod";
import {
  contextGuardrail,
  type DetailValue,
  detectorAdapter,
  nothingDetected,
  type Verdict,
  withGuardrail,
} from "./envelope.js";

/**
 * `POST /alerts/prompt-shields`: an Azure AI Content Safety `text:shieldPrompt` response (api-version
 * 2024-09-01), forwarded by the app. At least one of the two analyses must be present.
 */

const Analysis = z.looseObject({ attackDetected: z.boolean() });

export const ShieldPromptResponse = z
  .looseObject({
    userPromptAnalysis: Analysis.optional(),
    documentsAnalysis: z.array(Analysis).max(100).optional(),
  })
  .refine((result) => result.userPromptAnalysis !== undefined || result.documentsAnalysis !== undefined, {
    error: "needs userPromptAnalysis or documentsAnalysis (the shieldPrompt response, unmodified)",
  });
export type ShieldPromptResponse = z.infer<typeof ShieldPromptResponse>;

export function promptShieldsVerdict(result: ShieldPromptResponse): Omit<Verdict, "guardrail"> {
  const userAttack = result.userPromptAnalysis?.attackDetected === true;
  const attacked: number[] = [];
  (result.documentsAnalysis ?? []).forEach((analysis, index) => {
    if (analysis.attackDetected) attacked.push(index);
  });
  // Assigned key by key: V8 builds `{ ...a, ...b }` on a slow path, and this runs for every alert.
  const facts: Record<string, DetailValue> = {};
  if (result.userPromptAnalysis) facts.userPromptAttackDetected = userAttack;
  if (result.documentsAnalysis) facts.documentsAnalysed = result.documentsAnalysis.length;
  if (attacked.length > 0) facts.documentsAttacked = attacked.join(",");
  // A poisoned document is an indirect injection: worse than a user trying, because the source is trusted.
  if (attacked.length > 0) {
    const count = attacked.length === 1 ? "1 document" : `${attacked.length} documents`;
    return {
      type: "prompt_injection",
      severity: "high",
      finding: `Indirect prompt injection in ${count} detected by Azure Prompt Shields`,
      secondaryTypes: userAttack ? ["jailbreak"] : [],
      facts,
    };
  }
  if (userAttack) {
    return {
      type: "jailbreak",
      severity: "medium",
      finding: "User prompt attack detected by Azure Prompt Shields",
      facts,
    };
  }
  return nothingDetected("Azure Prompt Shields detected no attack", facts);
}

export const promptShields = detectorAdapter({
  name: "prompt-shields",
  aliases: ["azure-prompt-shields", "prompt-shields"],
  result: ShieldPromptResponse,
  verdict: ({ result, context }) => {
    const guardrail = contextGuardrail(context, "azure");
    return withGuardrail(promptShieldsVerdict(result), guardrail);
  },
});
