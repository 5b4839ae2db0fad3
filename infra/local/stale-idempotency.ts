import { DeleteCommand, type DynamoDBDocumentClient, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { isConditionFailure } from "../../functions/shared/dynamo-expressions.js";

/** Powertools idempotency's attribute and status names (its DynamoDB persistence layer's defaults). */
const STATUS = "status";
const IN_PROGRESS = "INPROGRESS";

/**
 * At start nothing runs, so every idempotency record still `INPROGRESS` belongs to an invocation the stopped
 * runtime lost: forget it, so the step can run again now (a rerun, a resumed execution) instead of being refused
 * with IdempotencyAlreadyInProgressError until the lost invocation's timeout. Completed records stay: a step that
 * finished keeps returning its first result instead of sending its writes again. Returns how many were cleared.
 */
export async function clearStaleInProgress(db: DynamoDBDocumentClient, tableName: string): Promise<number> {
  let cleared = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: "#status = :inProgress",
        ExpressionAttributeNames: { "#status": STATUS },
        ExpressionAttributeValues: { ":inProgress": IN_PROGRESS },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) {
      try {
        await db.send(
          new DeleteCommand({
            TableName: tableName,
            Key: { id: item.id },
            ConditionExpression: "#status = :inProgress",
            ExpressionAttributeNames: { "#status": STATUS },
            ExpressionAttributeValues: { ":inProgress": IN_PROGRESS },
          }),
        );
        cleared += 1;
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return cleared;
}
