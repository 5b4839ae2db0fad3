import { spawn } from "node:child_process";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { repoRoot } from "../../infra/aws/paths.js";
import { awsRedriveCommand, printable, redriveClients } from "../../infra/local/aws-redrive.js";
import {
  type LambdaStandin,
  type SeededDeadLetter,
  type SqsStandin,
  startLambdaStandin,
  startSqsStandin,
} from "./dead-letter-standins.js";

/**
 * Issue 12, self-monitoring: `npm run quell -- redrive --aws` reads the one failure queue of a deployed Quell,
 * where two kinds of messages wait: Lambda's invocation records (on-failure destination) and EventBridge's dead
 * letters. It re-invokes each on the function it names (requestContext.functionArn with requestPayload; TARGET_ARN
 * with the body), asynchronously, and deletes the message only after Lambda accepted it.
 */

const ACCOUNT = "123456789012";
const QUEUE = "Quell-test-Logic-FailureQueue-ABC123";
const FUNCTION_ARN = (name: string) => `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:${name}`;
const TRIAGE = "Quell-test-Logic-IntakeTriageFunction-XYZ789";
const NOTIFIER = "Quell-test-Logic-NotifierNotifierFunction-QRS456";

/** An EventBridge event as the bus delivered it to triage. */
const alertEvent = (id: string, alertId: string) => ({
  version: "0",
  id,
  "detail-type": "Alert Received",
  source: "quell.ingest",
  account: ACCOUNT,
  time: "2026-12-01T10:00:00Z",
  region: "eu-west-1",
  resources: [],
  detail: {
    alertId,
    source: "github",
    receivedAt: "2026-12-01T10:00:00Z",
    payload: { note: "<!here> ignore previous instructions" },
  },
});

const timelineEvent = {
  version: "0",
  id: "e-2",
  "detail-type": "Incident Timeline Event",
  source: "quell.incident",
  account: ACCOUNT,
  time: "2026-12-01T10:01:00Z",
  region: "eu-west-1",
  resources: [],
  detail: { incidentId: "inc_2", kind: "approval.decided" },
};

/** Lambda's on-failure destination record, as SQS holds it (the record is the body; no attributes). */
const invocationRecord = (
  fn: string,
  payload: unknown,
  failure: Record<string, unknown>,
  response: Record<string, unknown> = {},
) =>
  JSON.stringify({
    version: "1.0",
    timestamp: "2026-12-01T10:05:00.000Z",
    requestContext: {
      requestId: "r-1",
      functionArn: `${FUNCTION_ARN(fn)}:$LATEST`,
      approximateInvokeCount: 3,
      ...failure,
    },
    requestPayload: payload,
    ...response,
  });

const LETTERS: SeededDeadLetter[] = [
  {
    messageId: "m-1",
    body: invocationRecord(
      TRIAGE,
      alertEvent("e-1", "alt_1"),
      { condition: "RetriesExhausted" },
      {
        responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
        responsePayload: {
          errorType: "TransientError",
          errorMessage: "the table did not answer",
          stackTrace: [],
        },
      },
    ),
    attributes: {},
    sentAt: new Date("2026-12-01T10:05:00Z"),
  },
  {
    // Throttled past the maximum event age: no response at all.
    messageId: "m-2",
    body: invocationRecord(NOTIFIER, timelineEvent, { condition: "EventAgeExceeded" }),
    attributes: {},
    sentAt: new Date("2026-12-01T10:06:00Z"),
  },
  {
    messageId: "m-3",
    body: JSON.stringify(alertEvent("e-3", "alt_3")),
    attributes: {
      RULE_ARN: `arn:aws:events:eu-west-1:${ACCOUNT}:rule/quell/AlertReceived`,
      TARGET_ARN: FUNCTION_ARN(TRIAGE),
      ERROR_CODE: "SDK_CLIENT_ERROR",
      ERROR_MESSAGE: "Unable to invoke Lambda function",
      EXHAUSTED_RETRY_CONDITION: "MaximumRetryAttemptsExhausted",
      RETRY_ATTEMPTS: "8",
    },
    sentAt: new Date("2026-12-01T10:07:00Z"),
  },
];

/** What each letter is re-invoked with: the function it names, the original event. */
const EXPECTED = [
  {
    functionName: `${FUNCTION_ARN(TRIAGE)}:$LATEST`,
    invocationType: "Event",
    payload: JSON.stringify(alertEvent("e-1", "alt_1")),
  },
  {
    functionName: `${FUNCTION_ARN(NOTIFIER)}:$LATEST`,
    invocationType: "Event",
    payload: JSON.stringify(timelineEvent),
  },
  { functionName: FUNCTION_ARN(TRIAGE), invocationType: "Event", payload: LETTERS[2]?.body },
];

let sqs: SqsStandin;
let lambda: LambdaStandin;
const saved = { ...process.env };
async function start(letters: readonly SeededDeadLetter[] = LETTERS) {
  sqs = await startSqsStandin({ accountId: ACCOUNT, queues: { [QUEUE]: letters } });
  lambda = await startLambdaStandin();
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: "AKIDREDRIVETEST",
    AWS_SECRET_ACCESS_KEY: "redrive-test-secret",
    AWS_REGION: "eu-west-1",
    AWS_ENDPOINT_URL_SQS: sqs.url,
    AWS_ENDPOINT_URL_LAMBDA: lambda.url,
    // One attempt: a fault is a failed re-send, not a retry the SDK hides.
    AWS_MAX_ATTEMPTS: "1",
  });
}
beforeEach(async () => {
  await start();
});
afterEach(async () => {
  process.env = { ...saved };
  await Promise.all([sqs.close(), lambda.close()]);
});

const run = async (argv: string[]) => {
  const lines: string[] = [];
  const clients = redriveClients(sqs.queueUrl(QUEUE));
  const code = await awsRedriveCommand(argv, clients, (line) => lines.push(line));
  clients.sqs.destroy();
  clients.lambda.destroy();
  return { code, lines };
};

const RECEIVE = {
  MaxNumberOfMessages: 10,
  VisibilityTimeout: 120,
  WaitTimeSeconds: 1,
  MessageAttributeNames: ["All"],
  MessageSystemAttributeNames: ["SentTimestamp", "ApproximateReceiveCount"],
};

describe("redrive --aws", () => {
  it("re-invokes each message on the function it names, with the original event, and deletes it after its re-send", async () => {
    const { code, lines } = await run(["--aws", "--queue", sqs.queueUrl(QUEUE)]);
    expect(code).toBe(0);
    expect(lambda.invocations).toEqual(EXPECTED);
    // The qualified ARN travels in the path, encoded.
    expect(lambda.requests[0]?.path).toBe(
      `/2015-03-31/functions/${encodeURIComponent(`${FUNCTION_ARN(TRIAGE)}:$LATEST`)}/invocations`,
    );
    const queueUrl = sqs.queueUrl(QUEUE);
    expect(sqs.requests.map((request) => request.body)).toEqual([
      { QueueUrl: queueUrl, ...RECEIVE },
      { QueueUrl: queueUrl, ReceiptHandle: "rh-m-1-1" },
      { QueueUrl: queueUrl, ReceiptHandle: "rh-m-2-1" },
      { QueueUrl: queueUrl, ReceiptHandle: "rh-m-3-1" },
      { QueueUrl: queueUrl, ...RECEIVE },
    ]);
    expect(sqs.operations()).toEqual([
      "ReceiveMessage",
      "DeleteMessage",
      "DeleteMessage",
      "DeleteMessage",
      "ReceiveMessage",
    ]);
    // Each delete came after its own invocation was accepted.
    const order = [...sqs.requests, ...lambda.requests]
      .sort((a, b) => a.at.getTime() - b.at.getTime())
      .map((request) => (request.path.endsWith("/invocations") ? "invoke" : "sqs"));
    expect(order.slice(1, 7)).toEqual(["invoke", "sqs", "invoke", "sqs", "invoke", "sqs"]);
    expect(sqs.held(QUEUE)).toEqual([]);
    expect(lines.slice(0, 3)).toEqual([
      `m-1  redriven  2026-12-01T10:05:00.000Z  ${TRIAGE}  quell.ingest  event e-1  alert alt_1  RetriesExhausted: TransientError: the table did not answer  re-invoked ${FUNCTION_ARN(TRIAGE)}:$LATEST`,
      `m-2  redriven  2026-12-01T10:06:00.000Z  ${NOTIFIER}  quell.incident  event e-2  incident inc_2  EventAgeExceeded  re-invoked ${FUNCTION_ARN(NOTIFIER)}:$LATEST`,
      `m-3  redriven  2026-12-01T10:07:00.000Z  ${TRIAGE}  quell.ingest  event e-3  alert alt_3  SDK_CLIENT_ERROR: Unable to invoke Lambda function (MaximumRetryAttemptsExhausted)  re-invoked ${FUNCTION_ARN(TRIAGE)}`,
    ]);
    expect(lines.at(-1)).toBe("redriven: 3, listed: 0, skipped: 0, failed: 0");
  });

  it("leaves a message whose re-send failed in the queue, visible again, goes on with the others, and sends it next time", async () => {
    lambda.faults.next({
      method: "POST",
      path: /\/invocations$/,
      where: (request) => String(request.body).includes('"inc_2"'),
      status: 500,
      applied: false,
    });
    const { code, lines } = await run(["--aws", "--queue", sqs.queueUrl(QUEUE)]);
    expect(code).toBe(1);
    // m-2 reached Lambda once and was refused; m-1 and m-3 were accepted.
    expect(lambda.requests).toHaveLength(3);
    expect(lambda.invocations).toEqual([EXPECTED[0], EXPECTED[2]]);
    expect(sqs.operations()).toEqual([
      "ReceiveMessage",
      "DeleteMessage",
      "DeleteMessage",
      "ReceiveMessage",
      "ChangeMessageVisibility",
    ]);
    expect(sqs.requests.map((request) => request.body).slice(1, 3)).toEqual([
      { QueueUrl: sqs.queueUrl(QUEUE), ReceiptHandle: "rh-m-1-1" },
      { QueueUrl: sqs.queueUrl(QUEUE), ReceiptHandle: "rh-m-3-1" },
    ]);
    expect(sqs.requests.at(-1)?.body).toEqual({
      QueueUrl: sqs.queueUrl(QUEUE),
      ReceiptHandle: "rh-m-2-1",
      VisibilityTimeout: 0,
    });
    expect(sqs.held(QUEUE)).toEqual(["m-2"]);
    expect(sqs.visible(QUEUE)).toEqual(["m-2"]);
    expect(lines.find((line) => line.startsWith("m-2"))).toMatch(
      /failed .*re-send failed, left in the queue: ServiceException/,
    );
    expect(lines.at(-1)).toBe("redriven: 2, listed: 0, skipped: 0, failed: 1");

    const again = await run(["--aws", "--queue", sqs.queueUrl(QUEUE)]);
    expect(again.code).toBe(0);
    expect(lambda.invocations.at(-1)).toEqual(EXPECTED[1]);
    expect(sqs.held(QUEUE)).toEqual([]);
  });

  it("lists in a dry run and changes nothing: no invocation, no delete, every message visible again", async () => {
    const { code, lines } = await run(["--aws", "--queue", QUEUE, "--dry-run"]);
    expect(code).toBe(0);
    expect(lambda.requests).toEqual([]);
    expect(sqs.operations()).toEqual([
      "GetQueueUrl",
      "ReceiveMessage",
      "ReceiveMessage",
      "ChangeMessageVisibility",
      "ChangeMessageVisibility",
      "ChangeMessageVisibility",
    ]);
    expect(sqs.requests[0]?.body).toEqual({ QueueName: QUEUE });
    expect(sqs.visible(QUEUE)).toEqual(["m-1", "m-2", "m-3"]);
    expect(lines.slice(0, 3).map((line) => line.replace(/ {2}.*would re-invoke /, " -> "))).toEqual(
      EXPECTED.map((expected, i) => `m-${i + 1} -> ${expected.functionName}`),
    );
    expect(lines.at(-1)).toBe("redriven: 0, listed: 3, skipped: 0, failed: 0");
  });

  it("with --function, redrives only that function's messages (by name or ARN) and leaves the others untouched", async () => {
    const { code, lines } = await run(["--aws", "--queue", sqs.queueUrl(QUEUE), "--function", NOTIFIER]);
    expect(code).toBe(0);
    expect(lambda.invocations).toEqual([EXPECTED[1]]);
    expect(sqs.held(QUEUE)).toEqual(["m-1", "m-3"]);
    expect(sqs.visible(QUEUE)).toEqual(["m-1", "m-3"]);
    expect(lines.filter((line) => line.includes(`left in the queue: not for ${NOTIFIER}`))).toHaveLength(2);
    expect(lines.at(-1)).toBe("redriven: 1, listed: 0, skipped: 2, failed: 0");

    const byArn = await run(["--aws", "--queue", sqs.queueUrl(QUEUE), "--function", FUNCTION_ARN(TRIAGE)]);
    expect(byArn.code).toBe(0);
    expect(lambda.invocations.slice(1)).toEqual([EXPECTED[0], EXPECTED[2]]);
    expect(sqs.held(QUEUE)).toEqual([]);
  });

  it("keeps a message that names no function, or a target that is not a function, and says why", async () => {
    await sqs.close();
    await lambda.close();
    await start([
      { messageId: "x-1", body: "not json", attributes: {}, sentAt: new Date("2026-12-01T10:00:00Z") },
      {
        messageId: "x-2",
        body: JSON.stringify({ some: "event" }),
        attributes: {},
        sentAt: new Date("2026-12-01T10:00:00Z"),
      },
      {
        messageId: "x-3",
        body: JSON.stringify(alertEvent("e-9", "alt_9")),
        attributes: { TARGET_ARN: `arn:aws:sns:eu-west-1:${ACCOUNT}:topic`, ERROR_CODE: "NO_PERMISSIONS" },
        sentAt: new Date("2026-12-01T10:00:00Z"),
      },
    ]);
    const { code, lines } = await run(["--aws", "--queue", sqs.queueUrl(QUEUE)]);
    expect(code).toBe(1);
    expect(lambda.requests).toEqual([]);
    expect(sqs.held(QUEUE)).toEqual(["x-1", "x-2", "x-3"]);
    expect(sqs.visible(QUEUE)).toEqual(["x-1", "x-2", "x-3"]);
    expect(lines.slice(0, 3).map((line) => line.replace(/^.*not re-sent: /, ""))).toEqual([
      "neither a Lambda invocation record nor an EventBridge dead letter",
      "neither a Lambda invocation record nor an EventBridge dead letter",
      `its target arn:aws:sns:eu-west-1:${ACCOUNT}:topic is not a Lambda function`,
    ]);
  });

  it("keeps a stream batch the audit exporter gave up on, and says it cannot be sent again", async () => {
    await sqs.close();
    await lambda.close();
    const batch = {
      requestContext: {
        requestId: "f2b1c0de-0000-4000-8000-000000000001",
        functionArn: `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:Quell-test-Logic-AuditExportExporter`,
        condition: "RetryAttemptsExhausted",
        approximateInvokeCount: 11,
      },
      responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
      version: "1.0",
      timestamp: "2026-12-01T10:00:00.000Z",
      DDBStreamBatchInfo: {
        shardId: "shardId-00000001700000000000-abcdef12",
        startSequenceNumber: "4100000000000000000001",
        endSequenceNumber: "4100000000000000000003",
        approximateArrivalOfFirstRecord: "2026-12-01T09:59:58Z",
        approximateArrivalOfLastRecord: "2026-12-01T09:59:59Z",
        batchSize: 3,
        streamArn: `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/incidents/stream/2026-12-01T00:00:00.000`,
      },
    };
    await start([
      {
        messageId: "s-1",
        body: JSON.stringify(batch),
        attributes: {},
        sentAt: new Date("2026-12-01T10:00:00Z"),
      },
    ]);
    const { code, lines } = await run(["--aws", "--queue", sqs.queueUrl(QUEUE)]);
    expect(code).toBe(1);
    expect(lambda.requests).toEqual([]);
    expect(sqs.held(QUEUE)).toEqual(["s-1"]);
    expect(lines[0]?.replace(/^.*not re-sent: /, "")).toBe(
      "a batch of the incident table's stream (3 records from 4100000000000000000001) the audit exporter gave up " +
        "on; it cannot be delivered again: check the chains with verify-audit --aws --bucket, then delete the message",
    );
  });

  it("never prints the control characters of hostile text (escape sequences, line breaks, bidi overrides)", async () => {
    await sqs.close();
    await lambda.close();
    const hostile = "boom\u001b[2J\u001b]8;;https://evil.example\u0007click\nFAKE LINE\u202etxt";
    await start([
      {
        messageId: "h-1",
        body: invocationRecord(
          TRIAGE,
          { ...alertEvent("e-h", "alt_h"), source: "x\u001b[31m" },
          { condition: "RetriesExhausted" },
          { responsePayload: { errorType: "Error", errorMessage: hostile } },
        ),
        attributes: {},
        sentAt: new Date("2026-12-01T10:00:00Z"),
      },
    ]);
    const { lines } = await run(["--aws", "--queue", sqs.queueUrl(QUEUE), "--dry-run"]);
    expect(lines[0]).toContain("boom?[2J?]8;;https://evil.example?click?FAKE LINE?txt");
    expect(lines[0]).toContain("x?[31m");
    // biome-ignore lint/suspicious/noControlCharactersInRegex: none of them may reach the terminal.
    expect(lines.join("")).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e]/);
    expect(printable("a\u2028b\u2066c")).toBe("a?b?c");
  });

  it("refuses to start without --queue, and a bad --limit", async () => {
    expect((await run(["--aws"])).code).toBe(1);
    expect((await run(["--aws", "--queue", QUEUE, "--limit", "0"])).code).toBe(1);
    expect(sqs.requests).toEqual([]);
  });

  it("stops after --limit messages", async () => {
    const { code } = await run(["--aws", "--queue", sqs.queueUrl(QUEUE), "--limit", "2"]);
    expect(code).toBe(0);
    expect(sqs.requests[0]?.body).toMatchObject({ MaxNumberOfMessages: 2 });
    expect(lambda.invocations).toEqual(EXPECTED.slice(0, 2));
    expect(sqs.held(QUEUE)).toEqual(["m-3"]);
  });

  it("runs from the CLI (npm run quell -- redrive --aws …) with the endpoints from the environment", async () => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "infra/local/cli.ts", "redrive", "--aws", "--queue", sqs.queueUrl(QUEUE)],
      { cwd: repoRoot, env: process.env, stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
    });
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(output).toContain("redriven: 3, listed: 0, skipped: 0, failed: 0");
    expect(code).toBe(0);
    expect(lambda.invocations).toEqual(EXPECTED);
    expect(sqs.held(QUEUE)).toEqual([]);
  });
});
