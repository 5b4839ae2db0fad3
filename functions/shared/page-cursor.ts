import { ValidationError } from "./errors.js";

/** One page of a list: at most `limit` items, after the position `cursor` names (from the page before). */
export interface Page {
  readonly limit: number;
  readonly cursor?: string;
}

/** A page of items, and the cursor of the next page when there is more. */
export interface PageOf<T> {
  readonly items: T[];
  readonly nextCursor?: string;
}

type CursorKey = Record<string, string>;

/** An opaque cursor: the key of the last item served (a DynamoDB key), base64url-encoded JSON. */
export const encodeCursor = (key: CursorKey): string =>
  Buffer.from(JSON.stringify(key)).toString("base64url");

/**
 * The key a cursor holds, checked: exactly `fields`, each a non-empty string. A cursor this list did not give
 * out is a ValidationError naming it, never a scan from an arbitrary position.
 */
export function decodeCursor<const F extends readonly string[]>(
  cursor: string,
  fields: F,
): Record<F[number], string> {
  const refuse = () =>
    new ValidationError(`cursor "${cursor.slice(0, 64)}" is not one this list gave out; start without it`, [
      { path: "cursor", message: "not a cursor of this list" },
    ]);
  if (!/^[A-Za-z0-9_-]{1,2048}$/.test(cursor)) throw refuse();
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw refuse();
  }
  if (typeof key !== "object" || key === null || Array.isArray(key)) throw refuse();
  const entries = Object.entries(key);
  const valid =
    entries.length === fields.length &&
    fields.every(
      (field) => typeof (key as CursorKey)[field] === "string" && (key as CursorKey)[field] !== "",
    );
  if (!valid) throw refuse();
  return key as Record<F[number], string>;
}
