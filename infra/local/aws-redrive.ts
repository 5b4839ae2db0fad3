import { parseArgs } from "node:util";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueUrlCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";

/**
 * `npm run quell -- redrive --aws`: deliver again what waits in a deployed Quell's failure queue (the stack output
 * `RedriveCommand`). The queue holds two kinds of messages, and each says where it goes back to:
 * - a Lambda invocation record (the on-failure destination of every asynchronously invoked function): a JSON body
 *   with `requestContext.functionArn` (the function), `requestPayload` (the original event) and the error in
 *   `requestContext.condition` and `responsePayload`; it is re-invoked on that function with that payload;
 * - an event an EventBridge rule could not deliver (the target's dead-letter queue): the event as the body, and
 *   `TARGET_ARN`, `RULE_ARN`, `ERROR_CODE`, `ERROR_MESSAGE` as message attributes; it is re-invoked on TARGET_ARN.
 * Each is invoked asynchronously (InvocationType Event, as Lambda and the bus invoke it) and deleted only once
 * Lambda accepted it; a message whose re-send failed stays in the queue. A message re-sent but not deleted is
 * re-sent by the next redrive: triage and the notifier are idempotent per alert and per timeline entry, so that
 * costs a duplicate delivery, not a duplicate incident.
 */

export interface AwsRedriveOptions {
  /** The queue URL, or its name (looked up with GetQueueUrl). */
  readonly queue: string;
  /** Only the messages for this function (name or ARN); the others stay in the queue untouched. */
  readonly functionName?: string;
  /** List what would be redriven; invoke and delete nothing. */
  readonly dryRun: boolean;
  /** Stop after this many messages. */
  readonly limit?: number;
}

export interface RedriveClients {
  readonly sqs: SQSClient;
  readonly lambda: LambdaClient;
}

export interface DeadLetterOutcome {
  readonly messageId: string;
  /**
   * `redriven`: re-sent and deleted; `listed`: dry run; `skipped`: for another function than --function;
   * `failed`: still in the queue (or re-sent, not deleted).
   */
  readonly outcome: "redriven" | "listed" | "skipped" | "failed";
  readonly line: string;
}

/** How long a received message stays hidden from other readers while it is re-sent. */
const VISIBILITY_SECONDS = 120;

/**
 * Alert text is hostile and reaches this terminal through error messages and event fields: control characters
 * (escape sequences), line separators and bidirectional overrides are shown as `?`.
 */
export const printable = (text: string): string =>
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point.
  text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, "?");

/** The function name in a Lambda ARN (`…:function:<name>[:qualifier]`), or the name as given. */
export const functionNameOf = (target: string): string =>
  /^arn:[^:]+:lambda:[^:]+:[^:]+:function:([^:]+)/.exec(target)?.[1] ?? target.split(":")[0] ?? target;

/** Where a failed delivery goes back to, with what, and what went wrong; or why it cannot be re-sent. */
export type FailedDelivery = {
  /** The source of the message: Lambda's invocation record, or EventBridge's dead letter. */
  readonly kind: "lambda" | "eventbridge" | "unknown";
  readonly error: string;
  readonly event?: unknown;
} & ({ readonly target: string; readonly payload: string } | { readonly problem: string });

const parseJson = (text: string): { ok: true; value: unknown } | { ok: false } => {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
};

const objectOf = (value: unknown): Record<string, unknown> | undefined =>
  value && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
const stringOf = (value: unknown) => (typeof value === "string" && value !== "" ? value : undefined);
const joined = (...parts: (string | undefined)[]) => parts.filter(Boolean).join(": ").slice(0, 300);

/** Read one message of the failure queue. */
export function failedDeliveryOf(message: Message): FailedDelivery {
  const attribute = (name: string) => message.MessageAttributes?.[name]?.StringValue;
  const body = message.Body ?? "";
  const parsed = parseJson(body);
  const targetArn = attribute("TARGET_ARN");
  if (targetArn) {
    const error =
      joined(attribute("ERROR_CODE"), attribute("ERROR_MESSAGE")) +
      (attribute("EXHAUSTED_RETRY_CONDITION") ? ` (${attribute("EXHAUSTED_RETRY_CONDITION")})` : "");
    const base = { kind: "eventbridge" as const, error: error || "no error recorded" };
    if (!parsed.ok) return { ...base, problem: "the body is not an event" };
    if (!/^arn:[^:]+:lambda:/.test(targetArn))
      return { ...base, event: parsed.value, problem: `its target ${targetArn} is not a Lambda function` };
    return { ...base, event: parsed.value, target: targetArn, payload: body };
  }
  const record = parsed.ok ? objectOf(parsed.value) : undefined;
  const context = objectOf(record?.requestContext);
  const functionArn = stringOf(context?.functionArn);
  if (record && functionArn && "requestPayload" in record) {
    const response = objectOf(record.responsePayload);
    const error = joined(
      stringOf(context?.condition),
      stringOf(response?.errorType) ?? stringOf(objectOf(record.responseContext)?.functionError),
      stringOf(response?.errorMessage),
    );
    return {
      kind: "lambda",
      error: error || "no error recorded",
      event: record.requestPayload,
      target: functionArn,
      payload: JSON.stringify(record.requestPayload),
    };
  }
  const streamBatch = objectOf(record?.DDBStreamBatchInfo);
  if (streamBatch) {
    // The audit exporter's stream records cannot be sent again (the stream keeps them 24 hours; the message holds
    // only where they were); each incident's next head covers the heads they carried.
    return {
      kind: "unknown",
      error: stringOf(context?.condition) ?? "no error recorded",
      problem:
        `a batch of the incident table's stream (${String(streamBatch.batchSize ?? "?")} records from ` +
        `${String(streamBatch.startSequenceNumber ?? "?")}) the audit exporter gave up on; it cannot be delivered ` +
        "again: check the chains with verify-audit --aws --bucket, then delete the message",
    };
  }
  return {
    kind: "unknown",
    error: "no error recorded",
    problem: "neither a Lambda invocation record nor an EventBridge dead letter",
  };
}

/** What the event is about, for the listing: its EventBridge id, source and Quell alert or incident id. */
function eventLabel(event: unknown): string {
  const record = objectOf(event);
  if (!record) return "";
  const detail = objectOf(record.detail) ?? {};
  return [
    stringOf(record.source),
    stringOf(record.id) && `event ${record.id}`,
    stringOf(detail.alertId) && `alert ${detail.alertId}`,
    stringOf(detail.incidentId) && `incident ${detail.incidentId}`,
  ]
    .filter(Boolean)
    .join("  ");
}

async function queueUrlOf(sqs: SQSClient, queue: string): Promise<string> {
  if (/^https?:\/\//.test(queue)) return queue;
  const found = await sqs.send(new GetQueueUrlCommand({ QueueName: queue }));
  if (!found.QueueUrl) throw new Error(`no queue named ${queue}`);
  return found.QueueUrl;
}

/** The region in an SQS queue URL (`https://sqs.eu-west-1.amazonaws.com/…`), when the environment names none. */
export const regionOfQueueUrl = (queue: string): string | undefined =>
  /^https:\/\/sqs\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\//.exec(queue)?.[1];

/** Clients from the usual credential chain and region (AWS_REGION, the profile, else the queue URL's region). */
export function redriveClients(queue: string, env: NodeJS.ProcessEnv = process.env): RedriveClients {
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION ? undefined : regionOfQueueUrl(queue);
  const config = region ? { region } : {};
  return { sqs: new SQSClient(config), lambda: new LambdaClient(config) };
}

/**
 * Read the queue until it answers empty (or `limit` messages for the chosen function), re-invoke each message's
 * function with its event and delete it once Lambda accepted it. Messages not deleted (dry run, skipped, failures)
 * are made visible again at the end, so the next run (or another reader) sees them at once. Prints one line per
 * message through `print`.
 */
export async function redriveDeadLetters(
  options: AwsRedriveOptions,
  { sqs, lambda }: RedriveClients,
  print: (line: string) => void = console.log,
): Promise<DeadLetterOutcome[]> {
  const queueUrl = await queueUrlOf(sqs, options.queue);
  const outcomes: DeadLetterOutcome[] = [];
  const keep: Message[] = [];
  const seen = new Set<string>();
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const handled = () => outcomes.filter((outcome) => outcome.outcome !== "skipped").length;

  const record = (message: Message, outcome: DeadLetterOutcome["outcome"], detail: string) => {
    const messageId = message.MessageId ?? "(no id)";
    const line = printable(`${messageId}  ${outcome}  ${detail}`);
    outcomes.push({ messageId, outcome, line });
    print(line);
  };

  while (handled() < limit) {
    const received = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: Math.min(10, limit - handled()),
        VisibilityTimeout: VISIBILITY_SECONDS,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ["All"],
        MessageSystemAttributeNames: ["SentTimestamp", "ApproximateReceiveCount"],
      }),
    );
    const fresh = (received.Messages ?? []).filter((message) => !seen.has(message.MessageId ?? ""));
    if (fresh.length === 0) break;
    for (const message of fresh) {
      if (handled() >= limit) {
        keep.push(message);
        continue;
      }
      seen.add(message.MessageId ?? "");
      const sentAt = message.Attributes?.SentTimestamp
        ? new Date(Number(message.Attributes.SentTimestamp)).toISOString()
        : "?";
      const delivery = failedDeliveryOf(message);
      const fn = "target" in delivery ? functionNameOf(delivery.target) : "(no function)";
      const about = [sentAt, fn, eventLabel(delivery.event), delivery.error].filter(Boolean).join("  ");
      if (!("target" in delivery)) {
        keep.push(message);
        record(message, "failed", `${about}  not re-sent: ${delivery.problem}`);
        continue;
      }
      const { target, payload } = delivery;
      if (options.functionName && functionNameOf(options.functionName) !== fn) {
        keep.push(message);
        record(message, "skipped", `${about}  left in the queue: not for ${options.functionName}`);
        continue;
      }
      if (options.dryRun) {
        keep.push(message);
        record(message, "listed", `${about}  would re-invoke ${target}`);
        continue;
      }
      try {
        const invoked = await lambda.send(
          new InvokeCommand({
            FunctionName: target,
            InvocationType: "Event",
            Payload: Buffer.from(payload, "utf8"),
          }),
        );
        if (invoked.StatusCode !== 202)
          throw new Error(`Lambda answered ${invoked.StatusCode ?? "no status"}`);
      } catch (error) {
        keep.push(message);
        record(message, "failed", `${about}  re-send failed, left in the queue: ${messageOf(error)}`);
        continue;
      }
      try {
        await sqs.send(
          new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }),
        );
        record(message, "redriven", `${about}  re-invoked ${target}`);
      } catch (error) {
        record(
          message,
          "failed",
          `${about}  re-invoked ${target} but not deleted (${messageOf(error)}): the next redrive sends it again`,
        );
      }
    }
  }

  for (const message of keep) {
    await sqs
      .send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: queueUrl,
          ReceiptHandle: message.ReceiptHandle,
          VisibilityTimeout: 0,
        }),
      )
      // It becomes visible on its own after VISIBILITY_SECONDS.
      .catch(() => undefined);
  }
  return outcomes;
}

const messageOf = (error: unknown) =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

export const AWS_REDRIVE_HELP = `Usage: npm run quell -- redrive --aws --queue <queue url or name> [--function <name or arn>]
                                  [--dry-run] [--limit <n>]

Delivers again what waits in a deployed Quell's failure queue (the stack output RedriveCommand is the whole
command): each message goes back to the function it failed in (a Lambda invocation record's
requestContext.functionArn, with its requestPayload; an EventBridge dead letter's TARGET_ARN, with its body),
invoked asynchronously, and is deleted only once Lambda accepted it; a message whose re-send failed stays in the
queue and the exit code is 1. --function redrives only that function's messages and leaves the others.
--dry-run lists them (function, event, error) and changes nothing. --limit stops after n messages.
Uses the usual AWS credentials (AWS_PROFILE, AWS_REGION, …; the region defaults to the queue URL's).`;

/** `redrive --aws …` (argv after `redrive`): the exit code is 1 when any message was not redriven. */
export async function awsRedriveCommand(
  argv: readonly string[],
  clients?: RedriveClients,
  print: (line: string) => void = console.log,
): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      aws: { type: "boolean" },
      queue: { type: "string" },
      function: { type: "string" },
      "dry-run": { type: "boolean" },
      limit: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    print(AWS_REDRIVE_HELP);
    return 0;
  }
  if (!values.queue) {
    console.error(`redrive --aws needs --queue <failure queue URL or name>\n\n${AWS_REDRIVE_HELP}`);
    return 1;
  }
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
    console.error(`--limit must be a positive integer, got ${values.limit}`);
    return 1;
  }
  const outcomes = await redriveDeadLetters(
    {
      queue: values.queue,
      ...(values.function ? { functionName: values.function } : {}),
      dryRun: values["dry-run"] === true,
      ...(limit !== undefined ? { limit } : {}),
    },
    clients ?? redriveClients(values.queue),
    print,
  );
  const count = (outcome: DeadLetterOutcome["outcome"]) =>
    outcomes.filter((o) => o.outcome === outcome).length;
  print(
    outcomes.length === 0
      ? "The failure queue is empty."
      : `redriven: ${count("redriven")}, listed: ${count("listed")}, skipped: ${count("skipped")}, failed: ${count("failed")}`,
  );
  return count("failed") > 0 ? 1 : 0;
}
