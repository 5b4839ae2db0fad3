/**
 * Local stand-in for Anthropic's Admin API (not Anthropic): the organization's API keys, as documented at
 * https://docs.anthropic.com/en/api/admin-api/apikeys/list-api-keys
 * https://docs.anthropic.com/en/api/admin-api/apikeys/get-api-key
 * https://docs.anthropic.com/en/api/admin-api/apikeys/update-api-key
 *   GET  /v1/organizations/api_keys          ?limit (1-1000, default 20)&after_id&before_id&status&workspace_id
 *                                            &created_by_user_id
 *   GET  /v1/organizations/api_keys/{api_key_id}
 *   POST /v1/organizations/api_keys/{api_key_id}   JSON `{name?, status?}` (name 1-500 characters)
 * The Admin API cannot create or delete keys (that is the Console's job), so there is no DELETE: this stand-in
 * answers it, and any other method on a known path, 405 rather than 404, so that a client trying to delete a
 * key cannot read the answer as "already gone". The real API's answer to a wrong method is not documented.
 *
 * Authentication (https://docs.anthropic.com/en/docs/administration/administration-api): an Admin API key
 * (`sk-ant-admin...`) in the `x-api-key` header; an `Authorization: Bearer` header is not read, so a request
 * with only that has no key. Every request must also send `anthropic-version`
 * (https://docs.anthropic.com/en/api/versioning); this stand-in answers in the shapes of `2023-06-01` only and
 * refuses any other version, so a client pinned elsewhere fails loudly here instead of parsing the wrong shape.
 *
 * Errors (https://docs.anthropic.com/en/api/errors) are `{type: "error", error: {type, message}, request_id}`
 * with `type` by status: 400 invalid_request_error (also used for other 4XX), 401 authentication_error,
 * 403 permission_error, 404 not_found_error, 429 rate_limit_error, 500 api_error, 529 overloaded_error. Every
 * response carries a `request-id` header; the error body repeats it as `request_id`.
 *
 * Lists are `{data, has_more, first_id, last_id}` and really page, in seed order: a client that ignores
 * `has_more` misses what is past the first page. `before_id` pages backwards ("the page of results immediately
 * before this object"); `has_more` then says whether more lie further back. Archived is final: a key once
 * archived cannot be made active or inactive, or renamed, again (re-archiving it is a harmless no-op).
 *
 * Not modelled: the fields later API versions add (`expires_at`, `principal`, `scope`) and the `expired` status
 * (accepted as a list filter, it matches nothing here).
 */
import { isRecord, matchPath, type Standin, type StandinResponse, startStandin } from "./server.js";

/** The `anthropic-version` this stand-in answers in. */
export const ANTHROPIC_VERSION = "2023-06-01";

export type AnthropicKeyStatus = "active" | "inactive" | "archived";

export interface AnthropicKeySeed {
  /** e.g. "apikey_01Rj2N8SVvo6BePZj99NhmiT" */
  id: string;
  name: string;
  /** The full secret; the API only ever shows its partial hint. */
  secret: string;
  /** Default "active". */
  status?: AnthropicKeyStatus;
  /** The key's Workspace; null or absent for the default Workspace. */
  workspaceId?: string | null;
  /** Date or RFC 3339 string; defaults to the stand-in's start time. */
  createdAt?: Date | string;
  /** The User who created the key; defaults to the stand-in's own user. */
  createdByUserId?: string;
}

export interface AnthropicStandinOptions {
  /** The Admin API key the stand-in accepts in `x-api-key`. */
  adminKey: string;
  keys: AnthropicKeySeed[];
  port?: number;
}

export interface AnthropicApiKey {
  id: string;
  type: "api_key";
  name: string;
  /** null when the key belongs to the default Workspace. */
  workspace_id: string | null;
  /** RFC 3339. */
  created_at: string;
  created_by: { id: string; type: "user" };
  /** See {@link partialKeyHint}; null when the secret is too short to hint at safely. */
  partial_key_hint: string | null;
  status: AnthropicKeyStatus;
}

/** One update applied through `POST /v1/organizations/api_keys/{id}`, with the fields it sent. */
export interface AnthropicKeyUpdate {
  keyId: string;
  status?: AnthropicKeyStatus;
  name?: string;
  at: Date;
}

export interface AnthropicStandin extends Standin {
  /** The key's current status, or undefined for an unknown id. */
  keyStatus(id: string): AnthropicKeyStatus | undefined;
  /** Every update the API accepted (answered 200), in order; refused ones are not here. */
  updates: AnthropicKeyUpdate[];
}

/** The user the stand-in says created keys whose seed does not name one. */
export const ANTHROPIC_STANDIN_USER_ID = "user_01StandinQuellOwner00000";

const HINT_PREFIX = 16;
const HINT_SUFFIX = 4;
const HINT_MIN_SECRET = 40;

/**
 * The `partial_key_hint` the stand-in shows for a secret. Anthropic's reference shows the form only by example
 * (`"partial_key_hint": "sk-ant-api03-R2D...igAA"` in the API key object): the key's first 16 characters (the
 * 13 of `sk-ant-api03-` and 3 more), "...", and its last 4; we keep exactly that. The field is nullable in the
 * reference; we answer null for secrets shorter than 40 characters, where the hint would show half the secret
 * or more (real keys are about 108 characters long).
 */
export function partialKeyHint(secret: string): string | null {
  if (secret.length < HINT_MIN_SECRET) return null;
  return `${secret.slice(0, HINT_PREFIX)}...${secret.slice(-HINT_SUFFIX)}`;
}

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 1000;
const MAX_NAME = 500;
const STATUSES: readonly AnthropicKeyStatus[] = ["active", "inactive", "archived"];
/** Values the list's `status` filter takes: the statuses plus `expired`, which later versions document. */
const FILTER_STATUSES: readonly string[] = [...STATUSES, "expired"];
const UPDATE_FIELDS: readonly string[] = ["name", "status"];

type AnthropicErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "billing_error"
  | "permission_error"
  | "not_found_error"
  | "conflict_error"
  | "request_too_large"
  | "rate_limit_error"
  | "api_error"
  | "overloaded_error";

/** The error `type` Anthropic documents for a status; other 4XX are invalid_request_error, other 5XX api_error. */
function errorTypeFor(status: number): AnthropicErrorType {
  const known: Record<number, AnthropicErrorType> = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    409: "conflict_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
  };
  return known[status] ?? (status < 500 ? "invalid_request_error" : "api_error");
}

let requestCounter = 0;
/** A request id in Anthropic's `req_…` form, unique within the process. */
function newRequestId(): string {
  requestCounter += 1;
  return `req_standin${String(requestCounter).padStart(16, "0")}`;
}

function anthropicError(
  status: number,
  message: string,
  headers: Record<string, string> = {},
): StandinResponse {
  const requestId = newRequestId();
  return {
    status,
    body: { type: "error", error: { type: errorTypeFor(status), message }, request_id: requestId },
    headers: { "request-id": requestId, ...headers },
  };
}

const invalid = (message: string) => anthropicError(400, message);

/** A 200 with its `request-id`. */
function ok(body: unknown): StandinResponse {
  return { status: 200, body, headers: { "request-id": newRequestId() } };
}

/** Anthropic's answers to rate limiting, overload and its own failures (see faults.ts). */
function anthropicFault(status: number): StandinResponse {
  if (status === 429) {
    return anthropicError(
      status,
      "This request would exceed your organization's rate limit. Please try again later.",
      { "retry-after": "1" },
    );
  }
  if (status === 529) return anthropicError(status, "Overloaded");
  if (status >= 500) return anthropicError(status, "Internal server error");
  return anthropicError(status, `stand-in fault: HTTP ${status}`);
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function isJson(contentType: string | undefined): boolean {
  const type = (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  return type === "application/json" || type.endsWith("+json");
}

function rfc3339(value: Date | string | undefined, fallback: Date, keyId: string): string {
  if (value === undefined) return fallback.toISOString();
  const date = typeof value === "string" ? new Date(value) : value;
  if (Number.isNaN(date.getTime()))
    throw new Error(`Anthropic stand-in: key ${keyId} has an invalid createdAt`);
  return date.toISOString();
}

interface UpdateFields {
  name?: string;
  status?: AnthropicKeyStatus;
}

interface StoredKey {
  seed: AnthropicKeySeed;
  name: string;
  status: AnthropicKeyStatus;
  createdAt: string;
}

export async function startAnthropicStandin(options: AnthropicStandinOptions): Promise<AnthropicStandin> {
  const startedAt = new Date();
  const seen = new Set<string>();
  const keys: StoredKey[] = options.keys.map((seed) => {
    if (seen.has(seed.id)) throw new Error(`Anthropic stand-in: duplicate key id ${seed.id}`);
    seen.add(seed.id);
    return {
      seed,
      name: seed.name,
      status: seed.status ?? "active",
      createdAt: rfc3339(seed.createdAt, startedAt, seed.id),
    };
  });
  const updates: AnthropicKeyUpdate[] = [];

  const keyObject = (key: StoredKey): AnthropicApiKey => ({
    id: key.seed.id,
    type: "api_key",
    name: key.name,
    workspace_id: key.seed.workspaceId ?? null,
    created_at: key.createdAt,
    created_by: { id: key.seed.createdByUserId ?? ANTHROPIC_STANDIN_USER_ID, type: "user" },
    partial_key_hint: partialKeyHint(key.seed.secret),
    status: key.status,
  });

  const findKey = (id: string | undefined) => keys.find((key) => key.seed.id === id);
  const keyNotFound = (id: string | undefined) => anthropicError(404, `API key not found: ${id ?? ""}`);
  const methodNotAllowed = (allow: string) => anthropicError(405, "Method Not Allowed", { allow });

  function parseLimit(raw: string | undefined): number | StandinResponse {
    if (raw === undefined) return DEFAULT_LIMIT;
    const limit = Number(raw);
    if (!/^\d+$/.test(raw) || limit < 1 || limit > MAX_LIMIT) {
      return invalid(`limit: Input should be an integer between 1 and ${MAX_LIMIT}, got '${raw}'`);
    }
    return limit;
  }

  function listKeys(query: Record<string, string>): StandinResponse {
    const limit = parseLimit(query.limit);
    if (typeof limit !== "number") return limit;
    const { after_id: afterId, before_id: beforeId, status } = query;
    if (afterId !== undefined && beforeId !== undefined) {
      return invalid("after_id and before_id cannot both be given");
    }
    if (status !== undefined && !FILTER_STATUSES.includes(status)) {
      return invalid(`status: Input should be one of ${FILTER_STATUSES.map((s) => `'${s}'`).join(", ")}`);
    }
    const visible = (key: StoredKey) =>
      (status === undefined || key.status === status) &&
      (query.workspace_id === undefined || key.seed.workspaceId === query.workspace_id) &&
      (query.created_by_user_id === undefined ||
        (key.seed.createdByUserId ?? ANTHROPIC_STANDIN_USER_ID) === query.created_by_user_id);

    // Cursors count every key, filtered out or not, so a cursor always marks a place. An unknown cursor gives an
    // empty page rather than silently restarting from the top.
    let data: StoredKey[];
    let hasMore: boolean;
    if (beforeId !== undefined) {
      const index = keys.findIndex((key) => key.seed.id === beforeId);
      const earlier = index === -1 ? [] : keys.slice(0, index).filter(visible);
      data = earlier.slice(-limit);
      hasMore = earlier.length > limit;
    } else {
      let start = 0;
      if (afterId !== undefined) {
        const index = keys.findIndex((key) => key.seed.id === afterId);
        start = index === -1 ? keys.length : index + 1;
      }
      const later = keys.slice(start).filter(visible);
      data = later.slice(0, limit);
      hasMore = later.length > limit;
    }
    return ok({
      data: data.map(keyObject),
      has_more: hasMore,
      first_id: data[0]?.seed.id ?? null,
      last_id: data[data.length - 1]?.seed.id ?? null,
    });
  }

  /** Validates an update body: the fields to apply, or the 400 that refuses it. */
  function parseUpdate(
    contentType: string | undefined,
    body: unknown,
    parseError: boolean,
  ): { fields: UpdateFields } | { refused: StandinResponse } {
    const refuse = (message: string) => ({ refused: invalid(message) });
    if (!isJson(contentType)) return refuse("Content-Type must be application/json");
    if (parseError) return refuse("The request body is not valid JSON");
    if (!isRecord(body)) return refuse("The request body must be a JSON object");
    const unknown = Object.keys(body).filter((field) => !UPDATE_FIELDS.includes(field));
    if (unknown.length > 0) return refuse(`${unknown[0]}: Extra inputs are not permitted`);
    const fields: UpdateFields = {};
    if ("name" in body) {
      const { name } = body;
      if (typeof name !== "string" || name.length < 1 || name.length > MAX_NAME) {
        return refuse(`name: Input should be a string of 1 to ${MAX_NAME} characters`);
      }
      fields.name = name;
    }
    if ("status" in body) {
      const status = STATUSES.find((candidate) => candidate === body.status);
      if (status === undefined) {
        return refuse(`status: Input should be ${STATUSES.map((s) => `'${s}'`).join(", ")}`);
      }
      fields.status = status;
    }
    return { fields };
  }

  const standin = await startStandin({
    name: "Anthropic Admin API",
    port: options.port,
    faultResponse: anthropicFault,
    handle(request) {
      const apiKey = headerValue(request.headers["x-api-key"]);
      if (apiKey === undefined || apiKey.length === 0) {
        return anthropicError(401, "x-api-key header is required");
      }
      if (apiKey !== options.adminKey) return anthropicError(401, "invalid x-api-key");
      const version = headerValue(request.headers["anthropic-version"]);
      if (version === undefined || version.length === 0) {
        return invalid("anthropic-version: header is required");
      }
      if (version !== ANTHROPIC_VERSION) {
        return invalid(
          `anthropic-version: '${version}' is not supported by this stand-in, which answers ${ANTHROPIC_VERSION} only`,
        );
      }

      const { method, path } = request;
      if (path === "/v1/organizations/api_keys") {
        if (method !== "GET") return methodNotAllowed("GET");
        return listKeys(request.query);
      }

      const params = matchPath("/v1/organizations/api_keys/:key", path);
      if (params) {
        if (method !== "GET" && method !== "POST") return methodNotAllowed("GET, POST");
        const key = findKey(params.key);
        if (!key) return keyNotFound(params.key);
        if (method === "GET") return ok(keyObject(key));

        const update = parseUpdate(request.contentType, request.body, request.bodyParseError);
        if ("refused" in update) return update.refused;
        const { fields } = update;
        if (
          key.status === "archived" &&
          ((fields.status !== undefined && fields.status !== "archived") ||
            (fields.name !== undefined && fields.name !== key.name))
        ) {
          return invalid(`API key ${key.seed.id} is archived; an archived API key cannot be changed`);
        }
        if (fields.name !== undefined) key.name = fields.name;
        if (fields.status !== undefined) key.status = fields.status;
        updates.push({ keyId: key.seed.id, ...fields, at: new Date() });
        return ok(keyObject(key));
      }

      return anthropicError(404, "Not Found");
    },
  });

  return {
    ...standin,
    updates,
    keyStatus(id) {
      return findKey(id)?.status;
    },
  };
}
