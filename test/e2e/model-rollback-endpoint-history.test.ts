import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  RANKER_CURRENT_CONFIG as CURRENT,
  RANKER_KNOWN_GOOD_CONFIG as EARLIER,
  RANKER_ENDPOINT as RANKER,
  RANKER_ENDPOINT_ARN as RANKER_ARN,
} from "../../infra/local/standins/sagemaker.js";
import { awsSample, postEvents } from "./aws-events.js";
import { approvalCardAfter, approvalIdIn, type Harness, startHarness } from "./harness.js";
import { freshSample, postSigned } from "./webhook-samples.js";

const CREATE = "sagemaker/cloudtrail-createendpoint-ranker.json";
const UPDATE = "sagemaker/cloudtrail-updateendpoint-ranker.json";

/**
 * The team lists the ranker endpoint without a known-good configuration. Quell learnt its deployments from
 * CloudTrail (CreateEndpoint, then UpdateEndpoint to the current configuration), so it knows what served before.
 */
describe("rollback-model: a SageMaker endpoint rolled back to what served before, learnt from CloudTrail (live)", () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({
      dryRun: false,
      waitSeconds: 0,
      triageConfig: {
        inventory: [
          {
            kind: "model",
            id: RANKER_ARN,
            ownerTeam: "ml-platform",
            environment: "staging",
            criticality: "medium",
          },
        ],
      },
    });
  });
  afterAll(async () => harness?.stop());
  const sagemaker = () => harness.standins.sagemaker;

  it("learns each deployment, opens nothing for it, and lists it in GET /unmatched with why", async () => {
    for (const name of [CREATE, UPDATE])
      expect((await postEvents(harness, JSON.stringify(awsSample(name)))).status).toBe(202);
    await harness.runtime.idle();
    const day = new Date().toISOString().slice(0, 10);
    const kept = (await (await harness.read(`/unmatched?day=${day}&limit=200`)).json()) as {
      unmatched: { reason: string; because?: string; alert: { source: string } }[];
    };
    const deployments = kept.unmatched.filter((entry) => entry.alert.source === "aws.sagemaker");
    expect(deployments).toHaveLength(2);
    for (const entry of deployments) {
      expect(entry.reason).toBe("out_of_scope");
      expect(entry.because).toMatch(
        new RegExp(`^deployment history of ${RANKER_ARN}: support-chat-ranker-cfg-`),
      );
    }
    expect(harness.standins.slack.messages).toEqual([]);
  });

  it("an alert on the endpoint: one UpdateEndpoint back to the configuration that served before, chosen from that history", async () => {
    const cards = harness.standins.slack.messages.length;
    const body = freshSample("generic", "model-poisoning-sagemaker-endpoint-ranker.json");
    expect((await postSigned(harness, "generic", body)).status).toBe(202);
    const card = await approvalCardAfter(harness, cards);
    const blocks = JSON.stringify(card.blocks);
    for (const fact of [
      CURRENT,
      EARLIER,
      "deployment history (CloudTrail)",
      "arn:aws:iam::111122223333:role/ml-release-pipeline",
    ])
      expect(blocks).toContain(fact);
    // The alert's evidence names a configuration of its own: not the target, nor on the card.
    expect(blocks).not.toContain("attacker-chosen-config");

    await harness.approveAndSettle(approvalIdIn(card.blocks));
    expect(sagemaker().updates.map((update) => update.body)).toEqual([
      { EndpointName: RANKER, EndpointConfigName: EARLIER, RetainAllVariantProperties: true },
    ]);
  });
});
