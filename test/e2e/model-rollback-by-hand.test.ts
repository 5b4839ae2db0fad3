import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RANKER_ENDPOINT_ARN as RANKER_ARN } from "../../infra/local/standins/sagemaker.js";
import { awsSample, postEvents } from "./aws-events.js";
import { approvalCardAfter, approvalIdIn, type Harness, startHarness } from "./harness.js";
import { freshSample, postSigned } from "./webhook-samples.js";

const ALARM = "cloudwatch/sagemaker-endpoint-5xx-alarm.json";

/**
 * The team lists the ranker endpoint without a known-good configuration, and routes its CloudWatch alarms to
 * rollback-model: SageMaker keeps no history, so Quell has no version it may trust and asks a human.
 */
describe("rollback-model: no version Quell can trust goes to a human (live)", () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({
      dryRun: false,
      triageConfig: {
        inventory: [
          {
            kind: "model",
            id: RANKER_ARN,
            ownerTeam: "ml-platform",
            environment: "production",
            criticality: "high",
          },
        ],
        routes: [{ id: "ranker-alarms", match: { sources: ["aws.cloudwatch"] }, playbook: "rollback-model" }],
      },
    });
  });
  afterAll(async () => harness?.stop());
  const sageMakerWrites = () =>
    harness.standins.sagemaker.requests.filter((request) => request.operation === "UpdateEndpoint");

  it("a SageMaker endpoint with no known-good entry: a by-hand card naming why, and no UpdateEndpoint", async () => {
    const body = freshSample("generic", "model-poisoning-sagemaker-endpoint-ranker.json");
    expect((await postSigned(harness, "generic", body)).status).toBe(202);
    const card = await approvalCardAfter(harness, 0);
    const blocks = JSON.stringify(card.blocks);
    expect(blocks).toContain("No known-good version Quell can trust: roll back by hand");
    // The alert's own suggestion is not taken as the target, nor offered.
    expect(blocks).not.toContain("attacker-chosen-config");
    const approvalId = approvalIdIn(card.blocks);
    expect(approvalId).toMatch(/\.rollBackByHand$/);
    const waiting = await harness.incident(approvalId.split(".")[0] as string);
    expect(waiting.timeline.find((event) => event.kind === "action_applied")?.detail?.output).toMatchObject({
      found: false,
      why: expect.stringContaining("names no known-good configuration for this endpoint"),
    });
    const incident = await harness.approveAndSettle(approvalId);
    expect(incident.timeline.at(-1)?.summary).toContain("by hand");
    expect(sageMakerWrites()).toEqual([]);
  });

  it("a CloudWatch alarm on the endpoint's metrics, routed by configuration, names the endpoint and reaches the same card", async () => {
    const cards = harness.standins.slack.messages.length;
    expect((await postEvents(harness, JSON.stringify(awsSample(ALARM)))).status).toBe(202);
    const card = await approvalCardAfter(harness, cards);
    const blocks = JSON.stringify(card.blocks);
    expect(blocks).toContain(RANKER_ARN);
    expect(blocks).toContain("roll back by hand");
    // Confirmed by hand: the incident ends, and nothing was written.
    expect((await harness.approveAndSettle(approvalIdIn(card.blocks))).timeline.at(-1)?.summary).toContain(
      "by hand",
    );
    expect(sageMakerWrites()).toEqual([]);
  });

  it("an asset Quell does not roll back (an S3 dataset) gets a review card, and no AWS call", async () => {
    const before = harness.standins.sagemaker.requests.length + harness.standins.ssm.requests.length;
    const cards = harness.standins.slack.messages.length;
    const body = freshSample("generic", "model-poisoning-training-manifest-hash-mismatch.json");
    expect((await postSigned(harness, "generic", body)).status).toBe(202);
    const card = await approvalCardAfter(harness, cards);
    expect(JSON.stringify(card.blocks)).toContain("Model change reported: review it by hand");
    await harness.approveAndSettle(approvalIdIn(card.blocks));
    expect(harness.standins.sagemaker.requests.length + harness.standins.ssm.requests.length).toBe(before);
  });
});
