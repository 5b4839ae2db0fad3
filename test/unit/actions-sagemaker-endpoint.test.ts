import { DescribeEndpointCommand, SageMakerClient, UpdateEndpointCommand } from "@aws-sdk/client-sagemaker";
import { afterEach, describe, expect, it } from "vitest";
import type { ActionContext } from "../../functions/actions/contract.js";
import { runAction, runUndo } from "../../functions/actions/run.js";
import { endpointStatus } from "../../functions/actions/sagemaker-endpoint-status/action.js";
import {
  CHOSEN_BY,
  findEndpointRollbackTarget,
} from "../../functions/actions/sagemaker-find-endpoint-target/action.js";
import { rollbackEndpoint } from "../../functions/actions/sagemaker-rollback-endpoint/action.js";
import {
  TargetChanged,
  TransientError,
  ValidationError,
  VerificationFailed,
} from "../../functions/shared/errors.js";
import {
  RANKER_CURRENT_CONFIG,
  RANKER_ENDPOINT,
  RANKER_ENDPOINT_ARN,
  RANKER_KNOWN_GOOD_CONFIG,
  type SageMakerStandin,
  type SageMakerStandinOptions,
  sageMakerSeed,
  startSageMakerStandin,
} from "../../infra/local/standins/sagemaker.js";
import { contextWith } from "./action-context-doubles.js";

const ARN = RANKER_ENDPOINT_ARN;
/** A third configuration, for a human who deploys something else meanwhile. */
const HOTFIX_CONFIG = "support-chat-ranker-cfg-2026-12-02";
const DESCRIBE = { operation: "DescribeEndpoint", body: { EndpointName: RANKER_ENDPOINT } };
const UPDATE_TO = (config: string) => ({
  operation: "UpdateEndpoint",
  body: { EndpointName: RANKER_ENDPOINT, EndpointConfigName: config, RetainAllVariantProperties: true },
});
const rollbackInput = {
  endpointArn: ARN,
  expectedConfig: RANKER_CURRENT_CONFIG,
  targetConfig: RANKER_KNOWN_GOOD_CONFIG,
};

let standin: SageMakerStandin;
let client: SageMakerClient;

/** The stand-in (seeded, plus the hotfix configuration) and a context whose SageMaker client is pointed at it. */
async function start(options: SageMakerStandinOptions = {}): Promise<ActionContext> {
  const seed = sageMakerSeed();
  seed.endpointConfigs.push({
    name: HOTFIX_CONFIG,
    modelName: "support-chat-ranker-model-2026-12-02",
    instanceType: "ml.g5.xlarge",
    createdAt: new Date("2026-12-02T07:00:00Z"),
  });
  standin = await startSageMakerStandin({ seed, ...options });
  client = new SageMakerClient({
    endpoint: standin.url,
    region: "us-east-1",
    credentials: { accessKeyId: "AKIDQUELLLOCAL", secretAccessKey: "local" },
    maxAttempts: 1,
  });
  return contextWith({ sagemaker: client });
}

/** The `requestedAt` a rollback's output recorded. */
const requestedAtOf = (result: { output: unknown }) => (result.output as { requestedAt: string }).requestedAt;

/** What SageMaker received: each request's operation and body, in order. */
const received = () => standin.requests.map(({ operation, body }) => ({ operation, body }));

afterEach(async () => {
  client?.destroy();
  await standin?.close();
});

describe("sagemaker.find-endpoint-rollback-target", () => {
  it("reads the endpoint and the known-good configuration, and names it with its creation time", async () => {
    const context = await start();
    const result = await runAction(
      findEndpointRollbackTarget,
      { endpointArn: ARN, knownGoodConfig: RANKER_KNOWN_GOOD_CONFIG },
      { dryRun: false, context },
    );
    expect(received()).toEqual([
      DESCRIBE,
      { operation: "DescribeEndpointConfig", body: { EndpointConfigName: RANKER_KNOWN_GOOD_CONFIG } },
    ]);
    for (const request of standin.requests) {
      expect(request).toMatchObject({
        method: "POST",
        path: "/",
        contentType: "application/x-amz-json-1.1",
        authorization: expect.stringMatching(
          /^AWS4-HMAC-SHA256 Credential=AKIDQUELLLOCAL\/\d{8}\/us-east-1\/sagemaker\/aws4_request, /,
        ),
      });
    }
    expect(result).toMatchObject({ mode: "applied", writes: [] });
    expect(result.output).toEqual({
      endpointName: RANKER_ENDPOINT,
      currentConfig: RANKER_CURRENT_CONFIG,
      endpointStatus: "InService",
      targetConfig: RANKER_KNOWN_GOOD_CONFIG,
      targetCreatedAt: "2026-10-01T08:30:00.000Z",
      chosenBy: CHOSEN_BY,
      found: true,
      why: `roll ${RANKER_ENDPOINT} back from ${RANKER_CURRENT_CONFIG} to its known-good configuration ${RANKER_KNOWN_GOOD_CONFIG} (created 2026-10-01T08:30:00.000Z)`,
    });
  });

  it("finds nothing when the inventory names no known-good configuration and Quell learnt no deployments", async () => {
    const context = await start();
    const result = await runAction(
      findEndpointRollbackTarget,
      { endpointArn: ARN, knownGoodConfig: null },
      { dryRun: false, context },
    );
    expect(received()).toEqual([DESCRIBE]);
    expect(result.output).toMatchObject({
      currentConfig: RANKER_CURRENT_CONFIG,
      targetConfig: null,
      targetCreatedAt: null,
      found: false,
      why: `Quell's inventory names no known-good configuration for this endpoint, and Quell's deployment history (CloudTrail CreateEndpoint/UpdateEndpoint) does not show ${RANKER_CURRENT_CONFIG} going live, so it cannot tell what served before it`,
    });
  });

  describe("from the deployments Quell learnt (CloudTrail), when the inventory names none", () => {
    const deployed = (version: string, at: string, n: number) => ({
      version,
      at,
      by: "arn:aws:iam::111122223333:role/ml-release-pipeline",
      eventName: n === 0 ? "CreateEndpoint" : "UpdateEndpoint",
      eventId: `event-${n}`,
    });
    /** Newest first: known-good created the endpoint, then the current configuration replaced it. */
    const HISTORY = [
      deployed(RANKER_CURRENT_CONFIG, "2026-11-30T10:20:00.000Z", 1),
      deployed(RANKER_KNOWN_GOOD_CONFIG, "2026-10-01T09:00:00.000Z", 0),
    ];

    it("takes the configuration that served before the current one went live, saying when and by whom", async () => {
      const context = await start();
      const result = await runAction(
        findEndpointRollbackTarget,
        { endpointArn: ARN, knownGoodConfig: null, deployments: HISTORY },
        { dryRun: false, context },
      );
      expect(received()).toEqual([
        DESCRIBE,
        { operation: "DescribeEndpointConfig", body: { EndpointConfigName: RANKER_KNOWN_GOOD_CONFIG } },
      ]);
      expect(result.output).toMatchObject({
        targetConfig: RANKER_KNOWN_GOOD_CONFIG,
        targetCreatedAt: "2026-10-01T08:30:00.000Z",
        found: true,
        chosenBy: `Quell's deployment history (CloudTrail): ${RANKER_KNOWN_GOOD_CONFIG} went live at 2026-10-01T09:00:00.000Z (CreateEndpoint by arn:aws:iam::111122223333:role/ml-release-pipeline) and served until 2026-11-30T10:20:00.000Z`,
        why: `roll ${RANKER_ENDPOINT} back from ${RANKER_CURRENT_CONFIG} to ${RANKER_KNOWN_GOOD_CONFIG}, which served before it until 2026-11-30T10:20:00.000Z`,
      });
    });

    it("prefers the inventory's known-good configuration, a human's explicit choice", async () => {
      const context = await start();
      const history = [
        deployed(RANKER_CURRENT_CONFIG, "2026-12-01T00:00:00.000Z", 2),
        deployed(HOTFIX_CONFIG, "2026-11-01T00:00:00.000Z", 1),
      ];
      const result = await runAction(
        findEndpointRollbackTarget,
        { endpointArn: ARN, knownGoodConfig: RANKER_KNOWN_GOOD_CONFIG, deployments: history },
        { dryRun: false, context },
      );
      expect(result.output).toMatchObject({ targetConfig: RANKER_KNOWN_GOOD_CONFIG, chosenBy: CHOSEN_BY });
    });

    it("finds nothing when the history does not show the current configuration going live (a gap), or nothing before it", async () => {
      const context = await start();
      const gap = await runAction(
        findEndpointRollbackTarget,
        { endpointArn: ARN, knownGoodConfig: null, deployments: [HISTORY[1] as (typeof HISTORY)[number]] },
        { dryRun: false, context },
      );
      expect(gap.output).toMatchObject({ found: false, why: expect.stringContaining("does not show") });
      const first = await runAction(
        findEndpointRollbackTarget,
        { endpointArn: ARN, knownGoodConfig: null, deployments: [HISTORY[0] as (typeof HISTORY)[number]] },
        { dryRun: false, context },
      );
      expect(first.output).toMatchObject({
        found: false,
        why: expect.stringContaining(`shows no configuration before ${RANKER_CURRENT_CONFIG} went live`),
      });
      // Neither read a configuration it would not roll back to.
      expect(received().filter((request) => request.operation === "DescribeEndpointConfig")).toEqual([]);
    });

    it("finds nothing when the configuration that served before no longer exists in SageMaker", async () => {
      const context = await start();
      const history = [
        HISTORY[0] as (typeof HISTORY)[number],
        deployed("support-chat-ranker-cfg-2026-01-01", "2026-01-01T00:00:00.000Z", 0),
      ];
      const result = await runAction(
        findEndpointRollbackTarget,
        { endpointArn: ARN, knownGoodConfig: null, deployments: history },
        { dryRun: false, context },
      );
      expect(result.output).toMatchObject({
        found: false,
        why: expect.stringContaining("no longer exists in SageMaker"),
      });
    });
  });

  it("finds nothing when the endpoint is already on its known-good configuration", async () => {
    const context = await start();
    standin.updateByHand(RANKER_ENDPOINT, RANKER_KNOWN_GOOD_CONFIG, { settled: true });
    const result = await runAction(
      findEndpointRollbackTarget,
      { endpointArn: ARN, knownGoodConfig: RANKER_KNOWN_GOOD_CONFIG },
      { dryRun: false, context },
    );
    expect(received()).toEqual([DESCRIBE]);
    expect(result.output).toMatchObject({
      found: false,
      targetConfig: null,
      why: `endpoint ${RANKER_ENDPOINT} is already on its known-good configuration ${RANKER_KNOWN_GOOD_CONFIG}`,
    });
  });

  it("finds nothing, naming it, when the known-good configuration no longer exists", async () => {
    const context = await start();
    const result = await runAction(
      findEndpointRollbackTarget,
      { endpointArn: ARN, knownGoodConfig: "support-chat-ranker-cfg-2026-06-01" },
      { dryRun: false, context },
    );
    expect(received()[1]).toEqual({
      operation: "DescribeEndpointConfig",
      body: { EndpointConfigName: "support-chat-ranker-cfg-2026-06-01" },
    });
    expect(result.output).toMatchObject({
      found: false,
      targetConfig: null,
      why: "the known-good endpoint configuration support-chat-ranker-cfg-2026-06-01 no longer exists in SageMaker: nothing to roll back to",
    });
  });

  it("refuses an endpoint ARN of another account than the client reaches", async () => {
    const context = await start();
    const run = runAction(
      findEndpointRollbackTarget,
      { endpointArn: ARN.replace("111122223333", "444455556666"), knownGoodConfig: RANKER_KNOWN_GOOD_CONFIG },
      { dryRun: false, context },
    );
    await expect(run).rejects.toBeInstanceOf(ValidationError);
    await expect(run).rejects.toThrow("another account or region than the ARN");
  });

  it("refuses malformed endpoint ARNs and configuration names before calling SageMaker", async () => {
    const context = await start();
    const inputs = [
      { endpointArn: ARN.replace(RANKER_ENDPOINT, "Support-Chat-Ranker"), knownGoodConfig: null },
      { endpointArn: ARN.replace(RANKER_ENDPOINT, "*"), knownGoodConfig: null },
      { endpointArn: ARN.replace(RANKER_ENDPOINT, `${RANKER_ENDPOINT}/../other`), knownGoodConfig: null },
      { endpointArn: ARN.replace(":endpoint/", ":endpoint-config/"), knownGoodConfig: null },
      { endpointArn: "arn:aws:iam::111122223333:role/support-chat-ranker", knownGoodConfig: null },
      { endpointArn: ARN, knownGoodConfig: "cfg/../other" },
      { endpointArn: ARN, knownGoodConfig: "x".repeat(64) },
      { endpointArn: ARN },
    ];
    for (const input of inputs) {
      const run = runAction(findEndpointRollbackTarget, input, { dryRun: false, context });
      await expect(run).rejects.toBeInstanceOf(ValidationError);
    }
    expect(standin.requests).toEqual([]);
  });
});

describe("sagemaker.rollback-endpoint", () => {
  it("updates the endpoint to the target, keeping variant properties, and accepts the update under way", async () => {
    const context = await start();
    const before = Date.now();
    const result = await runAction(rollbackEndpoint, rollbackInput, { dryRun: false, context });
    expect(received()).toEqual([DESCRIBE, UPDATE_TO(RANKER_KNOWN_GOOD_CONFIG), DESCRIBE]);
    expect(result).toMatchObject({
      mode: "applied",
      output: {
        endpointName: RANKER_ENDPOINT,
        replacedConfig: RANKER_CURRENT_CONFIG,
        targetConfig: RANKER_KNOWN_GOOD_CONFIG,
      },
      verified: `endpoint ${RANKER_ENDPOINT} is Updating on ${RANKER_CURRENT_CONFIG} (updating to ${RANKER_KNOWN_GOOD_CONFIG})`,
    });
    const requestedAt = Date.parse(requestedAtOf(result));
    expect(requestedAt).toBeGreaterThanOrEqual(before);
    expect(requestedAt).toBeLessThanOrEqual(Date.now());
    expect(standin.updates).toHaveLength(1);
  });

  it("accepts an update that already settled on the target when it reads back", async () => {
    const context = await start({ updatingDescribes: 0 });
    const result = await runAction(rollbackEndpoint, rollbackInput, { dryRun: false, context });
    expect(result.verified).toBe(`endpoint ${RANKER_ENDPOINT} is InService on ${RANKER_KNOWN_GOOD_CONFIG}`);
  });

  it("in dry run records the UpdateEndpoint it would send, and sends only the read", async () => {
    const context = await start();
    const result = await runAction(rollbackEndpoint, rollbackInput, { dryRun: true, context });
    expect(result.mode).toBe("planned");
    expect(result.writes).toEqual([
      {
        kind: "aws",
        service: "sagemaker",
        operation: "UpdateEndpoint",
        input: UPDATE_TO(RANKER_KNOWN_GOOD_CONFIG).body,
      },
    ]);
    expect(received()).toEqual([DESCRIBE]);
  });

  it("writes nothing when the endpoint is already on the target", async () => {
    const context = await start();
    standin.updateByHand(RANKER_ENDPOINT, RANKER_KNOWN_GOOD_CONFIG, { settled: true });
    const result = await runAction(rollbackEndpoint, rollbackInput, { dryRun: false, context });
    expect(result).toMatchObject({ mode: "applied", writes: [], verified: null });
    expect(received()).toEqual([DESCRIBE]);
  });

  it("writes nothing when its own update toward the target is already under way (a retry)", async () => {
    const context = await start();
    standin.updateByHand(RANKER_ENDPOINT, RANKER_KNOWN_GOOD_CONFIG);
    const result = await runAction(rollbackEndpoint, rollbackInput, { dryRun: false, context });
    expect(result.writes).toEqual([]);
    expect(received()).toEqual([DESCRIBE]);
  });

  it("refuses, writing nothing, when someone moved the endpoint to another configuration since", async () => {
    const context = await start();
    standin.updateByHand(RANKER_ENDPOINT, HOTFIX_CONFIG, { settled: true });
    const run = runAction(rollbackEndpoint, rollbackInput, { dryRun: false, context });
    await expect(run).rejects.toBeInstanceOf(TargetChanged);
    await expect(run).rejects.toThrow(
      `endpoint ${RANKER_ENDPOINT} is InService on ${HOTFIX_CONFIG}, not the ${RANKER_CURRENT_CONFIG} the approval was for`,
    );
    expect(standin.operations()).toEqual(["DescribeEndpoint"]);
  });

  it("retries later (a transient error), writing nothing, while another update is under way", async () => {
    const context = await start();
    standin.updateByHand(RANKER_ENDPOINT, HOTFIX_CONFIG);
    const run = runAction(rollbackEndpoint, rollbackInput, { dryRun: false, context });
    await expect(run).rejects.toBeInstanceOf(TransientError);
    await expect(run).rejects.toThrow(
      `endpoint ${RANKER_ENDPOINT} is Updating on ${RANKER_CURRENT_CONFIG} (updating to ${HOTFIX_CONFIG}): SageMaker takes no UpdateEndpoint until it is InService`,
    );
    expect(standin.operations()).not.toContain("UpdateEndpoint");
  });

  it("refuses, writing nothing, a Failed endpoint", async () => {
    const context = await start({ updatingDescribes: 0 });
    standin.failNextUpdate({ reason: "Model container failed the ping health check." });
    standin.updateByHand(RANKER_ENDPOINT, HOTFIX_CONFIG, { settled: true });
    const run = runAction(rollbackEndpoint, rollbackInput, { dryRun: false, context });
    await expect(run).rejects.toBeInstanceOf(TargetChanged);
    await expect(run).rejects.toThrow(
      `endpoint ${RANKER_ENDPOINT} is Failed on ${RANKER_CURRENT_CONFIG}; failure reason: Model container failed the ping health check.`,
    );
    expect(standin.operations()).not.toContain("UpdateEndpoint");
  });

  it("fails the step when the read-back finds the update failed", async () => {
    const context = await start({ updatingDescribes: 0 });
    standin.failNextUpdate({ reason: "Model container failed the ping health check." });
    const run = runAction(rollbackEndpoint, rollbackInput, { dryRun: false, context });
    await expect(run).rejects.toBeInstanceOf(VerificationFailed);
    await expect(run).rejects.toThrow(
      `read-back found: endpoint ${RANKER_ENDPOINT} is Failed on ${RANKER_CURRENT_CONFIG}`,
    );
  });

  it("refuses malformed input before calling SageMaker", async () => {
    const context = await start();
    for (const input of [
      { ...rollbackInput, targetConfig: "" },
      { ...rollbackInput, expectedConfig: "-leading-hyphen" },
      { ...rollbackInput, endpointArn: `${ARN} ` },
    ]) {
      await expect(runAction(rollbackEndpoint, input, { dryRun: false, context })).rejects.toBeInstanceOf(
        ValidationError,
      );
    }
    expect(standin.requests).toEqual([]);
  });

  describe("undo (given the output the applied run recorded)", () => {
    const applied = {
      endpointName: RANKER_ENDPOINT,
      replacedConfig: RANKER_CURRENT_CONFIG,
      targetConfig: RANKER_KNOWN_GOOD_CONFIG,
      requestedAt: "2026-12-03T10:00:00.000Z",
    };
    const undo = (context: ActionContext) =>
      runUndo(rollbackEndpoint, { input: rollbackInput, output: applied }, { dryRun: false, context });

    it("updates the endpoint back to the configuration it replaced, once it is InService on the target", async () => {
      const context = await start();
      standin.updateByHand(RANKER_ENDPOINT, RANKER_KNOWN_GOOD_CONFIG, { settled: true });
      const result = await undo(context);
      expect(received()).toEqual([DESCRIBE, UPDATE_TO(RANKER_CURRENT_CONFIG)]);
      expect(result.writes).toEqual([
        {
          kind: "aws",
          service: "sagemaker",
          operation: "UpdateEndpoint",
          input: UPDATE_TO(RANKER_CURRENT_CONFIG).body,
        },
      ]);
      expect(standin.endpoint(RANKER_ENDPOINT)).toMatchObject({
        EndpointStatus: "Updating",
        PendingDeploymentSummary: { EndpointConfigName: RANKER_CURRENT_CONFIG },
      });
    });

    it("writes nothing when the endpoint is already back on the replaced configuration", async () => {
      const context = await start();
      const result = await undo(context);
      expect(result.writes).toEqual([]);
      expect(received()).toEqual([DESCRIBE]);
    });

    it("refuses, writing nothing, when someone moved the endpoint to another configuration since", async () => {
      const context = await start();
      standin.updateByHand(RANKER_ENDPOINT, HOTFIX_CONFIG, { settled: true });
      const run = undo(context);
      await expect(run).rejects.toBeInstanceOf(TargetChanged);
      await expect(run).rejects.toThrow(
        `endpoint ${RANKER_ENDPOINT} is InService on ${HOTFIX_CONFIG}, not InService on the ${RANKER_KNOWN_GOOD_CONFIG} Quell rolled it back to`,
      );
      expect(standin.operations()).toEqual(["DescribeEndpoint"]);
    });

    it("refuses, writing nothing, while the rollback itself has not settled", async () => {
      const context = await start();
      standin.updateByHand(RANKER_ENDPOINT, RANKER_KNOWN_GOOD_CONFIG);
      await expect(undo(context)).rejects.toThrow(`(updating to ${RANKER_KNOWN_GOOD_CONFIG})`);
      expect(standin.operations()).toEqual(["DescribeEndpoint"]);
    });
  });
});

describe("sagemaker.endpoint-status (the playbook's wait loop)", () => {
  const statusInput = (since: string, maxWaitSeconds = 3600) => ({
    endpointArn: ARN,
    targetConfig: RANKER_KNOWN_GOOD_CONFIG,
    since,
    maxWaitSeconds,
  });
  const look = async (context: ActionContext, since = new Date().toISOString(), maxWaitSeconds = 3600) =>
    (await runAction(endpointStatus, statusInput(since, maxWaitSeconds), { dryRun: false, context })).output;

  it("waits while the rollback is under way, then reports it in service on the target", async () => {
    const context = await start();
    const rollback = await runAction(rollbackEndpoint, rollbackInput, { dryRun: false, context });
    const since = requestedAtOf(rollback);
    expect(await look(context, since)).toMatchObject({
      endpointStatus: "Updating",
      endpointConfigName: RANKER_CURRENT_CONFIG,
      settled: "waiting",
    });
    expect(await look(context, since)).toMatchObject({
      endpointStatus: "InService",
      endpointConfigName: RANKER_KNOWN_GOOD_CONFIG,
      settled: "in_service",
      observed: expect.stringMatching(
        new RegExp(
          `^endpoint ${RANKER_ENDPOINT} is InService on ${RANKER_KNOWN_GOOD_CONFIG} \\(\\d+ s since `,
        ),
      ),
    });
    expect(standin.operations()).toEqual([
      "DescribeEndpoint",
      "UpdateEndpoint",
      "DescribeEndpoint",
      "DescribeEndpoint",
      "DescribeEndpoint",
    ]);
  });

  it("reports a Failed update as failed, with SageMaker's reason", async () => {
    const context = await start({ updatingDescribes: 0 });
    standin.failNextUpdate({ reason: "Model container failed the ping health check." });
    standin.updateByHand(RANKER_ENDPOINT, RANKER_KNOWN_GOOD_CONFIG);
    expect(await look(context)).toMatchObject({
      endpointStatus: "Failed",
      settled: "failed",
      observed: expect.stringContaining("failure reason: Model container failed the ping health check."),
    });
  });

  it("reports an update SageMaker rolled back (InService on another configuration) as failed", async () => {
    const context = await start({ updatingDescribes: 0 });
    standin.failNextUpdate({
      reason: "Alarm support-chat-5xx fired during deployment.",
      outcome: "RolledBack",
    });
    standin.updateByHand(RANKER_ENDPOINT, RANKER_KNOWN_GOOD_CONFIG);
    expect(await look(context)).toMatchObject({
      endpointStatus: "InService",
      endpointConfigName: RANKER_CURRENT_CONFIG,
      settled: "failed",
      observed: expect.stringContaining("failure reason: Alarm support-chat-5xx fired during deployment."),
    });
  });

  it("times out an update still under way past maxWaitSeconds, but not one that settled", async () => {
    const context = await start({ updatingDescribes: 2 });
    standin.updateByHand(RANKER_ENDPOINT, RANKER_KNOWN_GOOD_CONFIG);
    const twoHoursAgo = new Date(Date.now() - 7200_000).toISOString();
    expect(await look(context, twoHoursAgo, 3600)).toMatchObject({
      endpointStatus: "Updating",
      settled: "timed_out",
    });
    expect(await look(context, twoHoursAgo, 10_800)).toMatchObject({
      endpointStatus: "Updating",
      settled: "waiting",
    });
    expect(await look(context, twoHoursAgo, 3600)).toMatchObject({
      endpointStatus: "InService",
      settled: "in_service",
    });
  });

  it("refuses a wait outside 60 s to 6 h, or a since that is not an ISO time", async () => {
    const context = await start();
    const now = new Date().toISOString();
    for (const input of [
      statusInput(now, 59),
      statusInput(now, 21_601),
      statusInput(now, 90.5),
      statusInput("yesterday"),
    ]) {
      await expect(runAction(endpointStatus, input, { dryRun: false, context })).rejects.toBeInstanceOf(
        ValidationError,
      );
    }
    expect(standin.requests).toEqual([]);
  });
});

describe("SageMaker stand-in, on the wire", () => {
  it("refuses an UpdateEndpoint while an update is under way, as SageMaker does", async () => {
    await start();
    await client.send(
      new UpdateEndpointCommand({ EndpointName: RANKER_ENDPOINT, EndpointConfigName: HOTFIX_CONFIG }),
    );
    const again = client.send(
      new UpdateEndpointCommand({
        EndpointName: RANKER_ENDPOINT,
        EndpointConfigName: RANKER_KNOWN_GOOD_CONFIG,
      }),
    );
    await expect(again).rejects.toMatchObject({
      name: "ValidationException",
      message: `Cannot update in-progress endpoint "${ARN}".`,
    });
  });

  it("answers an unknown endpoint with SageMaker's ValidationException", async () => {
    await start();
    await expect(
      client.send(new DescribeEndpointCommand({ EndpointName: "no-such-endpoint" })),
    ).rejects.toMatchObject({
      name: "ValidationException",
      message:
        'Could not find endpoint "arn:aws:sagemaker:us-east-1:111122223333:endpoint/no-such-endpoint".',
    });
  });

  it("refuses requests that are unsigned, signed for another service, or for another target", async () => {
    await start();
    const post = (headers: Record<string, string>) =>
      fetch(standin.url, {
        method: "POST",
        headers,
        body: JSON.stringify({ EndpointName: RANKER_ENDPOINT }),
      });
    const signed = (service: string) =>
      `AWS4-HMAC-SHA256 Credential=AKID/20261203/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=${"0".repeat(64)}`;
    const json = { "content-type": "application/x-amz-json-1.1" };
    const target = { "x-amz-target": "SageMaker.DescribeEndpoint" };
    const answers = await Promise.all([
      post({ ...json, ...target }),
      post({ ...json, ...target, authorization: signed("ssm") }),
      post({ ...json, "x-amz-target": "AmazonSSM.DescribeEndpoint", authorization: signed("sagemaker") }),
      post({ "content-type": "application/json", ...target, authorization: signed("sagemaker") }),
      post({ ...json, ...target, authorization: signed("sagemaker") }),
    ]);
    const bodies = await Promise.all(
      answers.map(async (answer) => [answer.status, ((await answer.json()) as { __type?: string }).__type]),
    );
    expect(bodies).toEqual([
      [403, "MissingAuthenticationTokenException"],
      [403, "IncompleteSignatureException"],
      [400, "UnknownOperationException"],
      [400, "SerializationException"],
      [200, undefined],
    ]);
  });
});
