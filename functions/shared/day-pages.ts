import { type DynamoDBDocumentClient, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { ValidationError } from "./errors.js";
import { decodeCursor, encodeCursor, type Page, type PageOf } from "./page-cursor.js";

export const MAX_DAY_PAGE = 1000;

/**
 * One page of a partition kept by day (`<prefix>#YYYY-MM-DD`: rejections, unmatched alerts), newest first by sort
 * key. Asks for one item more than the page holds, so `nextCursor` is there exactly when more items follow. The
 * cursor is the key of the last item served; one from another day or list is refused, never followed.
 */
export async function dayPage(
  db: DynamoDBDocumentClient,
  tableName: string,
  prefix: string,
  day: string,
  page: Page,
): Promise<PageOf<Record<string, unknown>>> {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day))
    throw new ValidationError(`day "${day.slice(0, 32)}" is not YYYY-MM-DD`);
  if (!Number.isInteger(page.limit) || page.limit < 1 || page.limit > MAX_DAY_PAGE)
    throw new ValidationError(`limit must be a whole number from 1 to ${MAX_DAY_PAGE}`);
  const pk = `${prefix}#${day}`;
  const after = page.cursor ? decodeCursor(page.cursor, ["pk", "sk"] as const) : undefined;
  if (after && after.pk !== pk)
    throw new ValidationError(`cursor is from another list or day than ${pk}; start without it`, [
      { path: "cursor", message: "not a cursor of this list" },
    ]);
  const result = await db.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: "pk = :pk",
      ExpressionAttributeValues: { ":pk": pk },
      ScanIndexForward: false,
      ConsistentRead: true,
      Limit: page.limit + 1,
      ...(after ? { ExclusiveStartKey: after } : {}),
    }),
  );
  const items = result.Items ?? [];
  const served = items.slice(0, page.limit);
  const last = served.at(-1);
  // Beyond the extra item, a query also stops early at 1 MB read: then it says where, and more may follow.
  const more = items.length > page.limit || result.LastEvaluatedKey !== undefined;
  return more && last
    ? { items: served, nextCursor: encodeCursor({ pk, sk: String(last.sk) }) }
    : { items: served };
}
