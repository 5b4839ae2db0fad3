import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MODEL_ID_PARAMETER as PIN } from "../../infra/local/standins/ssm.js";
import { APPROVER, approvalCardAfter, approvalIdIn, type Harness, startHarness } from "./harness.js";
import { freshSample, postSigned } from "./webhook-samples.js";

const SECOND = "U0SECONDAPPROVER";
const FIXTURE = "malicious-model-artifact-ssm-model-pin.json";
const CURRENT = "acme.support-chat-ft-2026-11-29";
const PREVIOUS = "anthropic.claude-3-7-sonnet-20250219-v1:0";

/** The model-pin fixture as a new alert (its own id and dedup key), optionally about another asset. */
const pinAlert = (n: number, assetId?: string) => {
  const body = JSON.parse(freshSample("generic", FIXTURE));
  const id = `${body.id.slice(0, -2)}${String(n).padStart(2, "0")}`;
  const asset = assetId ? { ...body.asset, id: assetId } : body.asset;
  return JSON.stringify({ ...body, id, asset, dedupKey: `${body.dedupKey}:${n}` });
};

describe("rollback-model: an SSM model pin (live)", () => {
  let harness: Harness;
  let rolledBack: string;
  beforeAll(async () => {
    harness = await startHarness({ dryRun: false, approvers: [APPROVER, SECOND] });
  });
  afterAll(async () => harness?.stop());
  const ssm = () => harness.standins.ssm;
  const puts = () => ssm().requests.filter((request) => request.operation === "PutParameter");
  const value = () => ssm().parameter(PIN)?.Value;

  const openIncident = async (n: number, assetId?: string) => {
    const cards = harness.standins.slack.messages.length;
    expect((await postSigned(harness, "generic", pinAlert(n, assetId))).status).toBe(202);
    const card = await approvalCardAfter(harness, cards);
    const approvalId = approvalIdIn(card.blocks);
    return { card, approvalId, incidentId: approvalId.split(".")[0] as string };
  };
  const approveTwice = async (approvalId: string) => {
    expect((await harness.click(approvalId, "approve")).status).toBe(200);
    expect((await harness.click(approvalId, "approve", SECOND)).status).toBe(200);
  };

  it("production: four eyes, then one PutParameter of the previous value from the parameter's history (not the alert's)", async () => {
    const { card, approvalId, incidentId } = await openIncident(1);
    const blocks = JSON.stringify(card.blocks);
    expect(blocks).toContain("Put the model pin back to its previous value");
    expect(blocks).toContain("Four eyes");
    for (const fact of [CURRENT, PREVIOUS, "GetParameterHistory", "production", "2026-11-29"])
      expect(blocks).toContain(fact);
    expect(blocks).not.toContain("attacker.model-v0");
    expect(puts()).toEqual([]);
    await approveTwice(approvalId);
    const incident = await harness.incident(incidentId, (view) => view.status === "mitigated");
    expect(puts().map((request) => request.body)).toEqual([{ Name: PIN, Value: PREVIOUS, Overwrite: true }]);
    expect(value()).toBe(PREVIOUS);
    expect(incident.timeline.some((event) => event.kind === "action_verified")).toBe(true);
    rolledBack = incidentId;
  });

  it("`/quell undo` puts the replaced value back", async () => {
    expect(await harness.quell(`undo ${rolledBack}.rollbackParameter`)).toContain("Undoing");
    await harness.incident(rolledBack, (view) =>
      view.timeline.some((event) => event.kind === "action_undone"),
    );
    expect(
      puts()
        .map((request) => request.body)
        .at(-1),
    ).toEqual({ Name: PIN, Value: CURRENT, Overwrite: true });
    expect(value()).toBe(CURRENT);
  });

  it("undo refuses, writing nothing, when a human changed the pin after the rollback", async () => {
    const { approvalId, incidentId } = await openIncident(2);
    await approveTwice(approvalId);
    await harness.incident(incidentId, (view) => view.status === "mitigated");
    ssm().putByHand(PIN, "anthropic.claude-sonnet-4-20250514-v1:0", "r.patel");
    const before = puts().length;
    await harness.quell(`undo ${incidentId}.rollbackParameter`);
    const incident = await harness.incident(incidentId, (view) =>
      view.timeline.some((event) => event.kind === "undo_failed"),
    );
    expect(incident.timeline.find((event) => event.kind === "undo_failed")?.summary).toContain(
      "TargetChanged",
    );
    expect(puts().length).toBe(before);
    expect(value()).toBe("anthropic.claude-sonnet-4-20250514-v1:0");
  });

  it("an alert naming Quell's own secret parameter gets a by-hand card, and nothing reads or writes it", async () => {
    const before = ssm().requests.length;
    const { card, approvalId } = await openIncident(
      3,
      "arn:aws:ssm:us-east-1:111122223333:parameter/quell/dev/SLACK_BOT_TOKEN",
    );
    expect(JSON.stringify(card.blocks)).toContain("roll back by hand");
    await harness.approveAndSettle(approvalId);
    expect(ssm().requests.slice(before)).toEqual([]);
  });
});
