import * as z from "zod";
import {
  addPoisonedDocuments,
  contextGuardrail,
  counted,
  type DetailValue,
  type DetectorEnvelope,
  detectorAdapter,
  documentInTitle,
  type EnvelopeIssue,
  nothingDetected,
  type Verdict,
  withGuardrail,
} from "./envelope.js";

/**
 * `POST /alerts/prompt-shields`: an Azure AI Content Safety `text:shieldPrompt` response (api-version
 * 2024-09-01), forwarded by the app. At least one of the two analyses must be present.
 *
 * `context.documentRefs[i]` names the document `documentsAnalysis[i]` is about (the order the app sent the
 * documents to shieldPrompt): with it, a document attack names the poisoned document(s) in the title and in
 * `poisonedDocument`/`poisonedDocuments`. Without it, only their indexes (`documentsAttacked`).
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

/** One reference per analysed document, or none at all: a shorter or longer list would name the wrong one. */
export function checkDocumentRefs({
  context,
  result,
}: DetectorEnvelope<ShieldPromptResponse>): EnvelopeIssue[] {
  const refs = context?.documentRefs;
  if (!refs) return [];
  const analyses = result.documentsAnalysis;
  if (analyses?.length === refs.length) return [];
  const sent = `context.documentRefs has ${counted(refs.length, "reference", "references")}`;
  const message = analyses
    ? `${sent} but result.documentsAnalysis has ${counted(analyses.length, "analysis", "analyses")}: send one reference per screened document, in the order sent to shieldPrompt`
    : `${sent} but result has no documentsAnalysis: send documentRefs only when documents were sent to shieldPrompt, one reference per document, in that order`;
  return [{ path: ["context", "documentRefs"], message }];
}

export function promptShieldsVerdict(
  result: ShieldPromptResponse,
  documentRefs?: readonly string[],
): Omit<Verdict, "guardrail"> {
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
    // The check guarantees one reference per analysis; a direct call without it names indexes only.
    const refs = documentRefs?.length === result.documentsAnalysis?.length ? documentRefs : undefined;
    const poisoned = refs ? attacked.map((index) => refs[index] as string) : [];
    addPoisonedDocuments(facts, poisoned);
    const first = poisoned[0];
    const which =
      first === undefined
        ? counted(attacked.length, "document", "documents")
        : attacked.length === 1
          ? `document ${documentInTitle(first)}`
          : `${attacked.length} documents (first ${documentInTitle(first)})`;
    return {
      type: "prompt_injection",
      severity: "high",
      finding: `Indirect prompt injection in ${which} detected by Azure Prompt Shields`,
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
  check: checkDocumentRefs,
  verdict: ({ result, context }) => {
    const guardrail = contextGuardrail(context, "azure");
    return withGuardrail(promptShieldsVerdict(result, context?.documentRefs), guardrail);
  },
});
