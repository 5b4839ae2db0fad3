import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  RANKER_CURRENT_CONFIG as CURRENT,
  RANKER_KNOWN_GOOD_CONFIG as KNOWN_GOOD,
  RANKER_ENDPOINT as RANKER,
  RANKER_ENDPOINT_ARN as RANKER_ARN,
} from "../../infra/local/standins/sagemaker.js";
import { approvalCardAfter, approvalIdIn, type Harness, startHarness } from "./harness.js";
import { freshSample, postSigned } from "./webhook-samples.js";

const FIXTURE = "model-poisoning-sagemaker-endpoint-ranker.json";

/** The endpoint fixture as a new alert (its own id and dedup key), so each test opens its own incident. */
const endpointAlert = (n: number) => {
  const body = JSON.parse(freshSample("generic", FIXTURE));
  const id = `${body.id.slice(0, -2)}${String(n).padStart(2, "0")}`;
  return JSON.stringify({ ...body, id, dedupKey: `${body.dedupKey}:${n}` });
};

describe("rollback-model: a SageMaker endpoint (live, Step Functions wait loop)", () => {
  let harness: Harness;
  let rolledBack: string;
  beforeAll(async () => {
    // Every Wait state waits 0 s here: the loop still asks DescribeEndpoint until the update settles.
    harness = await startHarness({ dryRun: false, waitSeconds: 0 });
  });
  afterAll(async () => harness?.stop());
  const sagemaker = () => harness.standins.sagemaker;
  const configOf = () => sagemaker().endpoint(RANKER)?.EndpointConfigName;

  const openIncident = async (n: number) => {
    const cards = harness.standins.slack.messages.length;
    expect((await postSigned(harness, "generic", endpointAlert(n))).status).toBe(202);
    const card = await approvalCardAfter(harness, cards);
    const approvalId = approvalIdIn(card.blocks);
    return { card, approvalId, incidentId: approvalId.split(".")[0] as string };
  };

  it("staging: one approver, one UpdateEndpoint to the inventory's known-good configuration (not the alert's), then InService", async () => {
    const { card, approvalId, incidentId } = await openIncident(1);
    const blocks = JSON.stringify(card.blocks);
    expect(blocks).toContain("Roll the SageMaker endpoint back to its known-good configuration");
    expect(blocks).not.toContain("Four eyes");
    for (const fact of [RANKER_ARN, CURRENT, KNOWN_GOOD, "staging", "ml-platform", "Target created"])
      expect(blocks).toContain(fact);
    // The alert's evidence names a configuration of its own; it is not the target, nor anywhere on the card.
    expect(blocks).not.toContain("attacker-chosen-config");
    expect(sagemaker().updates).toEqual([]);

    const incident = await harness.approveAndSettle(approvalId);
    expect(incident.id).toBe(incidentId);
    expect(sagemaker().updates.map((update) => update.body)).toEqual([
      { EndpointName: RANKER, EndpointConfigName: KNOWN_GOOD, RetainAllVariantProperties: true },
    ]);
    expect(configOf()).toBe(KNOWN_GOOD);
    expect(sagemaker().endpoint(RANKER)?.EndpointStatus).toBe("InService");
    // The wait is the state machine's: polled quietly (nothing on the timeline per poll) until InService on the
    // target, which the recorded outcome step says once: the find's and the plan's reads, verify's, two polls
    // (Updating, then InService), then the outcome's.
    const describes = sagemaker()
      .operations()
      .filter((operation) => operation === "DescribeEndpoint");
    expect(describes.length).toBe(6);
    const statusSteps = incident.timeline.filter(
      (event) => event.kind === "action_applied" && event.detail?.action === "sagemaker.endpoint-status",
    );
    expect(statusSteps).toHaveLength(1);
    expect(statusSteps[0]?.detail?.output).toMatchObject({
      settled: "in_service",
      endpointConfigName: KNOWN_GOOD,
    });
    expect(incident.timeline.at(-1)).toMatchObject({
      kind: "closed",
      summary: expect.stringContaining("InService"),
    });
    rolledBack = incidentId;
  });

  it("`/quell undo` rolls forward to the configuration it replaced", async () => {
    const before = sagemaker().updates.length;
    expect(await harness.quell(`undo ${rolledBack}.rollbackEndpoint`)).toContain("Undoing");
    await harness.incident(rolledBack, (view) =>
      view.timeline.some((event) => event.kind === "action_undone"),
    );
    expect(
      sagemaker()
        .updates.slice(before)
        .map((update) => update.body),
    ).toEqual([{ EndpointName: RANKER, EndpointConfigName: CURRENT, RetainAllVariantProperties: true }]);
  });

  it("an update SageMaker rolls back ends the incident failed, saying so", async () => {
    // The roll-forward may still be Updating: the rollback waits for InService (retried), never updates twice.
    const { approvalId, incidentId } = await openIncident(2);
    sagemaker().failNextUpdate({ reason: "Model container failed its health check", outcome: "RolledBack" });
    expect((await harness.click(approvalId, "approve")).status).toBe(200);
    const incident = await harness.incident(incidentId, (view) => view.status === "failed");
    expect(JSON.stringify(incident.timeline)).toContain("Model container failed its health check");
    expect(incident.timeline.at(-1)).toMatchObject({ kind: "closed", detail: { outcome: "failed" } });
  });
});
