import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LLMJACKED_KEY, LLMJACKED_USER } from "../../infra/local/standins/scenario.js";
import { ANOMALOUS_INVOCATION, awsSample, postEvents } from "./aws-events.js";
import { approvalIdIn, type Harness, startHarness } from "./harness.js";

describe("contain-llmjacking in dry run", () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({ dryRun: true });
  });
  afterAll(async () => harness?.stop());

  it("records the UpdateAccessKey it would send, and sends none", async () => {
    expect((await postEvents(harness, JSON.stringify(awsSample(ANOMALOUS_INVOCATION)))).status).toBe(202);
    const card = await harness.standins.slack.waitForMessage(undefined, 15_000);
    expect(JSON.stringify(card.blocks)).toContain("Dry run");
    const approvalId = approvalIdIn(card.blocks);
    const incident = await harness.approveAndSettle(approvalId);
    expect(incident.timeline.some((event) => event.kind === "action_applied")).toBe(false);
    const planned = incident.timeline.filter((event) => event.kind === "action_planned");
    expect(planned.map((event) => event.detail?.writes)).toEqual([
      [
        {
          kind: "aws",
          service: "iam",
          operation: "UpdateAccessKey",
          input: { UserName: LLMJACKED_USER, AccessKeyId: LLMJACKED_KEY, Status: "Inactive" },
        },
      ],
    ]);
    // The plan read the keys (a read is not a write); nothing changed.
    expect(harness.standins.iam.actions()).toEqual(["ListAccessKeys"]);
    expect(harness.standins.iam.updates).toEqual([]);
    expect(harness.standins.iam.keyStatus(LLMJACKED_USER, LLMJACKED_KEY)).toBe("Active");
  });
});
