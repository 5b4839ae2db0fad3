import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { type Clock, unixSeconds } from "./ids.js";

const PARTITION = "CONTAINMENTS";
const HOUR_MS = 3600 * 1000;

/**
 * Every containment applied in the last hour, one item each (kept two hours): recorded by the action that applied
 * it, counted by the approval request before it asks.
 */
export class ContainmentLedger {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock,
  ) {}

  /** One applied containment (the action handler is idempotent per step, so a run is recorded once). */
  async record(run: { incidentId: string; step: string; action: string }): Promise<void> {
    const at = this.clock().toISOString();
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: PARTITION,
          sk: `${at}#${run.incidentId}#${run.step}`,
          entity: "containment",
          ...run,
          at,
          expiresAt: unixSeconds(this.clock) + 2 * 3600,
        },
      }),
    );
  }

  /** How many containments were applied in the hour before now. */
  async lastHour(): Promise<number> {
    const since = new Date(this.clock().getTime() - HOUR_MS).toISOString();
    let count = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: "pk = :pk AND sk >= :since",
          ExpressionAttributeValues: { ":pk": PARTITION, ":since": since },
          Select: "COUNT",
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      count += page.Count ?? 0;
      start = page.LastEvaluatedKey;
    } while (start);
    return count;
  }
}
