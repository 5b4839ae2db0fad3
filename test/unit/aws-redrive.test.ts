import { spawn } from "node:child_process";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { repoRoot } from "../../infra/aws/paths.js";
import { awsRedriveCommand, redriveClients } from "../../infra/local/aws-redrive.js";
import {
  type LambdaStandin,
  type SeededDeadLetter,
  type SqsStandin,
  startLambdaStandin,
  startSqsStandin,
} from "./dead-letter-standins.js";

/**
 * Issue 12, self-monitoring: `npm run quell -- redrive --aws` re-invokes each dead letter's function with its body
 * (asynchronously) and deletes the message only after Lambda accepted it; a failed re-send leaves it in the queue.
 */

const ACCOUNT = "123456789012";
const QUEUE = "Quell-test-Logic-IntakeTriageDeadLetters-ABC123";
const TRIAGE = "Quell-test-Logic-IntakeTriageFunction-XYZ789";
const TRIAGE_ARN = `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:${TRIAGE}`;

/** An EventBridge event as the bus delivered it to triage (the body of both kinds of dead letters). */
const event = (id: string, alertId: string) =>
  JSON.stringify({
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

const LETTERS: SeededDeadLetter[] = [
  {
    messageId: "m-1",
    body: event("e-1", "alt_1"),
    attributes: {
      RequestID: "r-1",
      ErrorCode: "200",
      ErrorMessage: "TransientError: the table did not answer",
    },
    sentAt: new Date("2026-12-01T10:05:00Z"),
  },
  {
    messageId: "m-2",
    body: event("e-2", "alt_2"),
    attributes: { RequestID: "r-2", ErrorCode: "200", ErrorMessage: "Task timed out after 30.00 seconds" },
    sentAt: new Date("2026-12-01T10:06:00Z"),
  },
  {
    messageId: "m-3",
    body: event("e-3", "alt_3"),
    attributes: {
      RULE_ARN: `arn:aws:events:eu-west-1:${ACCOUNT}:rule/quell/AlertReceived`,
      TARGET_ARN: TRIAGE_ARN,
      ERROR_CODE: "SDK_CLIENT_ERROR",
      ERROR_MESSAGE: "Unable to invoke Lambda function",
      EXHAUSTED_RETRY_CONDITION: "MaximumRetryAttemptsExhausted",
      RETRY_ATTEMPTS: "8",
    },
    sentAt: new Date("2026-12-01T10:07:00Z"),
  },
];

let sqs: SqsStandin;
let lambda: LambdaStandin;
const saved = { ...process.env };
beforeEach(async () => {
  sqs = await startSqsStandin({ accountId: ACCOUNT, queues: { [QUEUE]: LETTERS } });
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
  it("re-invokes the function with each body, asynchronously, and deletes each message after its re-send", async () => {
    const { code, lines } = await run(["--aws", "--queue", sqs.queueUrl(QUEUE), "--function", TRIAGE]);
    expect(code).toBe(0);
    expect(lambda.invocations).toEqual(
      LETTERS.map((letter) => ({ functionName: TRIAGE, invocationType: "Event", payload: letter.body })),
    );
    expect(sqs.operations()).toEqual([
      "ReceiveMessage",
      "DeleteMessage",
      "DeleteMessage",
      "DeleteMessage",
      "ReceiveMessage",
    ]);
    const queueUrl = sqs.queueUrl(QUEUE);
    expect(sqs.requests.map((request) => request.body)).toEqual([
      { QueueUrl: queueUrl, ...RECEIVE },
      { QueueUrl: queueUrl, ReceiptHandle: "rh-m-1-1" },
      { QueueUrl: queueUrl, ReceiptHandle: "rh-m-2-1" },
      { QueueUrl: queueUrl, ReceiptHandle: "rh-m-3-1" },
      { QueueUrl: queueUrl, ...RECEIVE },
    ]);
    // Each delete came after its own invocation was accepted.
    const order = [...sqs.requests, ...lambda.requests]
      .sort((a, b) => a.at.getTime() - b.at.getTime())
      .map((request) => (request.path.endsWith("/invocations") ? "invoke" : "sqs"));
    expect(order.slice(1, 7)).toEqual(["invoke", "sqs", "invoke", "sqs", "invoke", "sqs"]);
    expect(sqs.held(QUEUE)).toEqual([]);
    expect(lines[0]).toMatch(
      /^m-1 {2}redriven {2}2026-12-01T10:05:00.000Z {2}quell\.ingest {2}event e-1 {2}alert alt_1 {2}200: TransientError/,
    );
    expect(lines.at(-1)).toBe("redriven: 3, listed: 0, failed: 0");
  });

  it("leaves a message whose re-send failed in the queue, visible again, and goes on with the others", async () => {
    lambda.faults.next({
      method: "POST",
      path: /\/invocations$/,
      where: (request) => String(request.body).includes('"alt_2"'),
      status: 500,
      applied: false,
    });
    const { code, lines } = await run(["--aws", "--queue", sqs.queueUrl(QUEUE), "--function", TRIAGE]);
    expect(code).toBe(1);
    // m-2 reached Lambda once and was refused; m-1 and m-3 were accepted.
    expect(lambda.requests).toHaveLength(3);
    expect(lambda.invocations.map((invocation) => invocation.payload)).toEqual([
      LETTERS[0]?.body,
      LETTERS[2]?.body,
    ]);
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
    expect(lines.at(-1)).toBe("redriven: 2, listed: 0, failed: 1");

    // The next redrive sends it and empties the queue.
    const again = await run(["--aws", "--queue", sqs.queueUrl(QUEUE), "--function", TRIAGE]);
    expect(again.code).toBe(0);
    expect(lambda.invocations.at(-1)?.payload).toBe(LETTERS[1]?.body);
    expect(sqs.held(QUEUE)).toEqual([]);
  });

  it("lists in a dry run and changes nothing: no invocation, no delete, every message visible again", async () => {
    const { code, lines } = await run(["--aws", "--queue", QUEUE, "--function", TRIAGE, "--dry-run"]);
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
    expect(
      lines
        .slice(0, 3)
        .every((line) => line.includes(`listed`) && line.endsWith(`would re-invoke ${TRIAGE}`)),
    ).toBe(true);
    expect(lines.at(-1)).toBe("redriven: 0, listed: 3, failed: 0");
  });

  it("without --function, re-invokes the TARGET_ARN of the bus's dead letters and keeps the others", async () => {
    const { code, lines } = await run(["--aws", "--queue", sqs.queueUrl(QUEUE)]);
    expect(code).toBe(1);
    expect(lambda.invocations).toEqual([
      { functionName: TRIAGE_ARN, invocationType: "Event", payload: LETTERS[2]?.body },
    ]);
    // The ARN travels in the path, encoded.
    expect(lambda.requests[0]?.path).toBe(
      `/2015-03-31/functions/${encodeURIComponent(TRIAGE_ARN)}/invocations`,
    );
    expect(sqs.held(QUEUE)).toEqual(["m-1", "m-2"]);
    expect(lines.filter((line) => line.includes("no function (pass --function)"))).toHaveLength(2);
  });

  it("refuses to start without --queue, and a bad --limit", async () => {
    expect((await run(["--aws"])).code).toBe(1);
    expect((await run(["--aws", "--queue", QUEUE, "--limit", "0"])).code).toBe(1);
    expect(sqs.requests).toEqual([]);
  });

  it("stops after --limit messages", async () => {
    const { code } = await run([
      "--aws",
      "--queue",
      sqs.queueUrl(QUEUE),
      "--function",
      TRIAGE,
      "--limit",
      "2",
    ]);
    expect(code).toBe(0);
    expect(sqs.requests[0]?.body).toMatchObject({ MaxNumberOfMessages: 2 });
    expect(lambda.invocations).toHaveLength(2);
    expect(sqs.held(QUEUE)).toEqual(["m-3"]);
  });

  it("runs from the CLI (npm run quell -- redrive --aws …) with the endpoints from the environment", async () => {
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "infra/local/cli.ts",
        "redrive",
        "--aws",
        "--queue",
        sqs.queueUrl(QUEUE),
        "--function",
        TRIAGE,
      ],
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
    expect(output).toContain("redriven: 3, listed: 0, failed: 0");
    expect(code).toBe(0);
    expect(lambda.invocations).toHaveLength(3);
    expect(sqs.held(QUEUE)).toEqual([]);
  });
});
