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
import type { ActionContext, IamNeed, Write } from "./contract.js";

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
export async function listActionGroups(
  context: ActionContext,
  agentId: string,
  agentVersion: string,
): Promise<ActionGroupSummary[]> {
  const groups: ActionGroupSummary[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < 50; page += 1) {
    const answer = await context.aws.bedrockAgent().send(
      new ListAgentActionGroupsCommand({
        agentId,
        agentVersion,
        maxResults: 100,
        ...(nextToken ? { nextToken } : {}),
      }),
    );
    groups.push(...(answer.actionGroupSummaries ?? []));
    nextToken = answer.nextToken;
    if (!nextToken) return groups;
  }
  throw new QuellError(`ListAgentActionGroups ${agentId}/${agentVersion} did not end after 50 pages`);
}

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

/**
 * The differences between the working draft and `version`, other than the action group being cut: settings
 * (model, instruction, guardrail, prompts, memory, role) and the action groups' names, states and descriptions.
 * Empty when publishing the draft would change nothing but that group. Knowledge base associations and the
 * groups' schemas are not compared (each would cost a read per item); the card says so.
 */
export async function unreleasedDraftChanges(
  context: ActionContext,
  agentId: string,
  version: string,
  exceptGroupId: string,
): Promise<string[]> {
  const client = context.aws.bedrockAgent();
  const [{ agent }, { agentVersion }, draftGroups, versionGroups] = await Promise.all([
    client.send(new GetAgentCommand({ agentId })),
    client.send(new GetAgentVersionCommand({ agentId, agentVersion: version })),
    listActionGroups(context, agentId, "DRAFT"),
    listActionGroups(context, agentId, version),
  ]);
  const changes: string[] = [];
  if (pick(agent) !== pick(agentVersion))
    changes.push(
      `the agent's settings (model, instruction, guardrail, prompts or role) differ from version ${version}`,
    );
  const lines = (groups: ActionGroupSummary[]) =>
    groups
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

/** PrepareAgent works asynchronously: wait (about 28 s at most) until the draft reads PREPARED. */
const PREPARE_WAITS_MS = [250, 500, 1000, 2000, 4000, 4000, 4000, 4000, 4000, 4000];

export const prepareAgent = (context: ActionContext, agentId: string): Write => ({
  description: { kind: "aws", service: "bedrock-agent", operation: "PrepareAgent", input: { agentId } },
  async send() {
    const client = context.aws.bedrockAgent();
    const answer = await client.send(new PrepareAgentCommand({ agentId }));
    let status = answer.agentStatus;
    for (const wait of PREPARE_WAITS_MS) {
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
