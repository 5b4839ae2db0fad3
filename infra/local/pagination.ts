import type { Page } from "../../functions/shared/page-cursor.js";

export const DEFAULT_PAGE_LIMIT = 50;
export const MAX_PAGE_LIMIT = 200;

export type PageQuery =
  | { readonly ok: true; readonly page: Page }
  | { readonly ok: false; readonly error: { readonly code: string; readonly message: string } };

/** `?limit=N&cursor=…` of a list route: limit 1..200 (default 50); the cursor is checked by the list itself. */
export function pageOf(query: URLSearchParams): PageQuery {
  const limitText = query.get("limit");
  const limit =
    limitText === null ? DEFAULT_PAGE_LIMIT : /^\d{1,4}$/.test(limitText) ? Number(limitText) : NaN;
  if (!(limit >= 1 && limit <= MAX_PAGE_LIMIT)) {
    return {
      ok: false,
      error: {
        code: "bad_limit",
        message: `limit must be a whole number from 1 to ${MAX_PAGE_LIMIT} (default ${DEFAULT_PAGE_LIMIT})`,
      },
    };
  }
  const cursor = query.get("cursor");
  return { ok: true, page: cursor === null ? { limit } : { limit, cursor } };
}

/** A list route's answer: the page under `name`, its next cursor, and whether there is more. */
export const pageBody = (
  name: string,
  page: { readonly items: readonly unknown[]; readonly nextCursor?: string },
) => ({
  [name]: page.items,
  ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
  more: page.nextCursor !== undefined,
});
