import { containGuardrailTampering } from "./contain-guardrail-tampering.js";
import { containLlmjacking } from "./contain-llmjacking.js";
import { leakedAiKey } from "./leaked-ai-key.js";
import { throttleAbuser } from "./throttle-abuser.js";
import { tightenGuardrail } from "./tighten-guardrail.js";

/** Every playbook. Adding one: its file, one line here, and its golden ASL under test/golden/. */
export const playbooks = [
  leakedAiKey,
  containLlmjacking,
  containGuardrailTampering,
  tightenGuardrail,
  throttleAbuser,
] as const;

export type PlaybookName = (typeof playbooks)[number]["name"];

export const playbookByName = (name: string) => playbooks.find((playbook) => playbook.name === name);
