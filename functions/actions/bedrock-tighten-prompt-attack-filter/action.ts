import type { GetGuardrailResponse } from "@aws-sdk/client-bedrock";
import * as z from "zod";
import { TargetChanged } from "../../shared/errors.js";
import {
  FILTER_STRENGTHS,
  type FilterStrength,
  GUARDRAIL_IDENTIFIER,
  PROMPT_ATTACK,
  promptAttackInputStrength,
  readDraft,
  updateGuardrail,
  updateGuardrailIam,
  updateKeepingAllBut,
  withPromptAttack,
} from "../bedrock-guardrail.js";
import { defineAction } from "../contract.js";

const Input = z.object({ guardrailIdentifier: z.string().max(2048).regex(GUARDRAIL_IDENTIFIER) });

/** The draft written back with PROMPT_ATTACK at `strength` on prompts (removed for null). */
const withStrength = (guardrail: GetGuardrailResponse, identifier: string, strength: FilterStrength | null) =>
  updateKeepingAllBut(guardrail, identifier, {
    contentPolicyConfig: withPromptAttack(guardrail.contentPolicy, strength),
  });

const strengthText = (strength: string | null) => strength ?? "not set (no PROMPT_ATTACK filter)";

/**
 * Raise a Bedrock guardrail's prompt-attack filter to HIGH on prompts. UpdateGuardrail replaces the whole
 * configuration, so the write carries every policy the draft has, unchanged, with PROMPT_ATTACK at HIGH.
 *
 * Reversible: the output records the strength it replaced (null: there was no PROMPT_ATTACK filter), and undo,
 * which gets that recorded output, reads the draft again and puts that strength back (or removes the filter),
 * keeping every other setting as it is by then. Undo refuses, writing nothing, when someone changed the filter
 * after Quell set it HIGH: it restores Quell's change, never overwrites a human's.
 */
export const tightenPromptAttackFilter = defineAction({
  name: "bedrock.tighten-prompt-attack-filter",
  description:
    "Set an Amazon Bedrock guardrail's PROMPT_ATTACK content filter to HIGH on prompts, on its DRAFT " +
    "(bedrock:UpdateGuardrail, every other setting kept).",
  input: Input,
  output: z.object({
    guardrailId: z.string(),
    guardrailArn: z.string(),
    name: z.string(),
    /** PROMPT_ATTACK's input strength before the run; null when the guardrail had no PROMPT_ATTACK filter. */
    previousInputStrength: z.enum(FILTER_STRENGTHS).nullable(),
  }),
  secrets: [],
  iam: [updateGuardrailIam],
  reversible: true,
  // Not low: a stricter filter can block legitimate prompts of every app that uses the guardrail.
  blastRadius: { maxWrites: 1, low: false },
  timeoutSeconds: 30,
  async plan(input, context) {
    const guardrail = await readDraft(context, input.guardrailIdentifier);
    const previous = promptAttackInputStrength(guardrail);
    const output = {
      guardrailId: guardrail.guardrailId ?? "",
      guardrailArn: guardrail.guardrailArn ?? "",
      name: guardrail.name ?? "",
      previousInputStrength: previous,
    };
    if (previous === "HIGH") return { output, writes: [] };
    return {
      output,
      writes: [updateGuardrail(context, withStrength(guardrail, input.guardrailIdentifier, "HIGH"))],
    };
  },
  async verify(input, context) {
    const strength = promptAttackInputStrength(await readDraft(context, input.guardrailIdentifier));
    return {
      verified: strength === "HIGH",
      observed: `guardrail ${input.guardrailIdentifier} DRAFT: ${PROMPT_ATTACK} input strength ${strengthText(strength)}`,
    };
  },
  async undo(input, context, { output }) {
    const guardrail = await readDraft(context, input.guardrailIdentifier);
    const current = promptAttackInputStrength(guardrail);
    // Someone already put it back: nothing left to restore.
    if (current === output.previousInputStrength) return [];
    if (current !== "HIGH") {
      throw new TargetChanged(
        `guardrail ${input.guardrailIdentifier} DRAFT: ${PROMPT_ATTACK} input strength is ${strengthText(current)}, ` +
          `not the HIGH Quell set: someone changed it since, and Quell does not overwrite that (restore by hand)`,
      );
    }
    const restore = withStrength(guardrail, input.guardrailIdentifier, output.previousInputStrength);
    return [updateGuardrail(context, restore)];
  },
});
