/**
 * What the IAM stand-in's operations share (see iam.ts): the Query API shape, IAM's validation and not-found
 * errors, the caller named by the SigV4 credential, RFC 3986 encoding of policy documents, and Marker/MaxItems
 * pagination as IAM's list operations document it (MaxItems 1–1000, default 100; an opaque Marker that is present
 * only while IsTruncated is true), e.g. https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListRolePolicies.html
 */
import { escapeXml, type QueryApi, queryApi } from "./aws-query.js";
import type { StandinResponse } from "./server.js";

export const IAM_API_VERSION = "2010-05-08";
export const iam: QueryApi = queryApi("iam", "https://iam.amazonaws.com/doc/2010-05-08/", IAM_API_VERSION);

/** IAM's `ValidationError` (400): a parameter is missing, malformed or conflicts with another. */
export const validationError = (message: string): StandinResponse =>
  iam.error(400, "ValidationError", message);

/** IAM's `NoSuchEntity` (404). */
export const noSuchEntity = (message: string): StandinResponse => iam.error(404, "NoSuchEntity", message);

export const noSuchUser = (userName: string): StandinResponse =>
  noSuchEntity(`The user with name ${userName} cannot be found.`);

/**
 * What IAM answers when an operation that defaults to "the user whose credentials are used to call the
 * operation" is called without UserName by a caller that is not a known IAM user.
 */
export const nonUserCaller = (): StandinResponse =>
  validationError("Must specify userName when calling with non-User credentials");

/** The access key id a SigV4 `Authorization: AWS4-HMAC-SHA256 Credential=<id>/…` header was signed with. */
export function signingKeyId(authorization: string | undefined): string | undefined {
  return /Credential=([^/\s,]+)\//.exec(authorization ?? "")?.[1];
}

/** RFC 3986 percent-encoding, as IAM returns policy documents (encodeURIComponent leaves !'()* alone). */
export function encodeRfc3986(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** IAM timestamps in responses (ISO 8601, UTC). */
export const iamDate = (date: Date): string => date.toISOString();

const MARKER_PREFIX = "quell-iam-standin:";

function encodeMarker(after: string): string {
  return Buffer.from(`${MARKER_PREFIX}${after}`, "utf8").toString("base64url");
}

function decodeMarker(marker: string): string | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(marker)) return undefined;
  const decoded = Buffer.from(marker, "base64url").toString("utf8");
  return decoded.startsWith(MARKER_PREFIX) ? decoded.slice(MARKER_PREFIX.length) : undefined;
}

export interface Page<T> {
  items: T[];
  /** The Marker for the next request; present only when the answer is truncated. */
  marker: string | undefined;
}

/**
 * One page of `items` (sorted ascending by `key`) for the request's MaxItems and Marker. The marker names the
 * last key returned, so a page resumes after it even when that item was deleted in between.
 */
export function paginate<T>(
  items: readonly T[],
  key: (item: T) => string,
  params: Record<string, string>,
): Page<T> | { refused: StandinResponse } {
  let maxItems = 100;
  if (params.MaxItems !== undefined) {
    const value = Number(params.MaxItems);
    const problem = !Number.isInteger(value)
      ? "Member must be an integer"
      : value < 1
        ? "Member must have value greater than or equal to 1"
        : value > 1000
          ? "Member must have value less than or equal to 1000"
          : undefined;
    if (problem) {
      return {
        refused: validationError(
          `1 validation error detected: Value '${params.MaxItems}' at 'maxItems' failed to satisfy constraint: ${problem}`,
        ),
      };
    }
    maxItems = value;
  }
  let start = 0;
  if (params.Marker !== undefined) {
    const after = decodeMarker(params.Marker);
    if (after === undefined) return { refused: validationError("Invalid Marker.") };
    start = items.findIndex((item) => key(item) > after);
    if (start < 0) start = items.length;
  }
  const page = items.slice(start, start + maxItems);
  const last = page.at(-1);
  const truncated = start + maxItems < items.length;
  return { items: page, marker: truncated && last !== undefined ? encodeMarker(key(last)) : undefined };
}

/** `<IsTruncated>…</IsTruncated>` and, when truncated, `<Marker>…</Marker>`. */
export function pageTail(page: Page<unknown>): string {
  return page.marker === undefined
    ? "<IsTruncated>false</IsTruncated>"
    : `<IsTruncated>true</IsTruncated><Marker>${escapeXml(page.marker)}</Marker>`;
}
