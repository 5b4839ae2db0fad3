import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONTAINMENT_BUDGET_ENV } from "../../functions/shared/containment-budget.js";
import { LEAKED_AWS_KEY, LLMJACKED_KEY } from "../../infra/local/standins/scenario.js";
import { ANOMALOUS_INVOCATION, awsSample, postEvents } from "./aws-events.js";
import { APPROVER, approvalCardAfter, approvalIdIn, type Harness, startHarness } from "./harness.js";

const SECOND = "U0SECOND";
const awsKeyAlert = readFileSync(
  new URL("../fixtures/github/secret-scanning-alert-created-aws-access-key.json", import.meta.url),
  "utf8",
);

describe("the containment budget: past it, each further containment needs a second approver (live mode)", () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({
      dryRun: false,
      approvers: [APPROVER, SECOND],
      env: { [CONTAINMENT_BUDGET_ENV]: "1" },
    });
  });
  afterAll(async () => harness?.stop());

  const deactivated = (accessKeyId: string) =>
    harness.standins.iam.updates.filter(
      (update) => update.accessKeyId === accessKeyId && update.status === "Inactive",
    );

  it("within the budget, one approver contains", async () => {
    const cards = harness.standins.slack.messages.length;
    expect((await postEvents(harness, JSON.stringify(awsSample(ANOMALOUS_INVOCATION)))).status).toBe(202);
    const card = await approvalCardAfter(harness, cards);
    expect(JSON.stringify(card.blocks)).not.toContain("Containment budget spent");
    await harness.approveAndSettle(approvalIdIn(card.blocks));
    expect(deactivated(LLMJACKED_KEY)).toHaveLength(1);
  });

  it("the next containment in the hour: the card says the budget is spent, and one Approve is not enough", async () => {
    const cards = harness.standins.slack.messages.length;
    expect((await harness.postGitHub(awsKeyAlert)).status).toBe(202);
    const card = await approvalCardAfter(harness, cards);
    const shown = JSON.stringify(card.blocks);
    expect(shown).toContain("Containment budget spent");
    expect(shown).toContain("1 containments in the last hour (budget 1)");
    const approvalId = approvalIdIn(card.blocks);
    const incidentId = approvalId.split(".")[0] as string;

    expect((await harness.click(approvalId, "approve")).status).toBe(200);
    await harness.incident(incidentId, (view) =>
      view.timeline.some((event) => event.kind === "approval_vote"),
    );
    expect(deactivated(LEAKED_AWS_KEY)).toHaveLength(0);

    expect((await harness.click(approvalId, "approve", SECOND)).status).toBe(200);
    const done = await harness.incident(incidentId, (view) => view.status === "mitigated");
    expect(done.approvals.find((approval) => approval.approvalId === approvalId)).toMatchObject({
      status: "approved",
      decidedBy: SECOND,
    });
    expect(deactivated(LEAKED_AWS_KEY)).toHaveLength(1);
  });
});
