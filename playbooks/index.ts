import { containGuardrailTampering } from "./contain-guardrail-tampering.js";
import { containLlmjacking } from "./contain-llmjacking.js";
import { leakedAiKey } from "./leaked-ai-key.js";
import { rollbackModel } from "./rollback-model.js";
import { throttleAbuser } from "./throttle-abuser.js";
import { tightenGuardrail } from "./tighten-guardrail.js";

/**
 * Every playbook. Adding one: its file and one line here, then `npm run compile-playbooks -- golden` writes its
 * golden ASL under test/golden/ and the facts triage routes by (playbook-facts.generated.ts). The order is the
 * routing order: an alert no route claims goes to the first playbook that handles its type.
 */
export const playbooks = [
  leakedAiKey,
  containLlmjacking,
  containGuardrailTampering,
  tightenGuardrail,
  throttleAbuser,
  rollbackModel,
] as const;

export type PlaybookName = (typeof playbooks)[number]["name"];

export const playbookByName = (name: string) => playbooks.find((playbook) => playbook.name === name);
