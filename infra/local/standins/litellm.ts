/**
 * Local stand-in for the LiteLLM proxy's admin API (not LiteLLM): virtual-key limits and blocked end users, as
 * LiteLLM documents and implements them (docs/my-website/docs/proxy/virtual_keys.md and customers.md;
 * litellm/proxy/management_endpoints/key_management_endpoints.py and customer_endpoints.py of BerriAI/litellm):
 *   GET  /key/info?key=<key>               {key, info: {token, key_alias, rpm_limit, tpm_limit, …}}
 *   POST /key/update     {key, rpm_limit?, tpm_limit?}   (null clears a limit)
 *   GET  /customer/info?end_user_id=<id>   {user_id, blocked, alias, spend, …}; unknown: 404
 *   POST /customer/block {user_ids: [...]}  upserts each with blocked=true: {blocked_users: [...]}
 *   POST /customer/update {user_id, blocked}
 *   POST /customer/unblock                  400 "Blocked user check was never set", as on a proxy without the
 *                                           enterprise blocked_user_list hook: it never clears the stored flag
 * Every call needs `Authorization: Bearer <master key>`. Errors are LiteLLM's ProxyException shape
 * `{error: {message, type, param, code}}`. Bodies it does not expect (another field, a limit that is not a
 * non-negative integer or null) are refused, so tests see exactly what Quell sent.
 */
import { isRecord, type Standin, type StandinResponse, startStandin, tokenFrom } from "./server.js";

export interface LiteLLMKeySeed {
  /** What `key` names the key by: its token (the hash LiteLLM stores) or the id an alert carries. */
  key: string;
  alias?: string;
  rpmLimit: number | null;
  tpmLimit: number | null;
}

export interface LiteLLMCustomerSeed {
  userId: string;
  blocked?: boolean;
}

export interface LiteLLMStandinOptions {
  masterKey: string;
  keys: LiteLLMKeySeed[];
  customers: LiteLLMCustomerSeed[];
  port?: number;
}

export interface LiteLLMLimits {
  rpm: number | null;
  tpm: number | null;
}

export interface LiteLLMStandin extends Standin {
  /** A key's current limits, or undefined when the stand-in has no such key. */
  limitsOf(key: string): LiteLLMLimits | undefined;
  /** Whether an end user is blocked now; undefined when the stand-in has no record of them. */
  isBlocked(userId: string): boolean | undefined;
  /** Answer the next `/customer/block` with 500 after storing it, as BerriAI/litellm#41575 reports. */
  failNextBlockAfterStoring(): void;
}

const proxyError = (status: number, message: string, type: string, param = "None"): StandinResponse => ({
  status,
  body: { error: { message, type, param, code: String(status) } },
});

const LIMIT_FIELDS = ["rpm_limit", "tpm_limit"] as const;
const isLimit = (value: unknown) => value === null || (Number.isInteger(value) && (value as number) >= 0);

export async function startLiteLLMStandin(options: LiteLLMStandinOptions): Promise<LiteLLMStandin> {
  const keys = new Map(
    options.keys.map((seed) => [
      seed.key,
      { alias: seed.alias ?? null, limits: { rpm: seed.rpmLimit, tpm: seed.tpmLimit } },
    ]),
  );
  const customers = new Map(
    options.customers.map((seed) => [seed.userId, { blocked: seed.blocked ?? false }]),
  );

  const keyInfo = (key: string) => {
    const stored = keys.get(key);
    if (!stored) return proxyError(404, `Key not found in database. key=${key}`, "not_found", "key");
    return {
      status: 200,
      body: {
        key,
        info: {
          token: key,
          key_alias: stored.alias,
          rpm_limit: stored.limits.rpm,
          tpm_limit: stored.limits.tpm,
          spend: 0,
          blocked: null,
          metadata: {},
        },
      },
    };
  };
  const customerRecord = (userId: string) => ({
    user_id: userId,
    blocked: customers.get(userId)?.blocked ?? false,
    alias: null,
    spend: 0,
    allowed_model_region: null,
    default_model: null,
    litellm_budget_table: null,
  });
  const customerNotFound = (userId: string) =>
    proxyError(404, `End User Id=${userId} does not exist in db`, "not_found", "end_user_id");

  function updateKey(body: Record<string, unknown>): StandinResponse {
    const { key, ...changes } = body;
    const unexpected = Object.keys(changes).filter(
      (field) => !(LIMIT_FIELDS as readonly string[]).includes(field),
    );
    if (typeof key !== "string" || unexpected.length > 0 || !Object.values(changes).every(isLimit)) {
      return proxyError(
        400,
        `stand-in expects {key, rpm_limit?, tpm_limit?}; got ${JSON.stringify(body)}`,
        "bad_request",
      );
    }
    const stored = keys.get(key);
    if (!stored) return proxyError(404, `Key not found in database. key=${key}`, "not_found", "key");
    if ("rpm_limit" in changes) stored.limits.rpm = changes.rpm_limit as number | null;
    if ("tpm_limit" in changes) stored.limits.tpm = changes.tpm_limit as number | null;
    return { status: 200, body: { key, rpm_limit: stored.limits.rpm, tpm_limit: stored.limits.tpm } };
  }

  function blockCustomers(body: Record<string, unknown>): StandinResponse {
    const ids = body.user_ids;
    if (!Array.isArray(ids) || ids.length === 0 || !ids.every((id) => typeof id === "string")) {
      return proxyError(422, "user_ids must be a non-empty list of strings", "bad_request", "user_ids");
    }
    for (const id of ids as string[]) customers.set(id, { blocked: true });
    return { status: 200, body: { blocked_users: (ids as string[]).map(customerRecord) } };
  }

  function updateCustomer(body: Record<string, unknown>): StandinResponse {
    const { user_id: userId, ...changes } = body;
    if (
      typeof userId !== "string" ||
      Object.keys(changes).join() !== "blocked" ||
      typeof changes.blocked !== "boolean"
    ) {
      return proxyError(
        400,
        `stand-in expects {user_id, blocked}; got ${JSON.stringify(body)}`,
        "bad_request",
      );
    }
    const stored = customers.get(userId);
    if (!stored) return customerNotFound(userId);
    stored.blocked = changes.blocked;
    return { status: 200, body: customerRecord(userId) };
  }

  const standin = await startStandin({
    name: "LiteLLM proxy admin API",
    ...(options.port !== undefined ? { port: options.port } : {}),
    faultResponse: (status) =>
      status === 429
        ? {
            ...proxyError(429, "Rate limit exceeded, retry later", "rate_limit_error"),
            headers: { "retry-after": "1" },
          }
        : proxyError(status, "Internal server error", "internal_error"),
    handle(request) {
      if (tokenFrom(request.authorization) !== options.masterKey) {
        return proxyError(401, "Authentication Error, Invalid proxy server token passed.", "auth_error");
      }
      const route = `${request.method} ${request.path}`;
      if (route === "GET /key/info") {
        return request.query.key
          ? keyInfo(request.query.key)
          : proxyError(400, "key is required", "bad_request");
      }
      if (route === "GET /customer/info") {
        const userId = request.query.end_user_id;
        if (!userId) return proxyError(422, "end_user_id is required", "bad_request", "end_user_id");
        return customers.has(userId)
          ? { status: 200, body: customerRecord(userId) }
          : customerNotFound(userId);
      }
      if (request.method !== "POST") return proxyError(404, `Not Found: ${route}`, "not_found");
      if (request.bodyParseError || !isRecord(request.body)) {
        return proxyError(422, "expected a JSON object body", "bad_request");
      }
      switch (request.path) {
        case "/key/update":
          return updateKey(request.body);
        case "/customer/block":
          return blockCustomers(request.body);
        case "/customer/update":
          return updateCustomer(request.body);
        case "/customer/unblock":
          return {
            status: 400,
            body: { detail: { error: "Blocked user check was never set. This call has no effect." } },
          };
        default:
          return proxyError(404, `Not Found: ${route}`, "not_found");
      }
    },
  });

  return {
    ...standin,
    limitsOf: (key) => {
      const stored = keys.get(key);
      return stored ? { ...stored.limits } : undefined;
    },
    isBlocked: (userId) => customers.get(userId)?.blocked,
    failNextBlockAfterStoring: () =>
      standin.faults.next({ method: "POST", path: "/customer/block", status: 500, applied: true }),
  };
}
