import type { AgentAlias } from "@aws-sdk/client-bedrock-agent";
import * as z from "zod";
import { TargetChanged, ValidationError } from "../../shared/errors.js";
import {
  AliasArn,
  type AliasRef,
  aliasIdentity,
  aliasRef,
  aliasText,
  INVOCATION_STATES,
  readAlias,
  readSettledAlias,
  updateAlias,
  updateAliasIam,
  updateKeepingAllBut,
} from "../bedrock-agent-alias.js";
import { defineAction } from "../contract.js";

type InvocationState = (typeof INVOCATION_STATES)[number];

/**
 * The alias's invocation state. The field is optional in GetAgentAlias's answer: an alias that reports none is
 * taken as running (ACCEPT_INVOCATIONS, the state of an alias nobody paused). A state this code does not know is
 * refused rather than guessed at.
 */
function invocationState(alias: AgentAlias, ref: AliasRef): InvocationState {
  const state = alias.aliasInvocationState ?? "ACCEPT_INVOCATIONS";
  const known = INVOCATION_STATES.find((candidate) => candidate === state);
  if (known) return known;
  throw new ValidationError(
    `${aliasText(alias, ref)} reports invocation state ${state}, which Quell does not know: nothing was written`,
  );
}

/**
 * Pause a Bedrock agent alias (containment when there is no version to roll back to): one UpdateAgentAlias
 * with `aliasInvocationState` REJECT_INVOCATIONS, keeping its name, description and routing, so every call to
 * the alias is refused until it is resumed. Undo resumes it (ACCEPT_INVOCATIONS), keeping the routing as it is
 * by then.
 */
export const pauseAgentAlias = defineAction({
  name: "bedrock-agent.pause-alias",
  description:
    "Pause an Amazon Bedrock agent alias: it rejects every invocation until resumed " +
    "(bedrock:UpdateAgentAlias aliasInvocationState REJECT_INVOCATIONS, every other setting kept).",
  input: z.object({ aliasArn: AliasArn }),
  output: z.object({
    agentId: z.string(),
    agentAliasId: z.string(),
    aliasName: z.string(),
    /** The invocation state before the run. */
    previousInvocationState: z.enum(INVOCATION_STATES),
  }),
  secrets: [],
  iam: [updateAliasIam],
  reversible: true,
  // Not low: every app that calls the alias is refused while it is paused.
  blastRadius: { maxWrites: 1, low: false },
  timeoutSeconds: 60,
  async plan(input, context) {
    const ref = aliasRef(input.aliasArn);
    const alias = await readAlias(context, ref);
    const previous = invocationState(alias, ref);
    const output = { ...aliasIdentity(alias, ref), previousInvocationState: previous };
    if (previous === "REJECT_INVOCATIONS") return { output, writes: [] };
    const request = updateKeepingAllBut(alias, ref, { aliasInvocationState: "REJECT_INVOCATIONS" });
    return { output, writes: [updateAlias(context, request)] };
  },
  async verify(input, context) {
    const ref = aliasRef(input.aliasArn);
    const alias = await readSettledAlias(context, ref);
    const state = alias.aliasInvocationState ?? "(no invocation state)";
    return {
      verified: state === "REJECT_INVOCATIONS",
      observed: `${aliasText(alias, ref)}: ${alias.agentAliasStatus ?? "(no status)"}, ${state}`,
    };
  },
  async undo(input, context) {
    const ref = aliasRef(input.aliasArn);
    const alias = await readAlias(context, ref);
    const state = alias.aliasInvocationState ?? "ACCEPT_INVOCATIONS";
    // Someone already resumed it: nothing left to restore.
    if (state === "ACCEPT_INVOCATIONS") return [];
    if (state !== "REJECT_INVOCATIONS") {
      throw new TargetChanged(
        `${aliasText(alias, ref)} is in invocation state ${state}, not the REJECT_INVOCATIONS Quell set: ` +
          "it changed since, and Quell does not overwrite that (restore by hand)",
      );
    }
    return [
      updateAlias(context, updateKeepingAllBut(alias, ref, { aliasInvocationState: "ACCEPT_INVOCATIONS" })),
    ];
  },
});
