import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webhookBody } from "../../infra/local/standins/scenario.js";
import { APPROVER, approvalIdIn, type Harness, startHarness } from "./harness.js";

describe("/quell slash command", () => {
  let harness: Harness;
  let incidentId: string;
  let approvalId: string;
  beforeAll(async () => {
    harness = await startHarness({ dryRun: true });
    expect((await harness.postGitHub(webhookBody())).status).toBe(202);
    const card = await harness.standins.slack.waitForMessage(undefined, 15_000);
    approvalId = approvalIdIn(card.blocks);
    incidentId = approvalId.split(".")[0] as string;
  });
  afterAll(async () => harness?.stop());

  const quell = (text: string, userId?: string) => harness.quell(text, userId);

  it("lists open incidents and shows one's status", async () => {
    expect(await quell("list")).toContain(incidentId);
    const status = await quell(`status ${incidentId}`);
    expect(status).toContain("awaiting_approval");
    expect(status).toContain("approval requested");
    expect(await quell("status inc_doesnotexist00")).toContain("No incident");
  });

  it("answers unknown input with the help text", async () => {
    expect(await quell("launch the missiles")).toContain("*/quell* commands");
    expect(await quell("")).toContain("*/quell* commands");
  });

  it("lets only responders ack or resolve, and never resolves past a pending approval", async () => {
    expect(await quell(`ack ${incidentId}`, "U0INTRUDER")).toContain("not authorised");
    expect(await quell(`ack ${incidentId}`)).toContain("Acknowledged");
    expect(await quell(`resolve ${incidentId} false alarm`)).toContain("pending approval");

    expect((await harness.submitDenyReason(approvalId, "test key, already rotated")).status).toBe(200);
    await harness.incident(incidentId, (view) => view.status === "denied");
    expect(await quell(`resolve ${incidentId} false alarm`)).toContain("already denied");

    const incident = await harness.incident(incidentId);
    expect(incident.timeline).toContainEqual(
      expect.objectContaining({
        kind: "acknowledged",
        actor: APPROVER,
        summary: `acknowledged by ${APPROVER}`,
      }),
    );
    expect(incident.timeline.some((event) => event.actor === "U0INTRUDER")).toBe(false);
  });
});
