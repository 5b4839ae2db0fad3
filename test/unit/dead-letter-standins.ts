/**
 * Loopback fakes of the two AWS APIs `redrive --aws` calls, speaking their wire protocols as the SDK v3 clients
 * send them: SQS over AWS JSON 1.0 (`POST /`, `X-Amz-Target: AmazonSQS.<Operation>`, application/x-amz-json-1.0;
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/) and Lambda Invoke over REST JSON
 * (`POST /2015-03-31/functions/{FunctionName}/invocations`, `X-Amz-Invocation-Type`). Every request is recorded;
 * requests without a SigV4 Authorization header scoped to the service are refused (the signature is not checked).
 * Reach them with AWS_ENDPOINT_URL_SQS and AWS_ENDPOINT_URL_LAMBDA.
 */
import { createHash, randomUUID } from "node:crypto";
import {
  type Standin,
  type StandinRequest,
  type StandinResponse,
  startStandin,
} from "../../infra/local/standins/server.js";

export interface SeededDeadLetter {
  readonly messageId: string;
  readonly body: string;
  /** String message attributes (ErrorCode, ErrorMessage for Lambda's; ERROR_CODE, TARGET_ARN… for EventBridge's). */
  readonly attributes: Readonly<Record<string, string>>;
  readonly sentAt: Date;
}

interface StoredMessage extends SeededDeadLetter {
  receiptHandle?: string;
  inFlight: boolean;
  receives: number;
}

export interface SqsStandin extends Standin {
  /** The URL of a seeded queue, on this stand-in. */
  queueUrl(name: string): string;
  /** The message ids a queue still holds (in flight or not), in order. */
  held(name: string): string[];
  /** Those of them a ReceiveMessage would return now. */
  visible(name: string): string[];
  /** The operations received, in order: `ReceiveMessage`, `DeleteMessage`… */
  operations(): string[];
}

const signedFor = (service: string, request: StandinRequest) =>
  new RegExp(
    `^AWS4-HMAC-SHA256 Credential=[^/\\s]+/\\d{8}/[a-z0-9-]+/${service}/aws4_request, ?SignedHeaders=`,
  ).test(request.authorization ?? "");

const parseJsonBody = (_body: unknown, request: StandinRequest): unknown => {
  try {
    return request.rawBody ? JSON.parse(request.rawBody) : undefined;
  } catch {
    return request.rawBody;
  }
};

const md5 = (text: string) => createHash("md5").update(text, "utf8").digest("hex");

function sqsError(code: string, queryError: string, message: string, status = 400): StandinResponse {
  return {
    status,
    body: { __type: `com.amazonaws.sqs#${code}`, message },
    headers: {
      "content-type": "application/x-amz-json-1.0",
      "x-amzn-query-error": `${queryError};Sender`,
      "x-amzn-requestid": randomUUID(),
    },
  };
}

const sqsOk = (body: unknown): StandinResponse => ({
  status: 200,
  body,
  headers: { "content-type": "application/x-amz-json-1.0", "x-amzn-requestid": randomUUID() },
});

export async function startSqsStandin(options: {
  accountId: string;
  queues: Record<string, readonly SeededDeadLetter[]>;
}): Promise<SqsStandin> {
  const queues = new Map<string, StoredMessage[]>(
    Object.entries(options.queues).map(([name, messages]) => [
      name,
      messages.map((message) => ({ ...message, inFlight: false, receives: 0 })),
    ]),
  );
  let base = "";
  const operations: string[] = [];
  const queueUrl = (name: string) => `${base}/${options.accountId}/${name}`;
  const queueOf = (url: unknown) =>
    typeof url === "string" ? [...queues].find(([name]) => queueUrl(name) === url)?.[1] : undefined;

  const standin = await startStandin({
    name: "Amazon SQS",
    refineBody: parseJsonBody,
    handle(request) {
      const target = String(request.headers["x-amz-target"] ?? "");
      operations.push(target.replace(/^AmazonSQS\./, "") || `${request.method} ${request.path}`);
      if (request.method !== "POST" || request.path !== "/" || !target.startsWith("AmazonSQS.")) {
        return sqsError(
          "InvalidAction",
          "AWS.SimpleQueueService.InvalidAction",
          `${request.method} ${request.path}`,
        );
      }
      if (request.contentType !== "application/x-amz-json-1.0") {
        return sqsError(
          "InvalidParameterValue",
          "InvalidParameterValue",
          `content type ${request.contentType}`,
        );
      }
      if (!signedFor("sqs", request))
        return sqsError("AccessDenied", "AccessDenied", "not signed for sqs", 403);
      const input = (request.body ?? {}) as Record<string, unknown>;
      const operation = target.slice("AmazonSQS.".length);
      if (operation === "GetQueueUrl") {
        const name = String(input.QueueName);
        return queues.has(name)
          ? sqsOk({ QueueUrl: queueUrl(name) })
          : sqsError(
              "QueueDoesNotExist",
              "AWS.SimpleQueueService.NonExistentQueue",
              "The specified queue does not exist.",
            );
      }
      const queue = queueOf(input.QueueUrl);
      if (!queue) {
        return sqsError(
          "QueueDoesNotExist",
          "AWS.SimpleQueueService.NonExistentQueue",
          "The specified queue does not exist.",
        );
      }
      const byHandle = () => queue.find((message) => message.receiptHandle === input.ReceiptHandle);
      switch (operation) {
        case "ReceiveMessage": {
          const max = Number(input.MaxNumberOfMessages ?? 1);
          const taken = queue.filter((message) => !message.inFlight).slice(0, max);
          for (const message of taken) {
            message.inFlight = true;
            message.receives += 1;
            message.receiptHandle = `rh-${message.messageId}-${message.receives}`;
          }
          return sqsOk(
            taken.length === 0
              ? {}
              : {
                  Messages: taken.map((message) => ({
                    MessageId: message.messageId,
                    ReceiptHandle: message.receiptHandle,
                    MD5OfBody: md5(message.body),
                    Body: message.body,
                    Attributes: {
                      SentTimestamp: String(message.sentAt.getTime()),
                      ApproximateReceiveCount: String(message.receives),
                    },
                    MessageAttributes: Object.fromEntries(
                      Object.entries(message.attributes).map(([name, value]) => [
                        name,
                        { DataType: "String", StringValue: value },
                      ]),
                    ),
                  })),
                },
          );
        }
        case "DeleteMessage": {
          const message = byHandle();
          if (!message)
            return sqsError("ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid", "unknown receipt handle");
          queue.splice(queue.indexOf(message), 1);
          return sqsOk({});
        }
        case "ChangeMessageVisibility": {
          const message = byHandle();
          if (!message)
            return sqsError("ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid", "unknown receipt handle");
          if (input.VisibilityTimeout === 0) message.inFlight = false;
          return sqsOk({});
        }
        default:
          return sqsError(
            "InvalidAction",
            "AWS.SimpleQueueService.InvalidAction",
            `${operation} is not faked`,
          );
      }
    },
  });
  base = standin.url;
  return {
    ...standin,
    queueUrl,
    held: (name) => (queues.get(name) ?? []).map((message) => message.messageId),
    visible: (name) =>
      (queues.get(name) ?? []).filter((m) => !m.inFlight).map((message) => message.messageId),
    operations: () => [...operations],
  };
}

export interface LambdaStandin extends Standin {
  /** Every invocation Lambda accepted: function (decoded from the path), invocation type and payload as sent. */
  readonly invocations: { functionName: string; invocationType: string; payload: string }[];
}

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

function lambdaError(status: number, type: string, message: string): StandinResponse {
  return {
    status,
    body: { Type: status >= 500 ? "Service" : "User", message },
    headers: { "x-amzn-errortype": type, "x-amzn-requestid": randomUUID() },
  };
}

export async function startLambdaStandin(): Promise<LambdaStandin> {
  const invocations: LambdaStandin["invocations"] = [];
  const standin = await startStandin({
    name: "AWS Lambda",
    refineBody: (_body, request) => request.rawBody,
    faultResponse: (status) =>
      lambdaError(status, status === 429 ? "TooManyRequestsException" : "ServiceException", "stand-in fault"),
    handle(request) {
      const match = INVOKE_PATH.exec(request.path);
      if (request.method !== "POST" || !match?.[1]) {
        return lambdaError(404, "UnknownOperationException", `${request.method} ${request.path}`);
      }
      if (!signedFor("lambda", request))
        return lambdaError(403, "AccessDeniedException", "not signed for lambda");
      const invocationType = String(request.headers["x-amz-invocation-type"] ?? "RequestResponse");
      invocations.push({
        functionName: decodeURIComponent(match[1]),
        invocationType,
        payload: request.rawBody,
      });
      return invocationType === "Event"
        ? { status: 202, headers: { "x-amzn-requestid": randomUUID() } }
        : { status: 200, body: null, headers: { "x-amzn-requestid": randomUUID() } };
    },
  });
  return { ...standin, invocations };
}
