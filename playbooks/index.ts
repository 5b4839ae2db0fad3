import { containAgentTool } from "./contain-agent-tool.js";
import { containGuardrailTampering } from "./contain-guardrail-tampering.js";
import { containLlmjacking } from "./contain-llmjacking.js";
import { leakedAiKey } from "./leaked-ai-key.js";
import { quarantinePoisonedDocument } from "./quarantine-poisoned-document.js";
import { rollbackModel } from "./rollback-model.js";
import { stopSensitiveOutput } from "./stop-sensitive-output.js";
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
  quarantinePoisonedDocument,
  tightenGuardrail,
  throttleAbuser,
  rollbackModel,
  containAgentTool,
  stopSensitiveOutput,
] as const;

export type PlaybookName = (typeof playbooks)[number]["name"];

export const playbookByName = (name: string) => playbooks.find((playbook) => playbook.name === name);
