import { setTimeout as sleep } from "node:timers/promises";
import {
  type ActionGroupSummary,
  type AgentActionGroup,
  GetAgentActionGroupCommand,
  GetAgentCommand,
  GetAgentVersionCommand,
  ListAgentActionGroupsCommand,
  PrepareAgentCommand,
  UpdateAgentActionGroupCommand,
  type UpdateAgentActionGroupRequest,
} from "@aws-sdk/client-bedrock-agent";
import { QuellError, TransientError } from "../shared/errors.js";
import { AGENT_SETTLE_WAITS_MS } from "./bedrock-agent-alias.js";
import type { ActionContext, IamNeed, Write } from "./contract.js";
import { listAllTokenPages } from "./paged-list.js";

/**
 * What the excessive-agency actions share: reading an agent's action groups in its working draft and in the
 * version an alias serves, telling whether the draft holds changes that version does not have, and the writes
 * that cut one action group (UpdateAgentActionGroup keeping every field, PrepareAgent).
 */

// biome-ignore lint/suspicious/noTemplateCurlyInString: placeholders that infra fills per stack.
const AGENT_RESOURCE = "arn:${Partition}:bedrock:${Region}:${Account}:agent/*";

/** Reads of an agent, its versions and action groups (each takes the `agent` resource). */
export const readAgentIam: IamNeed = {
  actions: [
    "bedrock:GetAgent",
    "bedrock:GetAgentVersion",
    "bedrock:ListAgentActionGroups",
    "bedrock:GetAgentActionGroup",
  ],
  resources: [AGENT_RESOURCE],
};

/** The writes that cut a tool in the working draft and prepare it. */
export const updateAgentIam: IamNeed = {
  actions: ["bedrock:UpdateAgentActionGroup", "bedrock:PrepareAgent"],
  resources: [AGENT_RESOURCE],
};

/** Every action group of `agentVersion` (DRAFT or a number), every page. */
export const listActionGroups = (
  context: ActionContext,
  agentId: string,
  agentVersion: string,
): Promise<ActionGroupSummary[]> =>
  listAllTokenPages(async (from) => {
    const answer = await context.aws
      .bedrockAgent()
      .send(new ListAgentActionGroupsCommand({ agentId, agentVersion, maxResults: 100, ...from }));
    return { items: answer.actionGroupSummaries, nextToken: answer.nextToken };
  }, `ListAgentActionGroups ${agentId}/${agentVersion}`);

export async function readActionGroup(
  context: ActionContext,
  agentId: string,
  agentVersion: string,
  actionGroupId: string,
): Promise<AgentActionGroup> {
  const { agentActionGroup } = await context.aws
    .bedrockAgent()
    .send(new GetAgentActionGroupCommand({ agentId, agentVersion, actionGroupId }));
  if (!agentActionGroup)
    throw new QuellError(
      `GetAgentActionGroup ${agentId}/${agentVersion}/${actionGroupId} answered without it`,
    );
  return agentActionGroup;
}

/** The action group an alert names, by id or by name (names are unique within an agent version). */
export const findGroup = (groups: readonly ActionGroupSummary[], named: string) =>
  groups.find((group) => group.actionGroupId === named) ??
  groups.find((group) => group.actionGroupName === named);

/**
 * What a version of an agent is made of, as far as this comparison looks: its settings and action groups. Only
 * members both GetAgent (Agent) and GetAgentVersion (AgentVersion) have: AgentVersion has no orchestrationType,
 * so comparing it would find every draft changed.
 */
const AGENT_FIELDS = [
  "foundationModel",
  "instruction",
  "guardrailConfiguration",
  "promptOverrideConfiguration",
  "memoryConfiguration",
  "idleSessionTTLInSeconds",
  "agentResourceRoleArn",
] as const;

const pick = (record: object | undefined) =>
  JSON.stringify(
    AGENT_FIELDS.map((field) => (record as Record<string, unknown> | undefined)?.[field] ?? null),
  );

const groupLine = (group: ActionGroupSummary) =>
  `${group.actionGroupName ?? ""}:${group.actionGroupState ?? ""}:${group.description ?? ""}`;

type Listed = readonly ActionGroupSummary[] | Promise<readonly ActionGroupSummary[]>;

/** The action groups of the draft and of the version compared with it, as the caller read (or is reading) them. */
export interface ComparedGroups {
  draft: Listed;
  version: Listed;
}

/**
 * The differences between the working draft and `version`, other than the action group being cut: settings
 * (model, instruction, guardrail, prompts, memory, role) and the action groups' names, states and descriptions.
 * Empty when publishing the draft would change nothing but that group. Knowledge base associations and the
 * groups' schemas are not compared (each would cost a read per item); the card says so. The groups come from
 * the caller, who reads them for its own checks too, so each list is read once.
 */
export async function unreleasedDraftChanges(
  context: ActionContext,
  agentId: string,
  version: string,
  groups: ComparedGroups,
  exceptGroupId: string,
): Promise<string[]> {
  const client = context.aws.bedrockAgent();
  const [{ agent }, { agentVersion }, draftGroups, versionGroups] = await Promise.all([
    client.send(new GetAgentCommand({ agentId })),
    client.send(new GetAgentVersionCommand({ agentId, agentVersion: version })),
    groups.draft,
    groups.version,
  ]);
  const changes: string[] = [];
  if (pick(agent) !== pick(agentVersion))
    changes.push(
      `the agent's settings (model, instruction, guardrail, prompts or role) differ from version ${version}`,
    );
  const lines = (listed: readonly ActionGroupSummary[]) =>
    listed
      .filter((group) => group.actionGroupId !== exceptGroupId)
      .map(groupLine)
      .sort()
      .join("\n");
  if (lines(draftGroups) !== lines(versionGroups))
    changes.push(`the draft's other action groups differ from version ${version}'s`);
  return changes;
}

/**
 * The UpdateAgentActionGroup request that writes `group` back to the DRAFT as it is but for its state. The API
 * replaces the group's configuration (a member left out is removed), so every member the group has is sent.
 */
export function groupWithState(
  group: AgentActionGroup,
  state: "ENABLED" | "DISABLED",
): UpdateAgentActionGroupRequest {
  const { description, parentActionSignature, parentActionGroupSignatureParams } = group;
  const { actionGroupExecutor, apiSchema, functionSchema } = group;
  return {
    agentId: group.agentId,
    agentVersion: "DRAFT",
    actionGroupId: group.actionGroupId,
    actionGroupName: group.actionGroupName,
    ...(description !== undefined ? { description } : {}),
    ...(parentActionSignature ? { parentActionGroupSignature: parentActionSignature } : {}),
    ...(parentActionGroupSignatureParams ? { parentActionGroupSignatureParams } : {}),
    ...(actionGroupExecutor ? { actionGroupExecutor } : {}),
    ...(apiSchema ? { apiSchema } : {}),
    ...(functionSchema ? { functionSchema } : {}),
    actionGroupState: state,
  };
}

export const updateActionGroup = (context: ActionContext, request: UpdateAgentActionGroupRequest): Write => ({
  description: { kind: "aws", service: "bedrock-agent", operation: "UpdateAgentActionGroup", input: request },
  send: () => context.aws.bedrockAgent().send(new UpdateAgentActionGroupCommand(request)),
});

/** PrepareAgent works asynchronously: wait (AGENT_SETTLE_WAITS_MS) until the draft reads PREPARED. */
export const prepareAgent = (context: ActionContext, agentId: string): Write => ({
  description: { kind: "aws", service: "bedrock-agent", operation: "PrepareAgent", input: { agentId } },
  async send() {
    const client = context.aws.bedrockAgent();
    const answer = await client.send(new PrepareAgentCommand({ agentId }));
    let status = answer.agentStatus;
    for (const wait of AGENT_SETTLE_WAITS_MS) {
      if (status === "PREPARED") return answer;
      if (status === "FAILED" || status === "NOT_PREPARED")
        throw new QuellError(`PrepareAgent ${agentId} ended ${status}: the draft was not prepared`);
      await sleep(wait);
      status = (await client.send(new GetAgentCommand({ agentId }))).agent?.agentStatus;
    }
    if (status === "PREPARED") return answer;
    throw new TransientError(`agent ${agentId} still reads ${status ?? "no status"} after PrepareAgent`);
  },
});

/** The agent's draft status (PREPARED, NOT_PREPARED, PREPARING, …). */
export const draftStatus = async (context: ActionContext, agentId: string) =>
  (await context.aws.bedrockAgent().send(new GetAgentCommand({ agentId }))).agent?.agentStatus;
