import { setTimeout as sleep } from "node:timers/promises";
import {
  type AgentAlias,
  type AgentAliasRoutingConfigurationListItem,
  type AliasInvocationState,
  GetAgentAliasCommand,
  UpdateAgentAliasCommand,
  type UpdateAgentAliasRequest,
} from "@aws-sdk/client-bedrock-agent";
import * as z from "zod";
import { QuellError, ValidationError } from "../shared/errors.js";
import type { ActionContext, IamNeed, Write } from "./contract.js";

/**
 * What the Bedrock agent alias actions share: the alias ARN they take, the GetAgentAlias read, and the
 * UpdateAgentAlias request that writes the alias back with one thing changed. UpdateAgentAlias is a PUT: every
 * updatable field it is not sent may be reset, so the request carries everything the alias has (name,
 * description, routing with its provisioned throughput, invocation state) as GetAgentAlias read it.
 */

/**
 * An agent alias ARN as Bedrock writes it (`agentAliasArn`): partition, region, 12-digit account, then the agent
 * id and the alias id (10 upper-case letters or digits each). Anchored: another service's ARN, a path, a second
 * line or anything around it is refused before any call.
 */
export const AGENT_ALIAS_ARN =
  /^arn:(aws(?:-[a-z]+)*):bedrock:([a-z]{2}(?:-[a-z]+)+-\d{1,2}):(\d{12}):agent-alias\/([0-9A-Z]{10})\/([0-9A-Z]{10})$/;

export const AliasArn = z
  .string()
  .max(2048)
  .regex(
    AGENT_ALIAS_ARN,
    "must be an agent alias ARN: arn:<partition>:bedrock:<region>:<account>:agent-alias/<agentId>/<agentAliasId>",
  );

/** A numbered agent version as routing takes it ("1" to "99999"); DRAFT is the working copy, never a rollback. */
export const AgentVersion = z
  .string()
  .regex(/^[1-9][0-9]{0,4}$/, "must be a numbered agent version (1 to 99999), not DRAFT");

export const INVOCATION_STATES = ["ACCEPT_INVOCATIONS", "REJECT_INVOCATIONS"] as const;

/** The alias every read and write names, from its (already validated) ARN. */
export interface AliasRef {
  readonly agentId: string;
  readonly agentAliasId: string;
  readonly region: string;
}

export function aliasRef(aliasArn: string): AliasRef {
  const [, , region, , agentId, agentAliasId] = AGENT_ALIAS_ARN.exec(aliasArn) ?? [];
  if (!region || !agentId || !agentAliasId) throw new ValidationError(`not an agent alias ARN: ${aliasArn}`);
  return { agentId, agentAliasId, region };
}

// biome-ignore lint/suspicious/noTemplateCurlyInString: placeholders that infra fills per stack.
const ALIAS_RESOURCE = "arn:${Partition}:bedrock:${Region}:${Account}:agent-alias/*/*";

/**
 * Per the Service Authorization Reference, GetAgentAlias and UpdateAgentAlias each take the `agent-alias`
 * resource alone (no agent resource, no dependent action).
 */
export const readAliasIam: IamNeed = { actions: ["bedrock:GetAgentAlias"], resources: [ALIAS_RESOURCE] };
export const updateAliasIam: IamNeed = {
  actions: ["bedrock:GetAgentAlias", "bedrock:UpdateAgentAlias"],
  resources: [ALIAS_RESOURCE],
};

/**
 * The alias as GetAgentAlias returns it now. The client calls one region: an alias in another one would be
 * "not found" there, so it is refused up front, saying why.
 */
export async function readAlias(context: ActionContext, ref: AliasRef): Promise<AgentAlias> {
  const client = context.aws.bedrockAgent();
  const clientRegion = await client.config.region();
  if (clientRegion !== ref.region) {
    throw new ValidationError(
      `the alias is in ${ref.region}, but this action calls Bedrock in ${clientRegion}: nothing was read or written`,
    );
  }
  const { agentId, agentAliasId } = ref;
  const { agentAlias } = await client.send(new GetAgentAliasCommand({ agentId, agentAliasId }));
  if (!agentAlias)
    throw new QuellError(`GetAgentAlias ${agentId}/${agentAliasId} answered without the alias`);
  return agentAlias;
}

/**
 * The waits between reads while an agent change Bedrock applies asynchronously settles (about 28 s in all, inside
 * the actions' timeout): an alias update (UPDATING, then PREPARED or FAILED) and PrepareAgent on the draft
 * (PREPARING, then PREPARED).
 */
export const AGENT_SETTLE_WAITS_MS = [250, 500, 1000, 2000, 4000, 4000, 4000, 4000, 4000, 4000] as const;

/** UpdateAgentAlias applies asynchronously: a read-back waits out UPDATING before judging the result. */
export async function readSettledAlias(context: ActionContext, ref: AliasRef): Promise<AgentAlias> {
  let alias = await readAlias(context, ref);
  for (const wait of AGENT_SETTLE_WAITS_MS) {
    if (alias.agentAliasStatus !== "UPDATING") break;
    await sleep(wait);
    alias = await readAlias(context, ref);
  }
  return alias;
}

/** The one version the alias routes to; null when it routes to none or to several. */
export const routedVersion = (
  routing: AgentAliasRoutingConfigurationListItem[] | undefined,
): string | null => (routing?.length === 1 ? (routing[0]?.agentVersion ?? null) : null);

/** The routing in words: "version 3", "versions 2 and 3", "no version". */
export function routingText(routing: AgentAliasRoutingConfigurationListItem[] | undefined): string {
  const versions = (routing ?? []).map((item) => item.agentVersion ?? "(none)");
  if (versions.length === 0) return "no version";
  return `${versions.length === 1 ? "version" : "versions"} ${versions.join(" and ")}`;
}

/** How the alias is named in outputs. */
export const aliasIdentity = (alias: AgentAlias, ref: AliasRef) => ({
  agentId: alias.agentId ?? ref.agentId,
  agentAliasId: alias.agentAliasId ?? ref.agentAliasId,
  aliasName: alias.agentAliasName ?? "",
});

/** How the alias is named in messages: `alias "live" (AGT7EXAMPL/ALS4EXAMPL)`. */
export const aliasText = (alias: AgentAlias, ref: AliasRef) =>
  `alias "${alias.agentAliasName ?? ""}" (${ref.agentId}/${ref.agentAliasId})`;

/** What one UpdateAgentAlias changes: the version routed to, or the invocation state. */
export type AliasChange =
  | { readonly agentVersion: string }
  | { readonly aliasInvocationState: AliasInvocationState };

const routingItem = ({ agentVersion, provisionedThroughput }: AgentAliasRoutingConfigurationListItem) => ({
  agentVersion,
  ...(provisionedThroughput ? { provisionedThroughput } : {}),
});

/**
 * The UpdateAgentAlias request that keeps everything `alias` has but `change`. A new version keeps the
 * provisioned throughput the alias routes through (the routing item carries it; the API takes it there).
 */
export function updateKeepingAllBut(
  alias: AgentAlias,
  ref: AliasRef,
  change: AliasChange,
): UpdateAgentAliasRequest {
  const { description, routingConfiguration } = alias;
  const routing =
    "agentVersion" in change
      ? [routingItem({ ...routingConfiguration?.[0], agentVersion: change.agentVersion })]
      : routingConfiguration?.map(routingItem);
  const aliasInvocationState =
    "aliasInvocationState" in change ? change.aliasInvocationState : alias.aliasInvocationState;
  return {
    agentId: ref.agentId,
    agentAliasId: ref.agentAliasId,
    agentAliasName: alias.agentAliasName,
    ...(description !== undefined ? { description } : {}),
    ...(routing ? { routingConfiguration: routing } : {}),
    ...(aliasInvocationState ? { aliasInvocationState } : {}),
  };
}

export const updateAlias = (context: ActionContext, request: UpdateAgentAliasRequest): Write => ({
  description: { kind: "aws", service: "bedrock-agent", operation: "UpdateAgentAlias", input: request },
  send: () => context.aws.bedrockAgent().send(new UpdateAgentAliasCommand(request)),
});

/**
 * The UpdateAgentAlias request with no routing: Bedrock then makes a new numbered version from the prepared
 * working draft and routes the alias to it (https://docs.aws.amazon.com/bedrock/latest/userguide/deploy-agent.html).
 * Name, description and invocation state are kept.
 */
export function publishDraftRequest(alias: AgentAlias, ref: AliasRef): UpdateAgentAliasRequest {
  const { description, aliasInvocationState } = alias;
  return {
    agentId: ref.agentId,
    agentAliasId: ref.agentAliasId,
    agentAliasName: alias.agentAliasName,
    ...(description !== undefined ? { description } : {}),
    ...(aliasInvocationState ? { aliasInvocationState } : {}),
  };
}
