import * as z from "zod";
import { QuellError } from "../shared/errors.js";
import type { HttpClient, HttpRequest } from "../shared/http.js";

/** Past this many pages a listing stops: a provider that never says "no more" cannot keep an action running. */
const MAX_PAGES = 50;

const Page = <T extends z.ZodType>(item: T) =>
  z.object({ data: z.array(item), has_more: z.boolean(), last_id: z.string().nullable().optional() });

/** Where to list, how the provider names its cursor, and the credential and headers each page is sent with. */
export type PagedListRequest = { url: string; cursor: string; limit: number } & Pick<
  HttpRequest,
  "bearer" | "apiKey" | "headers"
>;

/**
 * Every item of a cursor-paged provider listing (`{data, has_more, last_id}`, as OpenAI's and Anthropic's admin
 * APIs page): the next page starts after the last id, named by `cursor` (`after` at OpenAI, `after_id` at
 * Anthropic). Each item is checked against `item`.
 */
export async function listAllPages<T extends z.ZodType>(
  http: HttpClient,
  request: PagedListRequest,
  item: T,
): Promise<z.infer<T>[]> {
  const { url, cursor, limit, ...credentials } = request;
  const items: z.infer<T>[] = [];
  let after: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const query = new URLSearchParams({ limit: String(limit), ...(after ? { [cursor]: after } : {}) });
    const response = await http({ method: "GET", url: `${url}?${query}`, ...credentials });
    const parsed = Page(item).parse(response.body);
    items.push(...parsed.data);
    if (!parsed.has_more || !parsed.last_id) return items;
    after = parsed.last_id;
  }
  return items;
}

/** One page of an AWS listing: its items and, unless it is the last, the token of the next page. */
export interface TokenPage<Item> {
  items: readonly Item[] | undefined;
  nextToken?: string | undefined;
}

/**
 * Every item of an AWS listing paged by `nextToken`. `read` sends one request, spreading `from` into it (empty
 * for the first page). A listing that has not ended after MAX_PAGES pages is an error naming `what`.
 */
export async function listAllTokenPages<Item>(
  read: (from: { nextToken?: string }) => Promise<TokenPage<Item>>,
  what: string,
): Promise<Item[]> {
  const items: Item[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const answer = await read(nextToken ? { nextToken } : {});
    items.push(...(answer.items ?? []));
    nextToken = answer.nextToken;
    if (!nextToken) return items;
  }
  throw new QuellError(`${what} did not end after ${MAX_PAGES} pages`);
}
