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
 * `npm run quell -- redrive --aws`: deliver again the dead letters of a deployed Quell function. A dead-letter
 * queue holds two kinds of messages, both with the original event as the body: the function's own asynchronous
 * failures (attributes `ErrorCode`, `ErrorMessage`, `RequestID`) and the events an EventBridge rule could not
 * deliver to it (`ERROR_CODE`, `ERROR_MESSAGE`, `TARGET_ARN`, …). Each is re-invoked asynchronously (InvocationType
 * Event, as the bus invokes it) and deleted only once Lambda accepted it; a message whose re-send failed stays in
 * the queue. A message re-sent but not deleted is re-sent by the next redrive: triage and the notifier are
 * idempotent per alert and per timeline entry, so that costs a duplicate delivery, not a duplicate incident.
 */

export interface AwsRedriveOptions {
  /** The queue URL, or its name (looked up with GetQueueUrl). */
  readonly queue: string;
  /** The function to re-invoke (name or ARN). Absent: each message's `TARGET_ARN` (EventBridge's dead letters). */
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
  /** `redriven`: re-sent and deleted; `listed`: dry run; `failed`: still in the queue (or re-sent, not deleted). */
  readonly outcome: "redriven" | "listed" | "failed";
  readonly line: string;
}

/** How long a received dead letter stays hidden from other readers while it is re-sent. */
const VISIBILITY_SECONDS = 120;

/** The dead letter's error, from either kind of attributes. */
function errorOf(message: Message): string {
  const attribute = (name: string) => message.MessageAttributes?.[name]?.StringValue;
  const code = attribute("ErrorCode") ?? attribute("ERROR_CODE");
  const text = attribute("ErrorMessage") ?? attribute("ERROR_MESSAGE");
  return [code, text].filter(Boolean).join(": ").slice(0, 300) || "no error recorded";
}

/** What the event is about, for the listing: its EventBridge id, source and Quell alert or incident id. */
function eventLabel(event: unknown): string {
  if (!event || typeof event !== "object") return "";
  const record = event as Record<string, unknown>;
  const detail = (record.detail ?? {}) as Record<string, unknown>;
  return [
    typeof record.source === "string" ? record.source : undefined,
    typeof record.id === "string" ? `event ${record.id}` : undefined,
    typeof detail.alertId === "string" ? `alert ${detail.alertId}` : undefined,
    typeof detail.incidentId === "string" ? `incident ${detail.incidentId}` : undefined,
  ]
    .filter(Boolean)
    .join("  ");
}

const parseJson = (text: string): { ok: true; value: unknown } | { ok: false } => {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
};

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
 * Read the queue until it answers empty (or `limit` messages), re-invoke each message's function with its body and
 * delete it once Lambda accepted it. Messages not deleted (dry run, failures) are made visible again at the end, so
 * the next run (or another reader) sees them at once. Prints one line per message through `print`.
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

  const record = (message: Message, outcome: DeadLetterOutcome["outcome"], detail: string) => {
    const messageId = message.MessageId ?? "(no id)";
    const line = `${messageId}  ${outcome}  ${detail}`;
    outcomes.push({ messageId, outcome, line });
    print(line);
  };

  while (outcomes.length < limit) {
    const received = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: Math.min(10, limit - outcomes.length),
        VisibilityTimeout: VISIBILITY_SECONDS,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ["All"],
        MessageSystemAttributeNames: ["SentTimestamp", "ApproximateReceiveCount"],
      }),
    );
    const fresh = (received.Messages ?? []).filter((message) => !seen.has(message.MessageId ?? ""));
    if (fresh.length === 0) break;
    for (const message of fresh) {
      seen.add(message.MessageId ?? "");
      const sentAt = message.Attributes?.SentTimestamp
        ? new Date(Number(message.Attributes.SentTimestamp)).toISOString()
        : "?";
      const body = message.Body ?? "";
      const parsed = parseJson(body);
      const target = options.functionName ?? message.MessageAttributes?.TARGET_ARN?.StringValue;
      const about = `${sentAt}  ${parsed.ok ? eventLabel(parsed.value) : "(body is not JSON)"}  ${errorOf(message)}`;
      if (!parsed.ok || !target) {
        keep.push(message);
        record(
          message,
          "failed",
          `${about}  not re-sent: ${parsed.ok ? "no function (pass --function)" : "the body is not an event"}`,
        );
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
            Payload: Buffer.from(body, "utf8"),
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

Delivers again the dead letters of a deployed Quell function: each message's body (the original event) is
re-invoked asynchronously on --function (else the message's TARGET_ARN), then deleted; a message whose re-send
failed stays in the queue. --dry-run lists them and changes nothing. The stack outputs Redrive<Function> are the
whole command for each dead-letter queue. Uses the usual AWS credentials (AWS_PROFILE, AWS_REGION, …).`;

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
    console.error(`redrive --aws needs --queue <dead-letter queue URL or name>\n\n${AWS_REDRIVE_HELP}`);
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
      ? "No dead letters."
      : `redriven: ${count("redriven")}, listed: ${count("listed")}, failed: ${count("failed")}`,
  );
  return count("failed") > 0 ? 1 : 0;
}
