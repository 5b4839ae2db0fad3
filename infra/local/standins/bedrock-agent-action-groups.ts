/**
 * Agents, their versions and their action groups for the Agents for Amazon Bedrock stand-in (see bedrock-agent.ts),
 * as the AWS SDK v3 BedrockAgentClient sends the operations and as documented at
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_GetAgent.html,
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_PrepareAgent.html,
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_GetAgentVersion.html,
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_ListAgentActionGroups.html,
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_GetAgentActionGroup.html and
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_UpdateAgentActionGroup.html:
 *   GET  /agents/{agentId}/                                                         → 200 {agent}
 *   POST /agents/{agentId}/                                                         → 202 {agentId, agentStatus, …}
 *   GET  /agents/{agentId}/agentversions/{agentVersion}/                            → 200 {agentVersion}
 *   POST /agents/{agentId}/agentversions/{agentVersion}/actiongroups/   {maxResults?, nextToken?}
 *                                                                         → 200 {actionGroupSummaries, nextToken?}
 *   GET  /agents/{agentId}/agentversions/{agentVersion}/actiongroups/{actionGroupId}/ → 200 {agentActionGroup}
 *   PUT  /agents/{agentId}/agentversions/DRAFT/actiongroups/{actionGroupId}/           → 200 {agentActionGroup}
 *
 * The agent's working draft (DRAFT) is what PrepareAgent prepares and what UpdateAgentActionGroup changes; numbered
 * versions are frozen snapshots (GetAgentVersion takes only a number; UpdateAgentActionGroup only DRAFT, its
 * documented pattern `^DRAFT$`, so a numbered version is a 400 ValidationException). UpdateAgentActionGroup
 * REPLACES the action group's configuration: a member the body leaves out (description, actionGroupExecutor,
 * apiSchema, functionSchema, parentActionGroupSignature…) is gone afterwards, and the draft becomes NOT_PREPARED
 * with a new updatedAt. PrepareAgent answers PREPARING; the agent reads PREPARING for `preparingReads` GetAgent
 * reads, then PREPARED. Where the service does not document its behaviour the stand-in is stricter: it refuses
 * members UpdateAgentActionGroup does not have, apiSchema together with functionSchema, an empty function list,
 * parentActionGroupSignatureParams without parentActionGroupSignature, PrepareAgent or UpdateAgentActionGroup
 * while the agent is PREPARING (409 ConflictException), and a name another action group of the agent has (409);
 * an UpdateAgentActionGroup without actionGroupState leaves the group ENABLED (the default a new group gets), not
 * as it was. ListAgentActionGroups pages 10 at a time when maxResults is absent (the default is undocumented).
 * Not modelled: PrepareAgent never fails (an action group left without executor or schema still prepares), and
 * the agent does not pass through VERSIONING while UpdateAgentAlias creates a version.
 */

import { actionGroupUpdateProblem, replacedActionGroup } from "./bedrock-agent-action-group-update.js";
import type {
  ActionGroupSeed,
  ActionGroupState,
  AgentDefinitionSeed,
  AgentFieldsSeed,
  AgentStatus,
} from "./bedrock-agent-seed.js";
import {
  type AgentRoute,
  conflict,
  DRAFT_VERSION,
  defined,
  invalid,
  jsonBody,
  listPage,
  NUMBERED_VERSION,
  notFound,
} from "./bedrock-agent-shared.js";
import type { StandinResponse } from "./server.js";

interface AgentFields {
  foundationModel?: string;
  instruction?: string;
  description?: string;
  idleSessionTTLInSeconds: number;
  agentResourceRoleArn: string;
  createdAt: string;
  updatedAt: string;
}

interface Draft extends AgentFields {
  agentStatus: AgentStatus;
  preparedAt?: string;
  /** GetAgent reads left that see PREPARING. */
  preparingReads: number;
}

export interface AgentState {
  agentId: string;
  agentName: string;
  agentArn: string;
  draft: Draft;
  /** Numbered versions, in order of creation. */
  versions: Map<string, AgentFields>;
  /** Action groups by version: "DRAFT" and every numbered version. */
  actionGroups: Map<string, ActionGroupSeed[]>;
  /** How many GetAgent reads see PREPARING after a PrepareAgent. */
  readsWhilePreparing: number;
}

const DEFAULT_DATE = "2026-01-01T00:00:00.000Z";

export const statusOf = (agent: AgentState): AgentStatus =>
  agent.draft.preparingReads > 0 ? "PREPARING" : agent.draft.agentStatus;

export function createAgentState(
  seed: AgentDefinitionSeed,
  accountId: string,
  region: string,
  preparingReads: number,
): AgentState {
  const createdAt = seed.draft?.createdAt ?? DEFAULT_DATE;
  /** `base` with the agent fields `from` sets (only those: a draft seed's status is not a field). */
  const fields = (from: AgentFieldsSeed | undefined, base: AgentFields): AgentFields => {
    const { foundationModel, instruction, description, idleSessionTTLInSeconds, agentResourceRoleArn } =
      from ?? {};
    const set = { foundationModel, instruction, description, idleSessionTTLInSeconds, agentResourceRoleArn };
    const dates = defined({ createdAt: from?.createdAt, updatedAt: from?.updatedAt });
    return structuredClone({ ...base, ...defined(set), ...dates } as AgentFields);
  };
  const draftFields = fields(seed.draft, {
    idleSessionTTLInSeconds: 600,
    agentResourceRoleArn: `arn:aws:iam::${accountId}:role/service-role/AmazonBedrockExecutionRoleForAgents_${seed.agentName}`,
    createdAt,
    updatedAt: seed.draft?.updatedAt ?? createdAt,
  });
  const status = seed.draft?.agentStatus ?? "PREPARED";
  const preparedAt = seed.draft?.preparedAt ?? (status === "PREPARED" ? draftFields.updatedAt : undefined);
  const draft: Draft = {
    ...draftFields,
    agentStatus: status === "PREPARING" ? "PREPARED" : status,
    ...(preparedAt ? { preparedAt } : {}),
    preparingReads: status === "PREPARING" ? preparingReads : 0,
  };
  const versions = new Map(
    seed.versions.map((version) => {
      const base = { ...draftFields, createdAt, updatedAt: createdAt };
      return [version, fields(seed.versionFields?.[version], base)] as const;
    }),
  );
  const actionGroups = new Map<string, ActionGroupSeed[]>([["DRAFT", []]]);
  for (const version of versions.keys()) actionGroups.set(version, []);
  for (const [version, groups] of Object.entries(seed.actionGroups ?? {})) {
    if (!actionGroups.has(version))
      throw new Error(
        `action groups seeded for version ${version}, which agent ${seed.agentId} does not have`,
      );
    actionGroups.set(version, structuredClone(groups));
  }
  return {
    agentId: seed.agentId,
    agentName: seed.agentName,
    agentArn: `arn:aws:bedrock:${region}:${accountId}:agent/${seed.agentId}`,
    draft,
    versions,
    actionGroups,
    readsWhilePreparing: preparingReads,
  };
}

const agentFieldsOf = (fields: AgentFields) =>
  defined({
    foundationModel: fields.foundationModel,
    instruction: fields.instruction,
    description: fields.description,
    idleSessionTTLInSeconds: fields.idleSessionTTLInSeconds,
    agentResourceRoleArn: fields.agentResourceRoleArn,
  });

/** The agent as GetAgent returns it; `consume` uses up one PREPARING read. */
export function agentView(agent: AgentState, consume: boolean): Record<string, unknown> {
  const status = statusOf(agent);
  if (consume && agent.draft.preparingReads > 0) agent.draft.preparingReads -= 1;
  const { draft } = agent;
  return defined({
    agentId: agent.agentId,
    agentName: agent.agentName,
    agentArn: agent.agentArn,
    agentVersion: "DRAFT",
    agentStatus: status,
    ...agentFieldsOf(draft),
    orchestrationType: "DEFAULT",
    createdAt: draft.createdAt,
    updatedAt: draft.updatedAt,
    preparedAt: draft.preparedAt,
  });
}

function versionView(agent: AgentState, version: string, fields: AgentFields): Record<string, unknown> {
  return defined({
    agentId: agent.agentId,
    agentName: agent.agentName,
    agentArn: agent.agentArn,
    version,
    agentStatus: "PREPARED",
    ...agentFieldsOf(fields),
    createdAt: fields.createdAt,
    updatedAt: fields.updatedAt,
  });
}

/** The action group as GetAgentActionGroup returns it, or undefined. */
export function actionGroupView(
  agent: AgentState,
  version: string,
  actionGroupId: string,
): Record<string, unknown> | undefined {
  const group = agent.actionGroups.get(version)?.find((each) => each.actionGroupId === actionGroupId);
  return group ? { agentId: agent.agentId, agentVersion: version, ...structuredClone(group) } : undefined;
}

/** The draft changed (by an update or a human): a new updatedAt, NOT_PREPARED. */
function touchDraft(agent: AgentState, at: string): void {
  agent.draft.updatedAt = at;
  agent.draft.agentStatus = "NOT_PREPARED";
  agent.draft.preparingReads = 0;
}

/** A human edits the draft's own fields in the console. */
export function updateDraftByHand(agent: AgentState, changes: AgentFieldsSeed): void {
  const { foundationModel, instruction, description, idleSessionTTLInSeconds, agentResourceRoleArn } =
    changes;
  Object.assign(
    agent.draft,
    defined({ foundationModel, instruction, description, idleSessionTTLInSeconds, agentResourceRoleArn }),
  );
  touchDraft(agent, new Date().toISOString());
}

/** A human enables or disables an action group of the draft in the console. */
export function setActionGroupStateByHand(
  agent: AgentState,
  actionGroupId: string,
  state: ActionGroupState,
): void {
  const group = agent.actionGroups.get("DRAFT")?.find((each) => each.actionGroupId === actionGroupId);
  if (!group) throw new Error(`no action group ${actionGroupId} in the draft of agent ${agent.agentId}`);
  const at = new Date().toISOString();
  group.actionGroupState = state;
  group.updatedAt = at;
  touchDraft(agent, at);
}

/**
 * A new numbered version (the highest number plus one) snapshotting the prepared draft: its fields and its action
 * groups, every field as the draft has them now. The error to answer when the draft is not prepared.
 */
export function createVersion(
  agent: AgentState,
  at: string,
): { version: string } | { error: StandinResponse } {
  const status = statusOf(agent);
  if (status === "PREPARING")
    return { error: conflict(`Agent ${agent.agentId} is being prepared; try again when it is PREPARED.`) };
  if (status !== "PREPARED")
    return {
      error: invalid(
        `Agent ${agent.agentId} is in ${status} state. Prepare the agent before creating a version from the draft.`,
      ),
    };
  const numbers = [...agent.versions.keys()].map(Number);
  const version = String(Math.max(0, ...numbers) + 1);
  const { agentStatus: _status, preparedAt: _preparedAt, preparingReads: _reads, ...fields } = agent.draft;
  agent.versions.set(version, structuredClone({ ...fields, createdAt: at, updatedAt: at }));
  agent.actionGroups.set(version, structuredClone(agent.actionGroups.get("DRAFT") ?? []));
  return { version };
}

/** The operations on agents, versions and action groups; `find` looks an agent up by id. */
export function agentRoutes(find: (agentId: string) => AgentState | undefined): AgentRoute[] {
  type Found<T> = T | { error: StandinResponse };
  const agentOf = (params: Record<string, string>): Found<{ agent: AgentState }> => {
    const agent = find(params.agentId ?? "");
    return agent ? { agent } : { error: notFound(`Agent ${params.agentId} was not found.`) };
  };
  const groupsOf = (
    params: Record<string, string>,
  ): Found<{ agent: AgentState; groups: ActionGroupSeed[] }> => {
    const found = agentOf(params);
    if ("error" in found) return found;
    const groups = found.agent.actionGroups.get(params.agentVersion ?? "");
    return groups
      ? { agent: found.agent, groups }
      : { error: notFound(`Version ${params.agentVersion} of agent ${params.agentId} was not found.`) };
  };
  const GROUP_PATH = "/agents/:agentId/agentversions/:agentVersion/actiongroups/:actionGroupId/";
  return [
    {
      operation: "GetAgent",
      method: "GET",
      path: "/agents/:agentId/",
      handle(params) {
        const found = agentOf(params);
        return "error" in found
          ? found.error
          : { status: 200, body: { agent: agentView(found.agent, true) } };
      },
    },
    {
      operation: "PrepareAgent",
      method: "POST",
      path: "/agents/:agentId/",
      handle(params) {
        const found = agentOf(params);
        if ("error" in found) return found.error;
        const { draft } = found.agent;
        if (statusOf(found.agent) === "PREPARING")
          return conflict(`Agent ${found.agent.agentId} is already being prepared.`);
        const preparedAt = new Date().toISOString();
        Object.assign(draft, {
          agentStatus: "PREPARED",
          preparedAt,
          preparingReads: found.agent.readsWhilePreparing,
        });
        const body = {
          agentId: found.agent.agentId,
          agentStatus: "PREPARING",
          agentVersion: "DRAFT",
          preparedAt,
        };
        return { status: 202, body };
      },
    },
    {
      operation: "GetAgentVersion",
      method: "GET",
      path: "/agents/:agentId/agentversions/:agentVersion/",
      agentVersion: NUMBERED_VERSION,
      handle(params) {
        const found = agentOf(params);
        if ("error" in found) return found.error;
        const fields = found.agent.versions.get(params.agentVersion ?? "");
        if (!fields)
          return notFound(`Version ${params.agentVersion} of agent ${params.agentId} was not found.`);
        return {
          status: 200,
          body: { agentVersion: versionView(found.agent, params.agentVersion ?? "", fields) },
        };
      },
    },
    {
      operation: "ListAgentActionGroups",
      method: "POST",
      path: "/agents/:agentId/agentversions/:agentVersion/actiongroups/",
      handle(params, request) {
        const found = groupsOf(params);
        if ("error" in found) return found.error;
        const summaries = found.groups.map((group) =>
          defined({
            actionGroupId: group.actionGroupId,
            actionGroupName: group.actionGroupName,
            actionGroupState: group.actionGroupState,
            description: group.description,
            updatedAt: group.updatedAt,
          }),
        );
        const scope = `actiongroups:${params.agentId}:${params.agentVersion}`;
        const listed = listPage(request, "ListAgentActionGroups", summaries, scope);
        if ("error" in listed) return listed.error;
        return {
          status: 200,
          body: defined({ actionGroupSummaries: listed.page, nextToken: listed.nextToken }),
        };
      },
    },
    {
      operation: "GetAgentActionGroup",
      method: "GET",
      path: GROUP_PATH,
      handle(params) {
        const found = groupsOf(params);
        if ("error" in found) return found.error;
        const view = actionGroupView(found.agent, params.agentVersion ?? "", params.actionGroupId ?? "");
        if (!view) return notFound(`Action group ${params.actionGroupId} was not found.`);
        return { status: 200, body: { agentActionGroup: view } };
      },
    },
    {
      operation: "UpdateAgentActionGroup",
      method: "PUT",
      path: GROUP_PATH,
      agentVersion: DRAFT_VERSION,
      handle(params, request) {
        const found = groupsOf(params);
        if ("error" in found) return found.error;
        const { agent, groups } = found;
        const index = groups.findIndex((group) => group.actionGroupId === params.actionGroupId);
        const previous = groups[index];
        if (!previous) return notFound(`Action group ${params.actionGroupId} was not found.`);
        const parsed = jsonBody(request);
        if ("error" in parsed) return parsed.error;
        const problem = actionGroupUpdateProblem(parsed.body);
        if (problem) return invalid(problem);
        if (statusOf(agent) === "PREPARING")
          return conflict(`Agent ${agent.agentId} is being prepared; try again when it is PREPARED.`);
        const name = parsed.body.actionGroupName;
        if (groups.some((group) => group.actionGroupName === name && group !== previous))
          return conflict(`An action group named ${String(name)} already exists for this agent.`);
        const at = new Date().toISOString();
        groups[index] = replacedActionGroup(previous, parsed.body, at);
        touchDraft(agent, at);
        return {
          status: 200,
          body: { agentActionGroup: actionGroupView(agent, "DRAFT", previous.actionGroupId) },
        };
      },
    },
  ];
}
