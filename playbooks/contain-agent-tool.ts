import { definePlaybook } from "./define.js";

const DAY = 24 * 3600;
const FIND = "$.steps.findTool.output";

/** What every card of this playbook shows: the agent, the tool, the alias and what the alert saw. */
const toolFacts = {
  Agent: "$.alert.details.principalId",
  Tool: "$.alert.details.assetId",
  Alert: "$.alert.title",
  Emitter: "$.alert.source",
  Environment: "$.asset.environment",
} as const;

/**
 * Excessive agency (OWASP LLM06): an agent called a tool outside its policy. Cut that tool: disable the Bedrock
 * agent's action group in its draft, prepare it and publish it to the alias the app calls, so the agent keeps
 * answering without the tool (undo enables it again and routes the alias back). When the draft holds other
 * unreleased changes, publishing it would release them: the alias is paused instead. An agent Quell cannot reach
 * (not a Bedrock agent, no alias or tool named) goes to a human with what the alert says.
 */
export const containAgentTool = definePlaybook({
  name: "contain-agent-tool",
  description:
    "Cut the tool a Bedrock agent misused: disable its action group and publish the agent, or pause the alias, with approval.",
  handles: ["agent_tool_misuse"],
  startAt: "findTool",
  steps: {
    findTool: {
      type: "action",
      action: "bedrock-agent.find-misused-action-group",
      input: { details: { path: "$.alert.details" } },
      next: "toolFound",
      onError: "cutToolByHand",
    },
    toolFound: {
      type: "choice",
      choices: [
        { when: { path: `${FIND}.found`, equals: false }, next: "cutToolByHand" },
        { when: { path: `${FIND}.alreadyCut`, equals: true }, next: "alreadyCut" },
      ],
      otherwise: "checkProtected",
    },
    checkProtected: {
      type: "action",
      action: "quell.check-protected",
      input: { aliasArn: { path: `${FIND}.aliasArn` } },
      quiet: true,
      next: "protectedAlias",
    },
    protectedAlias: {
      type: "choice",
      choices: [
        { when: { path: "$.steps.checkProtected.output.protected", equals: true }, next: "cutToolByHand" },
        { when: { path: `${FIND}.draftInSync`, equals: true }, next: "approveCutTool" },
      ],
      otherwise: "approvePauseAlias",
    },
    approveCutTool: {
      type: "approval",
      policy: "one",
      fourEyesWhen: "$.asset.treatAsProduction",
      title: "Cut the tool this Bedrock agent misused",
      plan: [
        "Disable the action group shown below in the agent's working draft (bedrock:UpdateAgentActionGroup, every other setting of the group kept), then prepare the agent.",
        "Publish the draft to the alias (UpdateAgentAlias without routing: Bedrock makes a new version from it). The agent keeps answering; it can no longer call this tool.",
        "Quell checked that the draft holds no other change than the live version (settings and action groups), so nothing else is released; it refuses if the alias moved since.",
        "Undo (/quell undo; the thread names the run) routes the alias back to the version shown and enables the tool in the draft again.",
      ],
      facts: {
        ...toolFacts,
        "Action group": `${FIND}.actionGroupName`,
        Alias: `${FIND}.aliasArn`,
        "Live version": `${FIND}.liveVersion`,
        Found: `${FIND}.why`,
      },
      timeoutSeconds: DAY,
      onApprove: "cutTool",
    },
    cutTool: {
      type: "action",
      action: "bedrock-agent.disable-action-group",
      input: {
        aliasArn: { path: `${FIND}.aliasArn` },
        actionGroupId: { path: `${FIND}.actionGroupId` },
        expectedVersion: { path: `${FIND}.liveVersion` },
      },
      next: "toolCut",
    },
    approvePauseAlias: {
      type: "approval",
      policy: "one",
      fourEyesWhen: "$.asset.treatAsProduction",
      title: "The agent's draft holds unreleased changes: pause the Bedrock agent alias",
      plan: [
        "Cutting the tool means publishing the agent's draft, which holds other changes the live version does not have (see Draft): Quell does not release them.",
        "Pause the alias instead (aliasInvocationState REJECT_INVOCATIONS): every call to the agent is refused until it is resumed.",
        "Or Deny, and cut the tool by hand in the Bedrock console.",
        "Undo (/quell undo) accepts invocations again.",
      ],
      facts: {
        ...toolFacts,
        "Action group": `${FIND}.actionGroupName`,
        Alias: `${FIND}.aliasArn`,
        "Live version": `${FIND}.liveVersion`,
        Draft: `${FIND}.draftChanges`,
      },
      timeoutSeconds: DAY,
      onApprove: "pauseAlias",
    },
    pauseAlias: {
      type: "action",
      action: "bedrock-agent.pause-alias",
      input: { aliasArn: { path: `${FIND}.aliasArn` } },
      next: "aliasPaused",
    },
    cutToolByHand: {
      type: "approval",
      policy: "one",
      title: "Agent tool misuse: cut the tool by hand",
      plan: [
        "Quell cuts tools of Amazon Bedrock agents it can reach: this alert names no agent, tool or alias it could act on, or the alias is protected (see Why).",
        "Disable the tool in the agent's framework or gateway (or revoke the credentials it uses), then Approve to record it.",
        "Deny records that nothing was done.",
      ],
      facts: {
        ...toolFacts,
        "Action group": "$.alert.details.assetId",
        Why: `${FIND}.why`,
      },
      timeoutSeconds: DAY,
      onApprove: "cutByHand",
    },
    alreadyCut: {
      type: "succeed",
      outcome: "resolved",
      summary: "The version the alias serves already has this tool disabled: nothing to cut.",
    },
    toolCut: {
      type: "succeed",
      outcome: "mitigated",
      summary: "The tool is disabled and the alias serves a new version of the agent without it.",
    },
    aliasPaused: {
      type: "succeed",
      outcome: "mitigated",
      summary: "The agent alias is paused: it rejects every invocation until resumed.",
    },
    cutByHand: {
      type: "succeed",
      outcome: "mitigated",
      summary: "The tool was cut by hand; confirmed in Quell.",
    },
  },
});
