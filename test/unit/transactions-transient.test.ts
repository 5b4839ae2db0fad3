import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { describe, expect, it } from "vitest";
import { TransientError } from "../../functions/shared/errors.js";
import { writeTransaction } from "../../functions/shared/transactions.js";

const cancelled = (...codes: string[]) =>
  Object.assign(new Error("Transaction cancelled"), {
    name: "TransactionCanceledException",
    CancellationReasons: codes.map((Code) => ({ Code })),
  });

/** A document client whose transactions are refused with `failures` in turn, then written. */
function clientFailing(failures: Error[]) {
  let sent = 0;
  const db = {
    send: async () => {
      sent += 1;
      const failure = failures.shift();
      if (failure) throw failure;
      return {};
    },
  } as unknown as DynamoDBDocumentClient;
  return { db, sent: () => sent };
}

const noPause = async () => undefined;
const item = { Put: { TableName: "t", Item: { pk: "a" } } };

describe("writeTransaction and cancellations that say nothing about the conditions", () => {
  it("tries a transaction cancelled by throttling again, and reports it written", async () => {
    const { db, sent } = clientFailing([
      cancelled("ThrottlingError", "None"),
      cancelled("None", "ThrottlingError"),
    ]);
    await expect(writeTransaction(db, [item, item], noPause)).resolves.toEqual({ written: true });
    expect(sent()).toBe(3);
  });

  it("never reads a throttled cancellation as a failed condition: after the last attempt it is a TransientError", async () => {
    const { db, sent } = clientFailing(Array.from({ length: 10 }, () => cancelled("ThrottlingError")));
    const attempt = writeTransaction(db, [item], noPause);
    await expect(attempt).rejects.toBeInstanceOf(TransientError);
    await expect(attempt).rejects.toThrow(/ThrottlingError/);
    expect(sent()).toBe(6);
  });

  it("answers a failed condition at once, with each item's reason", async () => {
    const { db, sent } = clientFailing([cancelled("None", "ConditionalCheckFailed")]);
    await expect(writeTransaction(db, [item, item], noPause)).resolves.toEqual({
      written: false,
      reasons: ["None", "ConditionalCheckFailed"],
    });
    expect(sent()).toBe(1);
  });
});
