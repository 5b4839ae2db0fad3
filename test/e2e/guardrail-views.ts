/** Guardrails as the Bedrock stand-in's GetGuardrail answers them, for the tighten-guardrail suites. */

type Filter = { type: string; inputStrength: string };

const filtersOf = (guardrail: Record<string, unknown>) =>
  ((guardrail.contentPolicy as { filters?: Filter[] } | undefined)?.filters ?? []) as Filter[];

/** The guardrail's PROMPT_ATTACK content filter, if it has one. */
export const promptAttackOf = (guardrail: Record<string, unknown>) =>
  filtersOf(guardrail).find((filter) => filter.type === "PROMPT_ATTACK");

/** A copy of the guardrail with PROMPT_ATTACK at `inputStrength` on prompts and nothing else changed. */
export function guardrailWithPromptAttack(guardrail: Record<string, unknown>, inputStrength: string) {
  const copy = structuredClone(guardrail);
  const filter = promptAttackOf(copy);
  if (!filter) throw new Error("the guardrail has no PROMPT_ATTACK filter");
  filter.inputStrength = inputStrength;
  return copy;
}
