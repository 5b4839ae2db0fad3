import * as z from "zod";
import { TargetChanged } from "../../shared/errors.js";
import {
  AgentVersion,
  AliasArn,
  aliasIdentity,
  aliasRef,
  aliasText,
  readAlias,
  readSettledAlias,
  routedVersion,
  routingText,
  updateAlias,
  updateAliasIam,
  updateKeepingAllBut,
} from "../bedrock-agent-alias.js";
import { defineAction } from "../contract.js";

/**
 * Route a Bedrock agent alias to another numbered version: the rollback step after a human approved the card
 * of `bedrock-agent.find-alias-rollback-target`, whose output gives both versions. One UpdateAgentAlias that
 * keeps the alias's name, description, invocation state and provisioned throughput; only the version changes.
 *
 * It writes only when the alias still routes to `expectedVersion`, the version the approver saw: a change
 * since is someone else's decision, and Quell does not overwrite it (TargetChanged, nothing written). Undo
 * routes back to the version it replaced, under the same rule: only if the alias still routes where Quell
 * put it.
 */
export const routeAgentAliasToVersion = defineAction({
  name: "bedrock-agent.route-alias-to-version",
  description:
    "Route an Amazon Bedrock agent alias to another numbered version, if it still routes to the expected one " +
    "(bedrock:UpdateAgentAlias, every other setting kept).",
  input: z
    .object({ aliasArn: AliasArn, expectedVersion: AgentVersion, targetVersion: AgentVersion })
    .refine((input) => input.expectedVersion !== input.targetVersion, {
      message: "must differ from expectedVersion (routing an alias to the version it has changes nothing)",
      path: ["targetVersion"],
    }),
  output: z.object({
    agentId: z.string(),
    agentAliasId: z.string(),
    aliasName: z.string(),
    /** The version the alias routed to before the run (the target itself when it already routed there). */
    replacedVersion: AgentVersion,
    routedVersion: AgentVersion,
  }),
  secrets: [],
  iam: [updateAliasIam],
  reversible: true,
  // Not low: every conversation through the alias moves to another version of the agent.
  blastRadius: { maxWrites: 1, low: false },
  timeoutSeconds: 60,
  async plan(input, context) {
    const ref = aliasRef(input.aliasArn);
    const alias = await readAlias(context, ref);
    const current = routedVersion(alias.routingConfiguration);
    if (current !== input.targetVersion && current !== input.expectedVersion) {
      throw new TargetChanged(
        `${aliasText(alias, ref)} routes to ${routingText(alias.routingConfiguration)}, not the version ` +
          `${input.expectedVersion} the approval was given for: someone changed it since; nothing was written`,
      );
    }
    const output = {
      ...aliasIdentity(alias, ref),
      replacedVersion: current,
      routedVersion: input.targetVersion,
    };
    // Already there (someone rolled it back first): nothing to write.
    if (current === input.targetVersion) return { output, writes: [] };
    const request = updateKeepingAllBut(alias, ref, { agentVersion: input.targetVersion });
    return { output, writes: [updateAlias(context, request)] };
  },
  async verify(input, context) {
    const ref = aliasRef(input.aliasArn);
    const alias = await readSettledAlias(context, ref);
    const status = alias.agentAliasStatus ?? "(no status)";
    return {
      verified: status === "PREPARED" && routedVersion(alias.routingConfiguration) === input.targetVersion,
      observed: `${aliasText(alias, ref)}: ${status}, routes to ${routingText(alias.routingConfiguration)}`,
    };
  },
  async undo(input, context, { output }) {
    const ref = aliasRef(input.aliasArn);
    const alias = await readAlias(context, ref);
    const current = routedVersion(alias.routingConfiguration);
    // Someone already put it back: nothing left to restore.
    if (current === output.replacedVersion) return [];
    if (current !== output.routedVersion) {
      throw new TargetChanged(
        `${aliasText(alias, ref)} routes to ${routingText(alias.routingConfiguration)}, not the version ` +
          `${output.routedVersion} Quell routed it to: someone changed it since, and Quell does not overwrite ` +
          "that (restore by hand)",
      );
    }
    return [updateAlias(context, updateKeepingAllBut(alias, ref, { agentVersion: output.replacedVersion }))];
  },
});
