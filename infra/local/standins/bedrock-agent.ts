/**
 * Local stand-in for Agents for Amazon Bedrock's build-time API (not AWS): the REST JSON operations Quell sends
 * through the AWS SDK v3 BedrockAgentClient, as that client sends them (trailing slashes as the SDK sends them):
 *   GetAgentAlias           GET  /agents/{agentId}/agentaliases/{agentAliasId}/                  → 200 {agentAlias}
 *   UpdateAgentAlias        PUT  /agents/{agentId}/agentaliases/{agentAliasId}/                  → 202 {agentAlias}
 *   GetAgent                GET  /agents/{agentId}/                                              → 200 {agent}
 *   PrepareAgent            POST /agents/{agentId}/                                              → 202
 *   GetAgentVersion         GET  /agents/{agentId}/agentversions/{agentVersion}/                 → 200
 *   ListAgentActionGroups   POST /agents/{agentId}/agentversions/{agentVersion}/actiongroups/    → 200
 *   GetAgentActionGroup     GET  /agents/{agentId}/agentversions/{agentVersion}/actiongroups/{id}/ → 200
 *   UpdateAgentActionGroup  PUT  /agents/{agentId}/agentversions/DRAFT/actiongroups/{id}/        → 200
 *   ListKnowledgeBases      POST /knowledgebases/                                                → 200
 *   ListDataSources         POST /knowledgebases/{kb}/datasources/                               → 200
 *   GetDataSource           GET  /knowledgebases/{kb}/datasources/{ds}                           → 200
 *   StartIngestionJob       PUT  /knowledgebases/{kb}/datasources/{ds}/ingestionjobs/            → 202
 *   GetIngestionJob         GET  /knowledgebases/{kb}/datasources/{ds}/ingestionjobs/{job}       → 200
 *   ListIngestionJobs       POST /knowledgebases/{kb}/datasources/{ds}/ingestionjobs/            → 200
 * Agents, versions and action groups are in bedrock-agent-action-groups.ts, knowledge bases in
 * bedrock-knowledge-bases.ts (each with its documentation URLs); the aliases are here, as documented at
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_GetAgentAlias.html,
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_UpdateAgentAlias.html and
 * https://docs.aws.amazon.com/bedrock/latest/userguide/deploy-agent.html. Requests must carry a SigV4
 * Authorization scoped to the `bedrock` signing service, the one BedrockAgentClient signs for (the signature itself
 * is not checked). Errors are REST JSON: the type in `x-amzn-ErrorType`, `{"message"}` in the body.
 *
 * Each alias keeps its history as the service does (`agentAliasHistoryEvents`, oldest first here, at most 10):
 * a change of routing ends the open event (endDate) and opens one for the new routing. After an UpdateAgentAlias
 * the alias reads UPDATING for `updatingReads` reads (default 1: the service applies an update asynchronously),
 * then PREPARED. A PUT routed to a version the agent does not have is a 400 ValidationException. A PUT without
 * routingConfiguration creates a new version, as the deployment guide says: the highest version number plus one,
 * a snapshot of the prepared draft (its fields and action groups, every field frozen), and routes the alias to
 * it; the draft must be PREPARED (NOT_PREPARED → 400 ValidationException, PREPARING → 409 ConflictException; the
 * service documents neither message nor status). The stand-in is stricter than the service where the service's
 * behaviour is not documented: it refuses an empty routingConfiguration (omit it to create a version) and members
 * UpdateAgentAlias does not have. Reach it with `AWS_ENDPOINT_URL_BEDROCK_AGENT`.
 */
import {
  type AgentState,
  actionGroupView,
  agentRoutes,
  agentView,
  createAgentState,
  createVersion,
  setActionGroupStateByHand,
  updateDraftByHand,
} from "./bedrock-agent-action-groups.js";
import {
  type ActionGroupState,
  type AgentAliasSeed,
  type AgentFieldsSeed,
  type AgentSeed,
  type AliasRouting,
  BEDROCK_AGENT_ACCOUNT,
  BEDROCK_AGENT_REGION,
  bedrockAgentSeed,
  bedrockKnowledgeBaseSeed,
  type InvocationState,
  type KnowledgeBaseSeed,
} from "./bedrock-agent-seed.js";
import {
  type AgentRoute,
  agentError,
  constraint,
  invalid,
  jsonBody,
  NAME,
  notFound,
  paramProblem,
  SIGV4_BEDROCK,
  VERSION,
} from "./bedrock-agent-shared.js";
import { type DocumentsOf, type IngestionJobRecord, knowledgeBases } from "./bedrock-knowledge-bases.js";
import { isRecord, matchPath, type Standin, type StandinResponse, startStandin } from "./server.js";

export * from "./bedrock-agent-seed.js";
export type {
  DocumentsOf,
  IngestionJobRecord,
  IngestionJobStatus,
  IngestionStatistics,
} from "./bedrock-knowledge-bases.js";

export interface BedrockAgentStandinOptions {
  accountId?: string;
  region?: string;
  /** Default: [bedrockAgentSeed()]. */
  agents?: AgentSeed[];
  /** How many reads after an UpdateAgentAlias see UPDATING before PREPARED; default 1. */
  updatingReads?: number;
  /** How many GetAgent reads after a PrepareAgent see PREPARING before PREPARED; default 1. */
  preparingReads?: number;
  /** Default: [bedrockKnowledgeBaseSeed()]. */
  knowledgeBases?: KnowledgeBaseSeed[];
  /** How many GetIngestionJob reads see STARTING, then IN_PROGRESS, before COMPLETE; default 1 each. */
  ingestionReads?: number;
  /** The documents a data source holds when an ingestion job completes; default: those indexed already. */
  documentsOf?: DocumentsOf;
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
  /** The operations received (`GetAgentAlias`, `GetAgent`, …, or the method and path), refused ones included. */
  operations(): string[];
  /** Route the alias to `version` as a human would in the console (history kept, PREPARED at once). */
  routeByHand(agentId: string, agentAliasId: string, version: string): void;
  /** Pause or resume the alias as a human would in the console. */
  setInvocationStateByHand(agentId: string, agentAliasId: string, state: InvocationState): void;
  /** The agent (its draft) as GetAgent would return it now (without using up a PREPARING read), or undefined. */
  agent(agentId: string): Record<string, unknown> | undefined;
  /** The action group of `version` ("DRAFT" or a number) as GetAgentActionGroup would return it, or undefined. */
  actionGroup(agentId: string, version: string, actionGroupId: string): Record<string, unknown> | undefined;
  /** The agent's numbered versions, in order of creation. */
  agentVersions(agentId: string): string[];
  /** A human edits the draft's fields in the console: a new updatedAt, NOT_PREPARED. */
  updateDraftByHand(agentId: string, changes: AgentFieldsSeed): void;
  /** A human enables or disables an action group of the draft in the console: NOT_PREPARED. */
  setActionGroupStateByHand(agentId: string, actionGroupId: string, state: ActionGroupState): void;
  /** Every ingestion job started, in order, with the clientToken that started it. */
  ingestionJobs(): IngestionJobRecord[];
  /** The documents (`s3://bucket/key`) the knowledge base indexes from the data source now. */
  indexedDocuments(knowledgeBaseId: string, dataSourceId: string): string[];
  /** Let every running ingestion job complete now (documentsOf is called), as if enough reads had happened. */
  completeIngestionJobs(): Promise<void>;
}

interface StoredAlias {
  seed: AgentAliasSeed;
  /** Reads left that see UPDATING. */
  updatingReads: number;
}

interface StoredAgent {
  state: AgentState;
  aliases: Map<string, StoredAlias>;
}

const ALIAS_PATH = "/agents/:agentId/agentaliases/:agentAliasId/";
const PROVISIONED_THROUGHPUT =
  /^((([0-9a-zA-Z][_-]?){1,63})|(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:provisioned-model\/[a-z0-9]{12}))$/;
const UPDATE_MEMBERS = new Set([
  "agentAliasName",
  "description",
  "routingConfiguration",
  "aliasInvocationState",
]);
const MAX_HISTORY = 10;

/** What is wrong with an UpdateAgentAlias body for an agent with `versions`, or undefined. */
function updateProblem(body: Record<string, unknown>, versions: readonly string[]): string | undefined {
  const unknown = Object.keys(body).filter((member) => !UPDATE_MEMBERS.has(member));
  if (unknown.length > 0) return `UpdateAgentAlias has no member ${unknown.join(", ")}`;
  const { agentAliasName, description, routingConfiguration, aliasInvocationState } = body;
  if (typeof agentAliasName !== "string" || !NAME.test(agentAliasName))
    return constraint("agentAliasName", agentAliasName, NAME.source);
  if (description !== undefined && (typeof description !== "string" || !/^.{1,200}$/s.test(description)))
    return "Value at 'description' failed to satisfy constraint: length between 1 and 200";
  if (
    aliasInvocationState !== undefined &&
    aliasInvocationState !== "ACCEPT_INVOCATIONS" &&
    aliasInvocationState !== "REJECT_INVOCATIONS"
  )
    return constraint(
      "aliasInvocationState",
      aliasInvocationState,
      "ACCEPT_INVOCATIONS | REJECT_INVOCATIONS",
    );
  if (routingConfiguration === undefined) return undefined;
  if (!Array.isArray(routingConfiguration) || routingConfiguration.length > 1)
    return "Value at 'routingConfiguration' failed to satisfy constraint: at most 1 item";
  if (routingConfiguration.length === 0)
    return "this stand-in refuses an empty routingConfiguration: omit it to create a version from the draft";
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
  const agents = new Map<string, StoredAgent>(
    (options.agents ?? [bedrockAgentSeed()]).map((seed) => {
      const aliases = new Map<string, StoredAlias>(
        seed.aliases.map((alias) => [alias.agentAliasId, { seed: structuredClone(alias), updatingReads: 0 }]),
      );
      const state = createAgentState(seed, accountId, region, options.preparingReads ?? 1);
      return [seed.agentId, { state, aliases }];
    }),
  );
  const kb = knowledgeBases({
    knowledgeBases: options.knowledgeBases ?? [bedrockKnowledgeBaseSeed()],
    ingestionReads: options.ingestionReads ?? 1,
    ...(options.documentsOf ? { documentsOf: options.documentsOf } : {}),
  });
  const updates: AliasUpdate[] = [];
  const find = (agentId: string, agentAliasId: string) => agents.get(agentId)?.aliases.get(agentAliasId);
  const found = (agentId: string, agentAliasId: string) => {
    const stored = find(agentId, agentAliasId);
    if (!stored) throw new Error(`no alias ${agentId}/${agentAliasId} in the Bedrock Agent stand-in`);
    return stored;
  };
  const agentFound = (agentId: string) => {
    const stored = agents.get(agentId);
    if (!stored) throw new Error(`no agent ${agentId} in the Bedrock Agent stand-in`);
    return stored.state;
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

  const aliasOf = (
    params: Record<string, string>,
  ): { agent: StoredAgent; stored: StoredAlias } | { error: StandinResponse } => {
    const agent = agents.get(params.agentId ?? "");
    if (!agent) return { error: notFound(`Agent ${params.agentId} was not found.`) };
    const stored = agent.aliases.get(params.agentAliasId ?? "");
    if (!stored)
      return {
        error: notFound(`Agent alias ${params.agentAliasId} of agent ${params.agentId} was not found.`),
      };
    return { agent, stored };
  };

  function updateAlias(params: Record<string, string>, body: Record<string, unknown>): StandinResponse {
    const located = aliasOf(params);
    if ("error" in located) return located.error;
    const { agent, stored } = located;
    const problem = updateProblem(body, [...agent.state.versions.keys()]);
    if (problem) return invalid(problem);
    const at = new Date();
    let routing = body.routingConfiguration as unknown[] | undefined;
    if (routing === undefined) {
      const created = createVersion(agent.state, at.toISOString());
      if ("error" in created) return created.error;
      routing = [{ agentVersion: created.version }];
    }
    const { seed } = stored;
    seed.agentAliasName = String(body.agentAliasName);
    if (typeof body.description === "string") seed.description = body.description;
    else delete seed.description;
    if (body.aliasInvocationState) seed.aliasInvocationState = body.aliasInvocationState as InvocationState;
    reroute(seed, routingFrom(routing), at.toISOString());
    seed.updatedAt = at.toISOString();
    stored.updatingReads = updatingReads;
    updates.push({
      agentId: agent.state.agentId,
      agentAliasId: seed.agentAliasId,
      body: structuredClone(body),
      at,
    });
    const agentAlias = view(agent.state.agentId, stored, updatingReads > 0 ? "UPDATING" : "PREPARED");
    return { status: 202, body: { agentAlias } };
  }

  const routes: AgentRoute[] = [
    {
      operation: "GetAgentAlias",
      method: "GET",
      path: ALIAS_PATH,
      handle(params) {
        const located = aliasOf(params);
        if ("error" in located) return located.error;
        return { status: 200, body: { agentAlias: read(located.agent.state.agentId, located.stored) } };
      },
    },
    {
      operation: "UpdateAgentAlias",
      method: "PUT",
      path: ALIAS_PATH,
      handle(params, request) {
        const located = aliasOf(params);
        if ("error" in located) return located.error;
        const parsed = jsonBody(request);
        return "error" in parsed ? parsed.error : updateAlias(params, parsed.body);
      },
    },
    ...agentRoutes((agentId) => agents.get(agentId)?.state),
    ...kb.routes,
  ];
  const routeOf = (method: string, path: string) => {
    for (const route of routes) {
      if (route.method !== method) continue;
      const params = matchPath(route.path, path);
      if (params) return { route, params };
    }
    return undefined;
  };

  const standin = await startStandin({
    name: "Agents for Amazon Bedrock",
    faultResponse: (status) =>
      status === 429
        ? agentError(429, "ThrottlingException", "Rate exceeded")
        : status === 409
          ? agentError(409, "ConflictException", "A conflicting operation is in progress on the resource.")
          : agentError(status, "InternalServerException", "Internal server error. Try again later."),
    ...(options.port !== undefined ? { port: options.port } : {}),
    handle(request) {
      const matched = routeOf(request.method, request.path);
      if (!matched)
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
      return paramProblem(matched.route, matched.params) ?? matched.route.handle(matched.params, request);
    },
  });

  return Object.assign(standin, {
    updates,
    alias(agentId: string, agentAliasId: string) {
      const stored = find(agentId, agentAliasId);
      return stored ? view(agentId, stored, stored.updatingReads > 0 ? "UPDATING" : "PREPARED") : undefined;
    },
    operations() {
      return standin.requests.map(
        (request) =>
          routeOf(request.method, request.path)?.route.operation ?? `${request.method} ${request.path}`,
      );
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
    agent(agentId: string) {
      const stored = agents.get(agentId);
      return stored ? agentView(stored.state, false) : undefined;
    },
    actionGroup(agentId: string, version: string, actionGroupId: string) {
      const stored = agents.get(agentId);
      return stored ? actionGroupView(stored.state, version, actionGroupId) : undefined;
    },
    agentVersions(agentId: string) {
      return [...agentFound(agentId).versions.keys()];
    },
    updateDraftByHand(agentId: string, changes: AgentFieldsSeed) {
      updateDraftByHand(agentFound(agentId), changes);
    },
    setActionGroupStateByHand(agentId: string, actionGroupId: string, state: ActionGroupState) {
      setActionGroupStateByHand(agentFound(agentId), actionGroupId, state);
    },
    ingestionJobs: kb.ingestionJobs,
    indexedDocuments: kb.indexedDocuments,
    completeIngestionJobs: kb.completeIngestionJobs,
  });
}
