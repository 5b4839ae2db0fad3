import type { AgentAlias, AgentAliasHistoryEvent } from "@aws-sdk/client-bedrock-agent";
import * as z from "zod";
import {
  AgentVersion,
  AliasArn,
  aliasIdentity,
  aliasRef,
  readAlias,
  readAliasIam,
  routedVersion,
  routingText,
} from "../bedrock-agent-alias.js";
import { defineAction } from "../contract.js";

const CHOSEN_BY =
  "the alias's own history (agentAliasHistoryEvents): the most recent other numbered version it routed to";

const isNumbered = (version: string | null): version is string =>
  version !== null && AgentVersion.safeParse(version).success;

interface Choice {
  readonly targetVersion: string | null;
  readonly targetLastLiveAt: string | null;
  readonly found: boolean;
  readonly why: string;
}

const notFound = (why: string): Choice => ({
  targetVersion: null,
  targetLastLiveAt: null,
  found: false,
  why,
});

/**
 * The version to roll `alias` back to: of the history events that routed to a single numbered version other
 * than the current one and ended, the one that ended last. Nothing is guessed: an alias routed to several
 * versions, to none or to DRAFT, or whose history shows no such event, has no target, and `why` says which.
 */
export function chooseRollbackTarget(alias: AgentAlias): Choice {
  const routing = alias.routingConfiguration ?? [];
  const current = routedVersion(routing);
  if (current === null) {
    return notFound(
      `the alias routes to ${routingText(routing)}, not to a single version: Quell rolls back an alias routed ` +
        "to one numbered version only",
    );
  }
  if (!isNumbered(current)) {
    return notFound(
      `the alias routes to ${current}, the agent's working draft, not a numbered version: there is no ` +
        "released version to roll back from",
    );
  }
  const history = alias.agentAliasHistoryEvents ?? [];
  if (history.length === 0) {
    return notFound(
      `the alias has no history (agentAliasHistoryEvents is empty): nothing shows which version was live before ${current}`,
    );
  }
  const candidates = history.filter(
    (event): event is AgentAliasHistoryEvent & { endDate: Date } =>
      event.endDate !== undefined &&
      isNumbered(routedVersion(event.routingConfiguration)) &&
      routedVersion(event.routingConfiguration) !== current,
  );
  const latest = candidates.reduce<(typeof candidates)[number] | undefined>(
    (best, event) => (best && best.endDate >= event.endDate ? best : event),
    undefined,
  );
  const target = latest ? routedVersion(latest.routingConfiguration) : null;
  if (!latest || target === null) {
    return notFound(
      `the alias's history (${history.length} event${history.length === 1 ? "" : "s"} in agentAliasHistoryEvents) ` +
        `shows no ended routing to a single numbered version other than the current ${current}`,
    );
  }
  const lastLive = latest.endDate.toISOString();
  return {
    targetVersion: target,
    targetLastLiveAt: lastLive,
    found: true,
    why: `version ${target} was live until ${lastLive}: the most recent version other than the current ${current} in the alias's history`,
  };
}

/**
 * Find the version a Bedrock agent alias should be rolled back to (read-only): one GetAgentAlias, and the
 * choice made from the service's own record of the alias's routing (`agentAliasHistoryEvents`, which keeps
 * the last ten changes), never from alert text. Its output is what the approval card shows and what the
 * route action is then given: the current version (expected) and the target.
 */
export const findAgentAliasRollbackTarget = defineAction({
  name: "bedrock-agent.find-alias-rollback-target",
  description:
    "Find the version an Amazon Bedrock agent alias was routed to before its current one, from the alias's " +
    "own history (bedrock:GetAgentAlias; read-only).",
  input: z.object({ aliasArn: AliasArn }),
  output: z.object({
    agentId: z.string(),
    agentAliasId: z.string(),
    aliasName: z.string(),
    /** The single version the alias routes to now; null when it routes to none or to several. */
    currentVersion: z.string().nullable(),
    targetVersion: z.string().nullable(),
    /** When the target stopped being live (its history event's end), ISO 8601. */
    targetLastLiveAt: z.string().nullable(),
    chosenBy: z.string(),
    found: z.boolean(),
    why: z.string(),
  }),
  secrets: [],
  iam: [readAliasIam],
  reversible: false,
  blastRadius: { maxWrites: 0, low: true },
  timeoutSeconds: 30,
  async plan(input, context) {
    const ref = aliasRef(input.aliasArn);
    const alias = await readAlias(context, ref);
    const output = {
      ...aliasIdentity(alias, ref),
      currentVersion: routedVersion(alias.routingConfiguration),
      chosenBy: CHOSEN_BY,
      ...chooseRollbackTarget(alias),
    };
    return { output, writes: [] };
  },
});
