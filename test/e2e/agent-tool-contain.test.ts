import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BEDROCK_AGENT_ID as AGENT_ID,
  BEDROCK_AGENT_ALIAS_ID as ALIAS_ID,
  BEDROCK_ACTION_GROUP_PAYMENTS_ID as PAYMENTS,
} from "../../infra/local/standins/bedrock-agent.js";
import { APPROVER, approvalCardAfter, approvalIdIn, type Harness, startHarness } from "./harness.js";
import { freshSample, postSigned } from "./webhook-samples.js";

const FIXTURE = "agent-tool-misuse-support-agent-refunds.json";
const SECOND = "U0SECONDAPPROVER";

/** Both approvers approve (the agent is not in the inventory, so Quell treats it as production: four eyes). */
async function approveTwice(harness: Harness, approvalId: string) {
  expect((await harness.click(approvalId, "approve")).status).toBe(200);
  expect((await harness.click(approvalId, "approve", SECOND)).status).toBe(200);
  return harness.incident(approvalId.split(".")[0] as string, (view) => view.status === "mitigated");
}

/** The fixture again as another session's alert (a new incident), with `changes` applied. */
function misuse(session: string, changes: (body: Record<string, unknown>) => void = () => {}) {
  const body = JSON.parse(freshSample("generic", FIXTURE));
  body.id = `01M82ABTJ0A9BW9NSKHBPT${session.padStart(4, "0").slice(-4)}`;
  body.evidence.sessionId = `sess_${session}`;
  body.dedupKey = `agent_tool_misuse:AGT7EXAMPL:payments/refund:sess_${session}`;
  changes(body);
  return JSON.stringify(body);
}

describe("contain-agent-tool end to end (live)", () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({ dryRun: false, approvers: [APPROVER, SECOND] });
  });
  afterAll(async () => harness?.stop());
  const agent = () => harness.standins.bedrockAgent;
  /** The draft's instruction before a test changes it by hand. */
  let instruction = "";

  it("cuts the misused tool: DRAFT disabled with every field kept, prepared, published as version 4; undo routes back and re-enables", async () => {
    const before = agent().actionGroup(AGENT_ID, "DRAFT", PAYMENTS);
    expect(before?.actionGroupState).toBe("ENABLED");
    expect((await postSigned(harness, "generic", misuse("AAAA"))).status).toBe(202);
    const card = await approvalCardAfter(harness, 0);
    const blocks = JSON.stringify(card.blocks);
    expect(blocks).toContain("Cut the tool this Bedrock agent misused");
    expect(blocks).toContain("payments");
    expect(blocks).toContain(`agent-alias/${AGENT_ID}/${ALIAS_ID}`);
    // Read-only until a human decides.
    expect(agent().operations()).not.toContain("UpdateAgentActionGroup");
    const approvalId = approvalIdIn(card.blocks);
    expect(approvalId).toMatch(/\.approveCutTool$/);
    const incident = await approveTwice(harness, approvalId);
    expect(incident).toMatchObject({ playbook: "contain-agent-tool", status: "mitigated" });

    const writes = agent()
      .operations()
      .filter((operation) =>
        ["UpdateAgentActionGroup", "PrepareAgent", "UpdateAgentAlias"].includes(operation),
      );
    expect(writes).toEqual(["UpdateAgentActionGroup", "PrepareAgent", "UpdateAgentAlias"]);
    const draft = agent().actionGroup(AGENT_ID, "DRAFT", PAYMENTS);
    // Every member of the group kept; only the state changed.
    const { actionGroupState: _state, updatedAt: _updated, ...rest } = before ?? {};
    expect(draft).toMatchObject({ ...rest, actionGroupState: "DISABLED" });
    expect(agent().agentVersions(AGENT_ID)).toContain("4");
    expect(agent().alias(AGENT_ID, ALIAS_ID)?.routingConfiguration).toEqual([{ agentVersion: "4" }]);
    expect(agent().actionGroup(AGENT_ID, "4", PAYMENTS)?.actionGroupState).toBe("DISABLED");
    expect(agent().actionGroup(AGENT_ID, "3", PAYMENTS)?.actionGroupState).toBe("ENABLED");

    expect(await harness.quell(`undo ${incident.id}.cutTool`)).toContain("Undoing");
    await harness.incident(incident.id, (view) =>
      view.timeline.some((event) => event.kind === "action_undone"),
    );
    expect(agent().alias(AGENT_ID, ALIAS_ID)?.routingConfiguration).toEqual([{ agentVersion: "3" }]);
    expect(agent().actionGroup(AGENT_ID, "DRAFT", PAYMENTS)?.actionGroupState).toBe("ENABLED");
  });

  it("a draft with unreleased changes is not published: the card offers to pause the alias instead", async () => {
    instruction = String(agent().agent(AGENT_ID)?.instruction);
    agent().updateDraftByHand(AGENT_ID, {
      instruction: "You are the support agent. New unreleased wording.",
    });
    const sent = agent().operations().length;
    expect((await postSigned(harness, "generic", misuse("BBBB"))).status).toBe(202);
    const card = await approvalCardAfter(harness, 1);
    const blocks = JSON.stringify(card.blocks);
    expect(blocks).toContain("unreleased changes: pause the Bedrock agent alias");
    expect(blocks).toContain("differ from version 3");
    const approvalId = approvalIdIn(card.blocks);
    expect(approvalId).toMatch(/\.approvePauseAlias$/);
    const incident = await approveTwice(harness, approvalId);
    expect(incident.status).toBe("mitigated");
    expect(agent().operations().slice(sent)).not.toContain("UpdateAgentActionGroup");
    expect(agent().alias(AGENT_ID, ALIAS_ID)?.aliasInvocationState).toBe("REJECT_INVOCATIONS");
    expect(await harness.quell(`undo ${incident.id}.pauseAlias`)).toContain("Undoing");
    await harness.incident(incident.id, (view) =>
      view.timeline.some((event) => event.kind === "action_undone"),
    );
    expect(agent().alias(AGENT_ID, ALIAS_ID)?.aliasInvocationState).toBe("ACCEPT_INVOCATIONS");
  });

  it("an agent Quell cannot reach (the sample's unknown agent, hostile text) goes to a human, escaped, and Deny records it", async () => {
    const body = JSON.parse(freshSample("generic", "agent-tool-misuse-refund-outside-policy.json"));
    body.evidence.actionGroup = "<!channel> *payments*";
    expect((await postSigned(harness, "generic", JSON.stringify(body))).status).toBe(202);
    const card = await approvalCardAfter(harness, 2);
    const blocks = JSON.stringify(card.blocks);
    expect(blocks).toContain("cut the tool by hand");
    expect(blocks).not.toContain("<!channel>");
    const approvalId = approvalIdIn(card.blocks);
    expect(approvalId).toMatch(/\.cutToolByHand$/);
    const before = agent().operations().length;
    expect((await harness.click(approvalId, "deny")).status).toBe(200);
    expect((await harness.submitDenyReason(approvalId, "Agent belongs to another team")).status).toBe(200);
    const incident = await harness.incident(
      approvalId.split(".")[0] as string,
      (view) => view.status === "denied",
    );
    expect(incident.status).toBe("denied");
    expect(
      agent()
        .operations()
        .slice(before)
        .filter((op) => op.startsWith("Update")),
    ).toEqual([]);
  });

  it("an alias moved since the card is not touched: the step fails TargetChanged and nothing is written", async () => {
    agent().updateDraftByHand(AGENT_ID, { instruction });
    expect((await postSigned(harness, "generic", misuse("CCCC"))).status).toBe(202);
    const card = await approvalCardAfter(harness, 3);
    const approvalId = approvalIdIn(card.blocks);
    expect(approvalId).toMatch(/\.approveCutTool$/);
    // Someone rolls the alias back to version 2 by hand while the card waits.
    agent().routeByHand(AGENT_ID, ALIAS_ID, "2");
    const writes = agent().updates.length;
    expect((await harness.click(approvalId, "approve")).status).toBe(200);
    expect((await harness.click(approvalId, "approve", SECOND)).status).toBe(200);
    const incident = await harness.incident(
      approvalId.split(".")[0] as string,
      (view) => view.status === "failed",
    );
    expect(JSON.stringify(incident.timeline)).toContain("TargetChanged");
    expect(agent().updates.length).toBe(writes);
    expect(agent().actionGroup(AGENT_ID, "DRAFT", PAYMENTS)?.actionGroupState).toBe("ENABLED");
    expect(agent().alias(AGENT_ID, ALIAS_ID)?.routingConfiguration).toEqual([{ agentVersion: "2" }]);
  });
});
