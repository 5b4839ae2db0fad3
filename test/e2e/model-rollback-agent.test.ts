import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BEDROCK_AGENT_ID as AGENT_ID,
  BEDROCK_AGENT_ALIAS_ARN as ALIAS_ARN,
  BEDROCK_AGENT_ALIAS_ID as ALIAS_ID,
} from "../../infra/local/standins/bedrock-agent.js";
import { APPROVER, approvalCardAfter, approvalIdIn, type Harness, startHarness } from "./harness.js";
import { freshSample, postSigned } from "./webhook-samples.js";

const SECOND = "U0SECONDAPPROVER";
const FIXTURE = "model-integrity-change-agent-alias-eval-regression.json";

/** The agent fixture as a new alert (its own id and dedup key), so each test opens its own incident. */
const agentAlert = (n: number) => {
  const body = JSON.parse(freshSample("generic", FIXTURE));
  return JSON.stringify({
    ...body,
    id: `${body.id.slice(0, -2)}${String(n).padStart(2, "0")}`,
    dedupKey: `${body.dedupKey}:${n}`,
  });
};

describe("rollback-model: a Bedrock agent alias (live)", () => {
  let harness: Harness;
  /** The incident of the first test, whose rollback the second undoes. */
  let rolledBack: string;
  beforeAll(async () => {
    harness = await startHarness({ dryRun: false, approvers: [APPROVER, SECOND] });
  });
  afterAll(async () => harness?.stop());
  const agent = () => harness.standins.bedrockAgent;
  const routed = () => {
    const routing = agent().alias(AGENT_ID, ALIAS_ID)?.routingConfiguration as { agentVersion: string }[];
    return routing[0]?.agentVersion;
  };

  /** Post the n-th agent alert and return its card and approval id, nothing decided yet. */
  const openIncident = async (n: number) => {
    const cards = harness.standins.slack.messages.length;
    expect((await postSigned(harness, "generic", agentAlert(n))).status).toBe(202);
    const card = await approvalCardAfter(harness, cards);
    const approvalId = approvalIdIn(card.blocks);
    return { card, approvalId, incidentId: approvalId.split(".")[0] as string };
  };

  it("four eyes in production, then exactly one UpdateAgentAlias back to version 2 (not the alert's version 1), verified", async () => {
    const { card, approvalId, incidentId } = await openIncident(1);
    const blocks = JSON.stringify(card.blocks);
    expect(blocks).toContain("Roll the Bedrock agent alias back to its previous version");
    expect(blocks).toContain("Four eyes");
    // What the card says: current, target, when the target was last live, how it was chosen, the inventory's environment.
    for (const fact of [
      ALIAS_ARN,
      "production",
      "support-platform",
      "agentAliasHistoryEvents",
      "2026-11-28T00:00:00",
    ])
      expect(blocks).toContain(fact);
    expect(approvalId).toMatch(/\.approveAgentRollback$/);
    // The alert's evidence asks for version 1; the target is the alias's own previous version, 2.
    const waiting = await harness.incident(incidentId);
    const find = waiting.timeline.find((event) => event.kind === "action_applied");
    expect(find?.detail).toMatchObject({
      action: "bedrock-agent.find-alias-rollback-target",
      output: expect.objectContaining({ currentVersion: "3", targetVersion: "2", found: true }),
    });
    expect(agent().updates).toEqual([]);

    expect((await harness.click(approvalId, "approve")).status).toBe(200);
    expect((await harness.incident(incidentId)).status).toBe("awaiting_approval");
    expect(agent().updates).toEqual([]);
    expect((await harness.click(approvalId, "approve", SECOND)).status).toBe(200);
    const incident = await harness.incident(incidentId, (view) => view.status === "mitigated");

    expect(agent().updates).toHaveLength(1);
    expect(agent().updates[0]?.body).toEqual({
      agentAliasName: "live",
      description: "Production alias of the support chat agent",
      routingConfiguration: [{ agentVersion: "2" }],
      aliasInvocationState: "ACCEPT_INVOCATIONS",
    });
    expect(routed()).toBe("2");
    expect(incident.timeline.find((event) => event.kind === "action_verified")?.summary).toContain(
      "version 2",
    );
    rolledBack = incidentId;
  });

  it("`/quell undo` rolls forward to version 3 with one more update", async () => {
    const incidentId = rolledBack;
    const before = agent().updates.length;
    expect(await harness.quell(`undo ${incidentId}.rollbackAgentAlias`)).toContain("Undoing");
    await harness.incident(incidentId, (view) =>
      view.timeline.some((event) => event.kind === "action_undone"),
    );
    expect(
      agent()
        .updates.slice(before)
        .map((update) => update.body.routingConfiguration),
    ).toEqual([[{ agentVersion: "3" }]]);
    expect(routed()).toBe("3");
  });

  it("a deny writes nothing and ends the incident denied", async () => {
    const { approvalId, incidentId } = await openIncident(2);
    const before = agent().updates.length;
    expect((await harness.click(approvalId, "deny")).status).toBe(200);
    expect(
      (await harness.submitDenyReason(approvalId, "the regression is in the eval set, not the agent")).status,
    ).toBe(200);
    const incident = await harness.incident(incidentId, (view) => view.status === "denied");
    expect(incident.timeline.map((event) => event.kind)).not.toContain("action_attempted");
    expect(agent().updates.length).toBe(before);
  });

  it("undo refuses, writing nothing, when a human re-routed the alias after the rollback", async () => {
    const { approvalId, incidentId } = await openIncident(3);
    expect((await harness.click(approvalId, "approve")).status).toBe(200);
    expect((await harness.click(approvalId, "approve", SECOND)).status).toBe(200);
    await harness.incident(incidentId, (view) => view.status === "mitigated");
    expect(routed()).toBe("2");
    agent().routeByHand(AGENT_ID, ALIAS_ID, "1");
    const before = agent().updates.length;
    await harness.quell(`undo ${incidentId}.rollbackAgentAlias`);
    const incident = await harness.incident(incidentId, (view) =>
      view.timeline.some((event) => event.kind === "undo_failed"),
    );
    expect(incident.timeline.find((event) => event.kind === "undo_failed")?.summary).toContain(
      "TargetChanged",
    );
    expect(agent().updates.length).toBe(before);
    expect(routed()).toBe("1");
  });
});
