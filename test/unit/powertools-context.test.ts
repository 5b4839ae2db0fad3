import { createServer } from "node:net";
import type { Context } from "aws-lambda";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createTools, instrumented } from "../../functions/shared/powertools.js";

/**
 * Issue 12, self-monitoring: every function logs with its Lambda context (Powertools' function_request_id, …) and
 * flushes its metrics once per invocation, failures included; keys appended in one invocation do not label the next.
 */

/** A port nothing listens on: DynamoDB there refuses every connection. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === "object" && address ? address.port : 1;
}

const lambdaContext = (requestId: string): Context => ({
  callbackWaitsForEmptyEventLoop: true,
  functionName: "Quell-test-Logic-TasksRecorderFunction-ABC",
  functionVersion: "$LATEST",
  invokedFunctionArn:
    "arn:aws:lambda:eu-west-1:123456789012:function:Quell-test-Logic-TasksRecorderFunction-ABC",
  memoryLimitInMB: "256",
  awsRequestId: requestId,
  logGroupName: "/aws/lambda/recorder",
  logStreamName: "2026/12/01/[$LATEST]abc",
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});

const lines: string[] = [];
const entries = () =>
  lines.flatMap((line) => {
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
/** EMF blobs: the metric names of each, in order. */
const emfMetrics = () =>
  entries()
    .filter((entry) => "_aws" in entry)
    .map((entry) =>
      (entry._aws as { CloudWatchMetrics: { Metrics: { Name: string }[] }[] }).CloudWatchMetrics.flatMap(
        (set) => set.Metrics.map((metric) => `${metric.Name}=${String(entry[metric.Name])}`),
      ),
    );

beforeAll(async () => {
  Object.assign(process.env, {
    QUELL_TABLE_NAME: "quell-incidents",
    QUELL_EVENT_BUS_NAME: "quell-bus",
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
    AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${await closedPort()}`,
    AWS_MAX_ATTEMPTS: "1",
    // Powertools then writes through the global console, which the test reads; metrics are written too.
    POWERTOOLS_DEV: "true",
    POWERTOOLS_LOG_LEVEL: "INFO",
    POWERTOOLS_METRICS_DISABLED: "false",
  });
  for (const method of ["log", "info", "warn", "error"] as const)
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      lines.push(args.map(String).join(" "));
    });
});
beforeEach(() => {
  lines.length = 0;
});
afterAll(() => vi.restoreAllMocks());

describe("a Quell handler (the recorder) invoked by Lambda", () => {
  const event = {
    kind: "approval_expired",
    incidentId: "inc_0001",
    step: "approve-revoke",
    summary: "nobody answered",
  };

  it("logs with the Lambda context and flushes its failure metric in that invocation", async () => {
    const { handler } = await import("../../functions/recorder/handler.js");
    await expect(handler(event, lambdaContext("req-1"))).rejects.toThrow();
    const recording = entries().find((entry) => entry.message === "recording");
    expect(recording).toMatchObject({
      function_request_id: "req-1",
      function_name: "Quell-test-Logic-TasksRecorderFunction-ABC",
      function_arn:
        "arn:aws:lambda:eu-west-1:123456789012:function:Quell-test-Logic-TasksRecorderFunction-ABC",
      function_memory_size: "256",
      cold_start: expect.any(Boolean),
      service: "quell-recorder",
      incidentId: "inc_0001",
    });
    expect(emfMetrics()).toEqual([["RecordFailed=1"]]);
  });

  it("tells the next invocation's lines by their own request id, and flushes only that invocation's metrics", async () => {
    const { handler } = await import("../../functions/recorder/handler.js");
    await expect(handler(event, lambdaContext("req-2"))).rejects.toThrow();
    expect(entries().find((entry) => entry.message === "recording")).toMatchObject({
      function_request_id: "req-2",
      cold_start: false,
    });
    expect(emfMetrics()).toEqual([["RecordFailed=1"]]);
  });
});

describe("instrumented", () => {
  it("drops keys appended during an invocation before the next, and publishes nothing when nothing was stored", async () => {
    const tools = createTools("context-test");
    const handler = instrumented(tools, async (alertId: string | undefined) => {
      if (alertId) tools.logger.appendKeys({ alertId });
      tools.logger.info("handled");
      if (alertId) tools.metrics.addMetric("Handled", "Count", 1);
      if (alertId === "alt_boom") throw new Error("boom");
    });
    await handler("alt_1", lambdaContext("req-a"));
    await expect(handler("alt_boom", lambdaContext("req-b"))).rejects.toThrow("boom");
    await handler(undefined, lambdaContext("req-c"));
    const handled = entries().filter((entry) => entry.message === "handled");
    expect(handled.map((entry) => [entry.function_request_id, entry.alertId])).toEqual([
      ["req-a", "alt_1"],
      ["req-b", "alt_boom"],
      ["req-c", undefined],
    ]);
    // One flush per invocation that stored a metric, the failing one included; no "no metrics" warning.
    expect(emfMetrics()).toEqual([["Handled=1"], ["Handled=1"]]);
    expect(lines.some((line) => line.includes("No application metrics"))).toBe(false);
  });
});

describe("errors escaping a handler, as Step Functions names them", () => {
  const tools = createTools("errors-test");
  it("turns a throttle that came back as a 400 into TransientError, the name every playbook task retries on", async () => {
    const throttled = Object.assign(
      new Error("The level of configured provisioned throughput was exceeded."),
      {
        name: "ProvisionedThroughputExceededException",
        $fault: "client",
        $metadata: { httpStatusCode: 400 },
      },
    );
    const handler = instrumented(tools, async () => {
      throw throttled;
    });
    await expect(handler({})).rejects.toMatchObject({
      name: "TransientError",
      message: expect.stringContaining("ProvisionedThroughputExceededException"),
    });
  });

  it("leaves every other error exactly as thrown", async () => {
    const missing = Object.assign(new Error("no such key"), {
      name: "NoSuchEntity",
      $fault: "client",
      $metadata: { httpStatusCode: 404 },
    });
    const handler = instrumented(tools, async () => {
      throw missing;
    });
    await expect(handler({})).rejects.toBe(missing);
  });
});
