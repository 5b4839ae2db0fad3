import { definePlaybook } from "./define.js";

const DAY = 24 * 3600;
const FIND = "$.steps.findGuardrail.output";

const leakFacts = {
  Alert: "$.alert.title",
  Detector: "$.alert.source",
  Reported: "$.alert.type",
  Principal: "$.alert.details.principalId",
  Environment: "$.asset.environment",
} as const;

/**
 * Sensitive data in model output (OWASP LLM02, LLM05) or a leaked system prompt (LLM07): make the Bedrock guardrail
 * behind the app mask (ANONYMIZE) the PII entity types that leaked in responses, on its draft, every other setting
 * kept (undo restores each entity as it was, and refuses if someone changed it since). A leaked system prompt also
 * asks a human to rotate whatever secret the prompt held: a guardrail cannot take back what was already shown.
 * An alert that names no Bedrock guardrail or no known entity type goes to a human.
 */
export const stopSensitiveOutput = definePlaybook({
  name: "stop-sensitive-output",
  description:
    "Make the Bedrock guardrail mask the PII that leaked in model responses, with approval; a leaked system prompt also gets its secrets rotated.",
  handles: ["sensitive_data_leak", "system_prompt_leak"],
  startAt: "findGuardrail",
  steps: {
    findGuardrail: {
      type: "action",
      action: "bedrock.find-leak-guardrail",
      input: { details: { path: "$.alert.details" }, outputAction: "ANONYMIZE" },
      next: "guardrailFound",
      onError: "reviewByHand",
    },
    guardrailFound: {
      type: "choice",
      choices: [
        { when: { path: `${FIND}.found`, equals: true }, next: "approveTighten" },
        { when: { path: "$.alert.type", equals: "system_prompt_leak" }, next: "rotatePromptSecrets" },
      ],
      otherwise: "reviewByHand",
    },
    approveTighten: {
      type: "approval",
      policy: "one",
      title: "Mask the leaked data in this guardrail's responses",
      plan: [
        "Set the guardrail's sensitive-information filter to mask (ANONYMIZE) the entity types shown in model responses, on its working draft (bedrock:UpdateGuardrail); every other setting is written back unchanged, prompts keep their handling.",
        "Responses of every app that uses this guardrail show those values as {TYPE} placeholders.",
        "Apps that call a numbered version of the guardrail keep their setting until a version is published from the draft and they use it.",
        "Undo (/quell undo; the thread names the run) puts each entity back as it was, and refuses if someone changed it since.",
      ],
      facts: {
        ...leakFacts,
        Guardrail: `${FIND}.guardrailIdentifier`,
        "Guardrail name": `${FIND}.guardrailName`,
        "To mask": `${FIND}.toTighten`,
        "Already masked": `${FIND}.alreadyStrict`,
      },
      timeoutSeconds: DAY,
      onApprove: "tighten",
    },
    tighten: {
      type: "action",
      action: "bedrock.tighten-sensitive-information",
      input: {
        guardrailIdentifier: { path: `${FIND}.guardrailIdentifier` },
        leakedTypes: { path: `${FIND}.toTighten` },
        outputAction: "ANONYMIZE",
      },
      next: "promptLeaked",
    },
    promptLeaked: {
      type: "choice",
      choices: [
        { when: { path: "$.alert.type", equals: "system_prompt_leak" }, next: "rotatePromptSecrets" },
      ],
      otherwise: "masked",
    },
    rotatePromptSecrets: {
      type: "approval",
      policy: "one",
      title: "A system prompt leaked: rotate the secrets it held",
      plan: [
        "Whatever the system prompt held is now known outside: rotate every credential, internal URL or token it referenced (see Secrets), and move them out of the prompt.",
        "Publish a new prompt version without them, then Approve to record it.",
        "Deny records that nothing was rotated.",
      ],
      facts: {
        ...leakFacts,
        Prompt: "$.alert.details.assetId",
        Secrets: `${FIND}.promptSecrets`,
        Guardrail: `${FIND}.why`,
      },
      timeoutSeconds: DAY,
      onApprove: "rotated",
    },
    reviewByHand: {
      type: "approval",
      policy: "one",
      title: "Sensitive data in model output: review it by hand",
      plan: [
        "Quell tightens an Amazon Bedrock guardrail for the PII types that leaked; this alert names no such guardrail or type (see Why).",
        "Find where the data came from (retrieval, tools, training data), mask or remove it, then Approve to record it.",
        "Deny records that nothing was done.",
      ],
      facts: { ...leakFacts, Leaked: `${FIND}.leakedTypes`, Why: `${FIND}.why` },
      timeoutSeconds: DAY,
      onApprove: "reviewedByHand",
    },
    masked: {
      type: "succeed",
      outcome: "mitigated",
      summary: "The guardrail masks the leaked entity types in responses, on its draft.",
    },
    rotated: {
      type: "succeed",
      outcome: "mitigated",
      summary: "The leaked prompt's secrets were rotated by hand; confirmed in Quell.",
    },
    reviewedByHand: {
      type: "succeed",
      outcome: "mitigated",
      summary: "The leak was reviewed and handled by hand; confirmed in Quell.",
    },
  },
});
