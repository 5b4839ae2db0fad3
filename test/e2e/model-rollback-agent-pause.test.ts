import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BEDROCK_AGENT_ID as AGENT_ID,
  BEDROCK_AGENT_ALIAS_ID as ALIAS_ID,
  bedrockAgentSeed,
} from "../../infra/local/standins/bedrock-agent.js";
import { APPROVER, approvalCardAfter, approvalIdIn, type Harness, startHarness } from "./harness.js";
import { freshSample, postSigned } from "./webhook-samples.js";

const SECOND = "U0SECONDAPPROVER";

describe("rollback-model: an agent alias with no earlier version (live)", () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({
      dryRun: false,
      approvers: [APPROVER, SECOND],
      agents: [
        bedrockAgentSeed({
          history: [{ routingConfiguration: [{ agentVersion: "3" }], startDate: "2026-11-28T00:00:00.000Z" }],
        }),
      ],
    });
  });
  afterAll(async () => harness?.stop());

  it("offers to pause the alias instead, and undo accepts invocations again", async () => {
    expect(
      (
        await postSigned(
          harness,
          "generic",
          freshSample("generic", "model-integrity-change-agent-alias-eval-regression.json"),
        )
      ).status,
    ).toBe(202);
    const card = await approvalCardAfter(harness, 0);
    expect(JSON.stringify(card.blocks)).toContain("pause the Bedrock agent alias");
    const approvalId = approvalIdIn(card.blocks);
    expect(approvalId).toMatch(/\.approveAgentPause$/);
    const incidentId = approvalId.split(".")[0] as string;
    expect((await harness.click(approvalId, "approve")).status).toBe(200);
    expect((await harness.click(approvalId, "approve", SECOND)).status).toBe(200);
    await harness.incident(incidentId, (view) => view.status === "mitigated");
    const agent = harness.standins.bedrockAgent;
    expect(agent.updates.map((update) => update.body.aliasInvocationState)).toEqual(["REJECT_INVOCATIONS"]);
    expect(agent.updates[0]?.body.routingConfiguration).toEqual([{ agentVersion: "3" }]);

    expect(await harness.quell(`undo ${incidentId}.pauseAgentAlias`)).toContain("Undoing");
    await harness.incident(incidentId, (view) =>
      view.timeline.some((event) => event.kind === "action_undone"),
    );
    expect(agent.alias(AGENT_ID, ALIAS_ID)?.aliasInvocationState).toBe("ACCEPT_INVOCATIONS");
  });
});
