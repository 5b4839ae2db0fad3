import * as z from "zod";
import { AlertDetails, alertText } from "../alert-details.js";
import {
  findGroup,
  listActionGroups,
  readAgentIam,
  unreleasedDraftChanges,
} from "../bedrock-agent-action-group.js";
import { AGENT_ALIAS_ARN, aliasRef, readAlias, readAliasIam, routedVersion } from "../bedrock-agent-alias.js";
import { defineAction } from "../contract.js";

/** An agent ARN, optionally followed by `/actiongroup/<name>` (how an emitter names one tool of the agent). */
const AGENT_ARN =
  /^arn:(aws(?:-[a-z]+)*):bedrock:([a-z]{2}(?:-[a-z]+)+-\d{1,2}):(\d{12}):agent\/([0-9A-Za-z]{10})(?:\/actiongroup\/([0-9A-Za-z_.-]{1,100}))?$/;
const ALIAS_ID = /^[0-9A-Z]{10}$/;
const GROUP_NAME = /^[0-9A-Za-z_.-]{1,100}$/;

const text = alertText(2048);

interface Named {
  partition: string;
  region: string;
  account: string;
  agentId: string;
  groupInArn: string | undefined;
}

/** The agent the alert names: its asset (the tool or the agent), else its principal, else evidence.agentArn. */
function namedAgent(details: AlertDetails): Named | undefined {
  for (const key of ["assetId", "principalId", "evidence.agentArn"]) {
    const match = AGENT_ARN.exec(text(details, key) ?? "");
    if (match) {
      const [, partition = "aws", region = "", account = "", agentId = "", groupInArn] = match;
      return { partition, region, account, agentId, groupInArn };
    }
  }
  return undefined;
}

const notFound = (why: string) => ({
  found: false,
  why,
  agentId: null,
  aliasArn: null,
  actionGroupId: null,
  actionGroupName: null,
  liveVersion: null,
  draftInSync: false,
  draftChanges: "",
  alreadyCut: false,
});

/**
 * Find the action group (tool) of a Bedrock agent that an excessive-agency alert names, and how it can be cut
 * (read-only). The alert names the agent by ARN (asset `…:agent/<id>/actiongroup/<name>`, or principal or
 * `evidence.agentArn`), the tool by `evidence.actionGroup` (name or id) or the asset's suffix, and the alias its
 * app calls by `evidence.agentAliasId` (or `evidence.agentAliasArn`). Alert text is only matched against these
 * patterns and then looked up: what is acted on is what Bedrock answers. The output says which version the alias
 * serves, whether the tool is enabled there, and whether the working draft holds other changes that publishing
 * it would release (then the playbook offers to pause the alias instead).
 */
export const findMisusedActionGroup = defineAction({
  name: "bedrock-agent.find-misused-action-group",
  description:
    "Find the Amazon Bedrock agent action group an alert names, the version its alias serves, and whether the " +
    "agent's draft holds unreleased changes (bedrock:GetAgent, ListAgentActionGroups, GetAgentAlias; read-only).",
  input: z.object({ details: AlertDetails }),
  output: z.object({
    found: z.boolean(),
    why: z.string(),
    agentId: z.string().nullable(),
    aliasArn: z.string().nullable(),
    actionGroupId: z.string().nullable(),
    actionGroupName: z.string().nullable(),
    /** The single numbered version the alias routes to. */
    liveVersion: z.string().nullable(),
    /** True when publishing the draft would change nothing but the tool's state. */
    draftInSync: z.boolean(),
    draftChanges: z.string(),
    /** True when the live version already has the tool disabled. */
    alreadyCut: z.boolean(),
  }),
  secrets: [],
  iam: [readAgentIam, readAliasIam],
  reversible: false,
  blastRadius: { maxWrites: 0, low: true },
  timeoutSeconds: 30,
  async plan({ details }, context) {
    const agent = namedAgent(details);
    if (!agent)
      return {
        output: notFound("the alert names no Bedrock agent ARN (asset, principal or evidence.agentArn)"),
        writes: [],
      };
    const groupNamed =
      text(details, "evidence.actionGroup") ?? text(details, "evidence.actionGroupId") ?? agent.groupInArn;
    if (!groupNamed || !GROUP_NAME.test(groupNamed))
      return {
        output: notFound("the alert names no action group of the agent (evidence.actionGroup)"),
        writes: [],
      };
    // An alias ARN the alert gives is taken only when it is one (aliasRef would throw, quoting the alert's text).
    const arnNamed = text(details, "evidence.agentAliasArn");
    const aliasArn =
      arnNamed !== undefined
        ? AGENT_ALIAS_ARN.test(arnNamed)
          ? arnNamed
          : undefined
        : ALIAS_ID.test(text(details, "evidence.agentAliasId") ?? "")
          ? `arn:${agent.partition}:bedrock:${agent.region}:${agent.account}:agent-alias/${agent.agentId}/${text(details, "evidence.agentAliasId")}`
          : undefined;
    if (!aliasArn)
      return {
        output: notFound(
          "the alert names no agent alias (evidence.agentAliasId): Quell cannot tell which version serves the app",
        ),
        writes: [],
      };
    const ref = aliasRef(aliasArn);
    if (ref.agentId !== agent.agentId)
      return {
        output: notFound(`the alias ${aliasArn} belongs to another agent than ${agent.agentId}`),
        writes: [],
      };
    const alias = await readAlias(context, ref);
    const liveVersion = routedVersion(alias.routingConfiguration);
    if (liveVersion === null || liveVersion === "DRAFT")
      return { output: notFound(`the alias routes to no single numbered version`), writes: [] };
    const draftGroups = await listActionGroups(context, agent.agentId, "DRAFT");
    const group = findGroup(draftGroups, groupNamed);
    if (!group?.actionGroupId)
      return {
        output: notFound(
          `agent ${agent.agentId} has no action group named or id'd ${groupNamed} in its draft`,
        ),
        writes: [],
      };
    const liveGroups = await listActionGroups(context, agent.agentId, liveVersion);
    const liveGroup = findGroup(liveGroups, group.actionGroupId);
    const changes = await unreleasedDraftChanges(
      context,
      agent.agentId,
      liveVersion,
      { draft: draftGroups, version: liveGroups },
      group.actionGroupId,
    );
    const alreadyCut = liveGroup === undefined || liveGroup.actionGroupState === "DISABLED";
    return {
      output: {
        found: true,
        why: alreadyCut
          ? `version ${liveVersion} already has ${group.actionGroupName} disabled`
          : changes.length === 0
            ? `version ${liveVersion} serves the alias with ${group.actionGroupName} enabled; the draft holds no other change`
            : `version ${liveVersion} serves the alias; the draft holds unreleased changes: ${changes.join("; ")}`,
        agentId: agent.agentId,
        aliasArn,
        actionGroupId: group.actionGroupId,
        actionGroupName: group.actionGroupName ?? groupNamed,
        liveVersion,
        draftInSync: changes.length === 0,
        draftChanges: changes.join("; "),
        alreadyCut,
      },
      writes: [],
    };
  },
});
