import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  type DynamoDBDocumentClient,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from "@aws-sdk/lib-dynamodb";
import { TransientError } from "./errors.js";

type TransactItem = NonNullable<TransactWriteCommandInput["TransactItems"]>[number];

/** What became of a transaction: written, or refused with one reason code per item (`None` for those that held). */
export type TransactionResult = { written: true } | { written: false; reasons: readonly string[] };

const MAX_ATTEMPTS = 6;

const cancellationReasons = (error: unknown): string[] | undefined => {
  if ((error as { name?: string }).name !== "TransactionCanceledException") return undefined;
  const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
  return reasons.map((reason) => reason.Code ?? "None");
};

/**
 * Reasons that say nothing about the items' conditions: another transaction held an item at that instant, or the
 * table was throttled. A transaction cancelled for one of them is tried again, never read as a condition's answer.
 */
const TRANSIENT_REASONS = new Set([
  "TransactionConflict",
  "ThrottlingError",
  "ProvisionedThroughputExceeded",
]);

/**
 * Write `items` all or none. A refusal because a condition failed is an answer (returned with each item's reason);
 * one because another transaction held an item or the table was throttled at that instant is retried after a
 * short, jittered pause, and after the last attempt becomes a TransientError, so the caller's event is retried.
 */
export async function writeTransaction(
  db: DynamoDBDocumentClient,
  items: TransactItem[],
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<TransactionResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      await db.send(new TransactWriteCommand({ TransactItems: items }));
      return { written: true };
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (!reasons) throw error;
      const transient = reasons.filter((reason) => TRANSIENT_REASONS.has(reason));
      if (transient.length === 0) return { written: false, reasons };
      if (attempt >= MAX_ATTEMPTS)
        throw new TransientError(
          `a transaction was cancelled ${attempt} times (${[...new Set(transient)].join(", ")})`,
          { cause: error },
        );
      await sleep(Math.random() * 10 * 2 ** attempt);
    }
  }
}

/**
 * A plain write (PutItem, UpdateItem, DeleteItem) to an item that a transaction holds at that instant is refused
 * with TransactionConflictException, which the SDK does not retry by itself. Quell writes incidents in
 * transactions (an alert and its count), so every other writer of an incident would fail now and then during an
 * alert storm: this marks that refusal as retryable (with the SDK's usual backoff and retry budget).
 */
export function retryTransactionConflicts(client: DynamoDBClient): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        if ((error as { name?: string } | undefined)?.name === "TransactionConflictException")
          Object.assign(error as object, { $retryable: { throttling: true } });
        throw error;
      }
    },
    { step: "deserialize", name: "quellRetryTransactionConflicts", priority: "high" },
  );
}
