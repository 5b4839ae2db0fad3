import * as z from "zod";
import { TargetChanged } from "../../shared/errors.js";
import {
  draftStatus,
  findGroup,
  groupWithState,
  listActionGroups,
  prepareAgent,
  readActionGroup,
  readAgentIam,
  unreleasedDraftChanges,
  updateActionGroup,
  updateAgentIam,
} from "../bedrock-agent-action-group.js";
import {
  AgentVersion,
  AliasArn,
  type AliasRef,
  aliasIdentity,
  aliasRef,
  publishDraftRequest,
  readAlias,
  readSettledAlias,
  routedVersion,
  updateAlias,
  updateAliasIam,
  updateKeepingAllBut,
} from "../bedrock-agent-alias.js";
import { type ActionContext, defineAction, type Write } from "../contract.js";

const ACTION_GROUP_ID = /^[0-9a-zA-Z]{10}$/;

const Input = z.object({
  aliasArn: AliasArn,
  actionGroupId: z.string().regex(ACTION_GROUP_ID, "must be an action group id (10 letters or digits)"),
  /** The version the approval card showed as live: the action refuses if the alias moved since. */
  expectedVersion: AgentVersion,
});

/** The state of the action group in `version`; null when that version does not have it. */
const stateIn = async (context: ActionContext, ref: AliasRef, version: string, actionGroupId: string) =>
  findGroup(await listActionGroups(context, ref.agentId, version), actionGroupId)?.actionGroupState ?? null;

/** Whether `version` is one Quell published over `previous` (newer, with the tool disabled). */
const publishedOver = async (
  context: ActionContext,
  ref: AliasRef,
  version: string | null,
  previous: string,
  actionGroupId: string,
) =>
  version !== null &&
  version !== "DRAFT" &&
  Number(version) > Number(previous) &&
  (await stateIn(context, ref, version, actionGroupId)) === "DISABLED";

/**
 * Cut one tool of a Bedrock agent (excessive agency): in the working draft, UpdateAgentActionGroup with
 * `actionGroupState` DISABLED and every other member of the group as it is (the API replaces the whole group),
 * then PrepareAgent, then UpdateAgentAlias without routing, which makes a new version from the draft and routes
 * the alias its app calls to it. The agent keeps answering; it can no longer call that tool.
 *
 * It refuses, writing nothing, when the alias no longer serves the version the card showed, or when the draft
 * holds other changes that version does not have (publishing the draft would release them): the playbook then
 * offers to pause the alias. A retry after a partial run goes on from what Bedrock holds.
 *
 * Undo routes the alias back to the version it served before (when it still serves the one Quell made) and enables
 * the tool in the draft again (then prepares it); it refuses when the alias was moved elsewhere since.
 */
export const disableActionGroup = defineAction({
  name: "bedrock-agent.disable-action-group",
  description:
    "Disable one action group of an Amazon Bedrock agent and publish the draft to the alias its app calls " +
    "(bedrock:UpdateAgentActionGroup DISABLED, PrepareAgent, UpdateAgentAlias to a new version).",
  input: Input,
  output: z.object({
    agentId: z.string(),
    agentAliasId: z.string(),
    aliasName: z.string(),
    actionGroupId: z.string(),
    actionGroupName: z.string(),
    /** The version the alias served before the run: undo routes back to it. */
    previousVersion: z.string(),
  }),
  secrets: [],
  iam: [readAgentIam, updateAgentIam, updateAliasIam],
  changes: (input) => [input.aliasArn],
  reversible: true,
  // Not low: the agent's users lose what the tool did for them until it is enabled again.
  blastRadius: { maxWrites: 3, low: false },
  timeoutSeconds: 90,
  async plan(input, context) {
    const ref = aliasRef(input.aliasArn);
    const alias = await readAlias(context, ref);
    const live = routedVersion(alias.routingConfiguration);
    const group = await readActionGroup(context, ref.agentId, "DRAFT", input.actionGroupId);
    const output = {
      ...aliasIdentity(alias, ref),
      actionGroupId: input.actionGroupId,
      actionGroupName: group.actionGroupName ?? "",
      previousVersion: input.expectedVersion,
    };
    if (live !== input.expectedVersion) {
      // A retry after the alias update went through finds the version Quell published: nothing left to do.
      if (await publishedOver(context, ref, live, input.expectedVersion, input.actionGroupId))
        return { output, writes: [] };
      throw new TargetChanged(
        `the alias now routes to ${live ?? "no single version"}, not version ${input.expectedVersion} that the ` +
          "approval showed: nothing was written (look again before cutting the tool)",
      );
    }
    const liveGroups = await listActionGroups(context, ref.agentId, live);
    if (findGroup(liveGroups, input.actionGroupId)?.actionGroupState !== "ENABLED")
      return { output, writes: [] };
    // The draft's groups are read together with the agent and its version (in unreleasedDraftChanges).
    const changes = await unreleasedDraftChanges(
      context,
      ref.agentId,
      live,
      { draft: listActionGroups(context, ref.agentId, "DRAFT"), version: liveGroups },
      input.actionGroupId,
    );
    if (changes.length > 0) {
      throw new TargetChanged(
        `the agent's draft holds changes version ${live} does not have (${changes.join("; ")}): publishing it ` +
          "would release them, so nothing was written (pause the alias instead, or publish by hand)",
      );
    }
    const writes: Write[] = [];
    if (group.actionGroupState !== "DISABLED")
      writes.push(updateActionGroup(context, groupWithState(group, "DISABLED")));
    if (writes.length > 0 || (await draftStatus(context, ref.agentId)) !== "PREPARED")
      writes.push(prepareAgent(context, ref.agentId));
    writes.push(updateAlias(context, publishDraftRequest(alias, ref)));
    return { output, writes };
  },
  async verify(input, context) {
    const ref = aliasRef(input.aliasArn);
    const version = routedVersion((await readSettledAlias(context, ref)).routingConfiguration);
    const state = version ? await stateIn(context, ref, version, input.actionGroupId) : null;
    return {
      verified: version !== input.expectedVersion && state === "DISABLED",
      observed: `the alias serves version ${version ?? "(none)"}, where action group ${input.actionGroupId} is ${state ?? "absent"}`,
    };
  },
  async undo(input, context, { output }) {
    const ref = aliasRef(input.aliasArn);
    const alias = await readSettledAlias(context, ref);
    const live = routedVersion(alias.routingConfiguration);
    const writes: Write[] = [];
    if (live !== output.previousVersion) {
      if (!(await publishedOver(context, ref, live, output.previousVersion, input.actionGroupId))) {
        throw new TargetChanged(
          `the alias now routes to ${live ?? "no single version"}, not the version Quell published: someone moved ` +
            `it since, and Quell does not overwrite that (route it back to ${output.previousVersion} by hand)`,
        );
      }
      writes.push(
        updateAlias(context, updateKeepingAllBut(alias, ref, { agentVersion: output.previousVersion })),
      );
    }
    const group = await readActionGroup(context, ref.agentId, "DRAFT", input.actionGroupId);
    if (group.actionGroupState === "DISABLED") {
      writes.push(updateActionGroup(context, groupWithState(group, "ENABLED")));
      writes.push(prepareAgent(context, ref.agentId));
    }
    return writes;
  },
});
