/**
 * Local stand-in for Agents for Amazon Bedrock's build-time API (not AWS): the two REST JSON operations Quell's
 * `bedrock-agent.*` alias actions send, as the AWS SDK v3 BedrockAgentClient sends them and as documented at
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_GetAgentAlias.html and
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_UpdateAgentAlias.html:
 *   GET /agents/{agentId}/agentaliases/{agentAliasId}/                     → 200 {agentAlias}
 *   PUT /agents/{agentId}/agentaliases/{agentAliasId}/  application/json   → 202 {agentAlias}
 * (trailing slash included, as the SDK sends it). Requests must carry a SigV4 Authorization scoped to the
 * `bedrock` signing service, the one BedrockAgentClient signs for (the signature itself is not checked).
 * Errors are REST JSON: the type in `x-amzn-ErrorType`, `{"message"}` in the body.
 *
 * Each alias keeps its history as the service does (`agentAliasHistoryEvents`, oldest first here, at most 10):
 * a change of routing ends the open event (endDate) and opens one for the new routing. After an UpdateAgentAlias
 * the alias reads UPDATING for `updatingReads` reads (default 1: the service applies an update asynchronously),
 * then PREPARED. A PUT routed to a version the agent does not have is a 400 ValidationException. The stand-in is
 * stricter than the service where the service's behaviour is not documented: it refuses a PUT without
 * routingConfiguration and one with members UpdateAgentAlias does not have. Reach it with
 * `AWS_ENDPOINT_URL_BEDROCK_AGENT`.
 */
import { randomUUID } from "node:crypto";
import { isRecord, matchPath, type Standin, type StandinResponse, startStandin } from "./server.js";

export type InvocationState = "ACCEPT_INVOCATIONS" | "REJECT_INVOCATIONS";

export interface AliasRouting {
  agentVersion: string;
  provisionedThroughput?: string;
}

export interface AliasHistoryEvent {
  routingConfiguration: AliasRouting[];
  /** ISO 8601. */
  startDate: string;
  /** ISO 8601; absent for the routing that is live now. */
  endDate?: string;
}

export interface AgentAliasSeed {
  agentAliasId: string;
  agentAliasName: string;
  description?: string;
  routingConfiguration: AliasRouting[];
  aliasInvocationState?: InvocationState;
  createdAt: string;
  updatedAt: string;
  history: AliasHistoryEvent[];
}

export interface AgentSeed {
  agentId: string;
  agentName: string;
  /** The numbered versions the agent has (DRAFT it always has). */
  versions: string[];
  aliases: AgentAliasSeed[];
}

export const BEDROCK_AGENT_ACCOUNT = "111122223333";
export const BEDROCK_AGENT_REGION = "us-east-1";
export const BEDROCK_AGENT_ID = "AGT7EXAMPL";
export const BEDROCK_AGENT_ALIAS_ID = "ALS4EXAMPL";
export const BEDROCK_AGENT_ALIAS_ARN = `arn:aws:bedrock:${BEDROCK_AGENT_REGION}:${BEDROCK_AGENT_ACCOUNT}:agent-alias/${BEDROCK_AGENT_ID}/${BEDROCK_AGENT_ALIAS_ID}`;

/**
 * The support chat agent with versions 1 to 3 and its alias "live", on version 3 since 2026-11-28 (after 1 and
 * 2), with `aliasChanges` applied to the alias (another routing, no history, paused, …).
 */
export function bedrockAgentSeed(aliasChanges: Partial<AgentAliasSeed> = {}): AgentSeed {
  const v = (agentVersion: string) => [{ agentVersion }];
  return {
    agentId: BEDROCK_AGENT_ID,
    agentName: "support-chat-agent",
    versions: ["1", "2", "3"],
    aliases: [
      {
        agentAliasId: BEDROCK_AGENT_ALIAS_ID,
        agentAliasName: "live",
        description: "Production alias of the support chat agent",
        routingConfiguration: v("3"),
        aliasInvocationState: "ACCEPT_INVOCATIONS",
        createdAt: "2026-06-01T00:00:00.000Z",
        updatedAt: "2026-11-28T00:00:00.000Z",
        history: [
          {
            routingConfiguration: v("1"),
            startDate: "2026-06-01T00:00:00.000Z",
            endDate: "2026-09-15T00:00:00.000Z",
          },
          {
            routingConfiguration: v("2"),
            startDate: "2026-09-15T00:00:00.000Z",
            endDate: "2026-11-28T00:00:00.000Z",
          },
          { routingConfiguration: v("3"), startDate: "2026-11-28T00:00:00.000Z" },
        ],
        ...aliasChanges,
      },
    ],
  };
}

export interface BedrockAgentStandinOptions {
  accountId?: string;
  region?: string;
  /** Default: [bedrockAgentSeed()]. */
  agents?: AgentSeed[];
  /** How many reads after an UpdateAgentAlias see UPDATING before PREPARED; default 1. */
  updatingReads?: number;
  port?: number;
}

/** One UpdateAgentAlias the stand-in applied, in order: the body exactly as sent. */
export interface AliasUpdate {
  agentId: string;
  agentAliasId: string;
  body: Record<string, unknown>;
  at: Date;
}

export interface BedrockAgentStandin extends Standin {
  /** The alias exactly as GetAgentAlias would return it now (without using up an UPDATING read), or undefined. */
  alias(agentId: string, agentAliasId: string): Record<string, unknown> | undefined;
  /** Every UpdateAgentAlias applied, in order. */
  updates: AliasUpdate[];
  /** The operations received (`GetAgentAlias`, `UpdateAgentAlias`, or the method and path), refused ones included. */
  operations(): string[];
  /** Route the alias to `version` as a human would in the console (history kept, PREPARED at once). */
  routeByHand(agentId: string, agentAliasId: string, version: string): void;
  /** Pause or resume the alias as a human would in the console. */
  setInvocationStateByHand(agentId: string, agentAliasId: string, state: InvocationState): void;
}

interface StoredAlias {
  seed: AgentAliasSeed;
  /** Reads left that see UPDATING. */
  updatingReads: number;
}

const ALIAS_PATH = "/agents/:agentId/agentaliases/:agentAliasId/";
const AGENT_ID = /^[0-9a-zA-Z]{10}$/;
const AGENT_ALIAS_ID = /^(?=.{10}$)(\bTSTALIASID\b|[0-9a-zA-Z]+)$/;
const ALIAS_NAME = /^([0-9a-zA-Z][_-]?){1,100}$/;
const VERSION = /^(DRAFT|[0-9]{0,4}[1-9][0-9]{0,4})$/;
const PROVISIONED_THROUGHPUT =
  /^((([0-9a-zA-Z][_-]?){1,63})|(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:provisioned-model\/[a-z0-9]{12}))$/;
const UPDATE_MEMBERS = new Set([
  "agentAliasName",
  "description",
  "routingConfiguration",
  "aliasInvocationState",
]);
const MAX_HISTORY = 10;
/** `AWS4-HMAC-SHA256 Credential=<id>/<date>/<region>/bedrock/aws4_request, SignedHeaders=…, Signature=…` */
const SIGV4_BEDROCK =
  /^AWS4-HMAC-SHA256 Credential=[^/\s]+\/\d{8}\/[a-z0-9-]+\/bedrock\/aws4_request, ?SignedHeaders=[^,]+, ?Signature=[0-9a-f]{64}$/;

function agentError(status: number, type: string, message: string): StandinResponse {
  return {
    status,
    body: { message },
    headers: { "x-amzn-errortype": type, "x-amzn-requestid": randomUUID() },
  };
}

const invalid = (message: string) => agentError(400, "ValidationException", message);

const operationOf = (method: string, path: string) =>
  !matchPath(ALIAS_PATH, path)
    ? `${method} ${path}`
    : method === "GET"
      ? "GetAgentAlias"
      : method === "PUT"
        ? "UpdateAgentAlias"
        : `${method} ${path}`;

/** What is wrong with an UpdateAgentAlias body for an agent with `versions`, or undefined. */
function updateProblem(body: Record<string, unknown>, versions: readonly string[]): string | undefined {
  const unknown = Object.keys(body).filter((member) => !UPDATE_MEMBERS.has(member));
  if (unknown.length > 0) return `UpdateAgentAlias has no member ${unknown.join(", ")}`;
  const { agentAliasName, description, routingConfiguration, aliasInvocationState } = body;
  if (typeof agentAliasName !== "string" || !ALIAS_NAME.test(agentAliasName))
    return `Value '${String(agentAliasName)}' at 'agentAliasName' failed to satisfy constraint: ${ALIAS_NAME.source}`;
  if (description !== undefined && (typeof description !== "string" || !/^.{1,200}$/s.test(description)))
    return "Value at 'description' failed to satisfy constraint: length between 1 and 200";
  if (
    aliasInvocationState !== undefined &&
    aliasInvocationState !== "ACCEPT_INVOCATIONS" &&
    aliasInvocationState !== "REJECT_INVOCATIONS"
  )
    return `Value '${String(aliasInvocationState)}' at 'aliasInvocationState' failed to satisfy constraint: ACCEPT_INVOCATIONS | REJECT_INVOCATIONS`;
  if (routingConfiguration === undefined)
    return "this stand-in requires routingConfiguration on UpdateAgentAlias";
  if (!Array.isArray(routingConfiguration) || routingConfiguration.length > 1)
    return "Value at 'routingConfiguration' failed to satisfy constraint: at most 1 item";
  for (const item of routingConfiguration as unknown[]) {
    if (!isRecord(item) || typeof item.agentVersion !== "string" || !VERSION.test(item.agentVersion))
      return `Value at 'routingConfiguration.1.member.agentVersion' failed to satisfy constraint: ${VERSION.source}`;
    const { provisionedThroughput: throughput } = item;
    if (
      throughput !== undefined &&
      (typeof throughput !== "string" || !PROVISIONED_THROUGHPUT.test(throughput))
    )
      return "Value at 'routingConfiguration.1.member.provisionedThroughput' failed to satisfy constraint";
    if (item.agentVersion !== "DRAFT" && !versions.includes(item.agentVersion))
      return `Agent version ${item.agentVersion} does not exist for this agent.`;
  }
  return undefined;
}

const sameRouting = (a: readonly AliasRouting[], b: readonly AliasRouting[]) =>
  JSON.stringify(a) === JSON.stringify(b);

/** Route the alias to `routing` at `at`: the open history event ends, a new one opens (the last 10 are kept). */
function reroute(seed: AgentAliasSeed, routing: AliasRouting[], at: string): void {
  if (sameRouting(seed.routingConfiguration, routing)) return;
  const open = seed.history.find((event) => event.endDate === undefined);
  if (open) open.endDate = at;
  else
    seed.history.push({
      routingConfiguration: seed.routingConfiguration,
      startDate: seed.updatedAt,
      endDate: at,
    });
  seed.history.push({ routingConfiguration: routing, startDate: at });
  seed.history = seed.history.slice(-MAX_HISTORY);
  seed.routingConfiguration = routing;
}

const routingFrom = (items: unknown[]): AliasRouting[] =>
  items.filter(isRecord).map(({ agentVersion, provisionedThroughput }) => ({
    agentVersion: String(agentVersion),
    ...(typeof provisionedThroughput === "string" ? { provisionedThroughput } : {}),
  }));

export async function startBedrockAgentStandin(
  options: BedrockAgentStandinOptions = {},
): Promise<BedrockAgentStandin> {
  const accountId = options.accountId ?? BEDROCK_AGENT_ACCOUNT;
  const region = options.region ?? BEDROCK_AGENT_REGION;
  const updatingReads = options.updatingReads ?? 1;
  const agents = new Map(
    (options.agents ?? [bedrockAgentSeed()]).map((seed) => {
      const aliases = new Map<string, StoredAlias>(
        seed.aliases.map((alias) => [alias.agentAliasId, { seed: structuredClone(alias), updatingReads: 0 }]),
      );
      return [seed.agentId, { versions: [...seed.versions], aliases }];
    }),
  );
  const updates: AliasUpdate[] = [];
  const find = (agentId: string, agentAliasId: string) => agents.get(agentId)?.aliases.get(agentAliasId);
  const found = (agentId: string, agentAliasId: string) => {
    const stored = find(agentId, agentAliasId);
    if (!stored) throw new Error(`no alias ${agentId}/${agentAliasId} in the Bedrock Agent stand-in`);
    return stored;
  };

  const view = (agentId: string, stored: StoredAlias, status: string) => {
    const { seed } = stored;
    return {
      agentId,
      agentAliasId: seed.agentAliasId,
      agentAliasName: seed.agentAliasName,
      agentAliasArn: `arn:aws:bedrock:${region}:${accountId}:agent-alias/${agentId}/${seed.agentAliasId}`,
      ...(seed.description !== undefined ? { description: seed.description } : {}),
      routingConfiguration: structuredClone(seed.routingConfiguration),
      createdAt: seed.createdAt,
      updatedAt: seed.updatedAt,
      agentAliasHistoryEvents: structuredClone(seed.history),
      agentAliasStatus: status,
      ...(seed.aliasInvocationState ? { aliasInvocationState: seed.aliasInvocationState } : {}),
    };
  };
  /** What a read sees now, using up one UPDATING read when some are left. */
  const read = (agentId: string, stored: StoredAlias) => {
    const updating = stored.updatingReads > 0;
    if (updating) stored.updatingReads -= 1;
    return view(agentId, stored, updating ? "UPDATING" : "PREPARED");
  };

  const standin = await startStandin({
    name: "Agents for Amazon Bedrock",
    faultResponse: (status) =>
      status === 429
        ? agentError(429, "ThrottlingException", "Rate exceeded")
        : status === 409
          ? agentError(409, "ConflictException", "The alias is being updated.")
          : agentError(status, "InternalServerException", "Internal server error. Try again later."),
    ...(options.port !== undefined ? { port: options.port } : {}),
    handle(request) {
      const params = matchPath(ALIAS_PATH, request.path);
      if (!params || (request.method !== "GET" && request.method !== "PUT"))
        return agentError(
          404,
          "UnknownOperationException",
          `${request.method} ${request.path} is not served here`,
        );
      if (!request.authorization)
        return agentError(403, "MissingAuthenticationTokenException", "Missing Authentication Token");
      if (!SIGV4_BEDROCK.test(request.authorization))
        return agentError(
          403,
          "IncompleteSignatureException",
          "The request signature is not a SigV4 signature for bedrock",
        );
      const agentId = params.agentId ?? "";
      const agentAliasId = params.agentAliasId ?? "";
      if (!AGENT_ID.test(agentId))
        return invalid(`Value '${agentId}' at 'agentId' failed to satisfy constraint: ${AGENT_ID.source}`);
      if (!AGENT_ALIAS_ID.test(agentAliasId))
        return invalid(
          `Value '${agentAliasId}' at 'agentAliasId' failed to satisfy constraint: ${AGENT_ALIAS_ID.source}`,
        );
      const agent = agents.get(agentId);
      if (!agent) return agentError(404, "ResourceNotFoundException", `Agent ${agentId} was not found.`);
      const stored = agent.aliases.get(agentAliasId);
      if (!stored)
        return agentError(
          404,
          "ResourceNotFoundException",
          `Agent alias ${agentAliasId} of agent ${agentId} was not found.`,
        );

      if (request.method === "GET") return { status: 200, body: { agentAlias: read(agentId, stored) } };

      if (request.bodyParseError || !isRecord(request.body))
        return agentError(400, "SerializationException", "The request body is not a JSON object.");
      const problem = updateProblem(request.body, agent.versions);
      if (problem) return invalid(problem);
      const body = request.body;
      const at = new Date();
      const { seed } = stored;
      seed.agentAliasName = String(body.agentAliasName);
      if (typeof body.description === "string") seed.description = body.description;
      else delete seed.description;
      if (body.aliasInvocationState) seed.aliasInvocationState = body.aliasInvocationState as InvocationState;
      reroute(seed, routingFrom(body.routingConfiguration as unknown[]), at.toISOString());
      seed.updatedAt = at.toISOString();
      stored.updatingReads = updatingReads;
      updates.push({ agentId, agentAliasId, body: structuredClone(body), at });
      return {
        status: 202,
        body: { agentAlias: view(agentId, stored, updatingReads > 0 ? "UPDATING" : "PREPARED") },
      };
    },
  });

  return Object.assign(standin, {
    updates,
    alias(agentId: string, agentAliasId: string) {
      const stored = find(agentId, agentAliasId);
      return stored ? view(agentId, stored, stored.updatingReads > 0 ? "UPDATING" : "PREPARED") : undefined;
    },
    operations() {
      return standin.requests.map((request) => operationOf(request.method, request.path));
    },
    routeByHand(agentId: string, agentAliasId: string, version: string) {
      const { seed } = found(agentId, agentAliasId);
      const at = new Date().toISOString();
      reroute(seed, [{ ...seed.routingConfiguration[0], agentVersion: version }], at);
      seed.updatedAt = at;
    },
    setInvocationStateByHand(agentId: string, agentAliasId: string, state: InvocationState) {
      const { seed } = found(agentId, agentAliasId);
      seed.aliasInvocationState = state;
      seed.updatedAt = new Date().toISOString();
    },
  });
}
