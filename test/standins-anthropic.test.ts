import { afterEach, describe, expect, it } from "vitest";
import {
  ANTHROPIC_STANDIN_USER_ID,
  ANTHROPIC_VERSION,
  type AnthropicKeySeed,
  type AnthropicStandin,
  partialKeyHint,
  startAnthropicStandin,
} from "../infra/local/standins/anthropic.js";

const ADMIN = "sk-ant-admin01-standinAdminKey0123456789abcdefghijklmnopqrstuvwxyzAA";
const LEAKED_SECRET = "sk-ant-api03-R2DleakedSecretValue0123456789abcdefghijklmnopqrstuvwxyz-igAA";

/** 25 keys (apikey_00 … apikey_24); every fifth inactive, the first three in a workspace and made by user_alice. */
const KEYS: AnthropicKeySeed[] = Array.from({ length: 25 }, (_, i) => {
  const n = String(i).padStart(2, "0");
  return {
    id: `apikey_${n}`,
    name: `key ${i}`,
    secret: `sk-ant-api03-secret${n}abcdefghijklmnopqrstuvwxyz0123456789${n}XY`,
    ...(i % 5 === 4 ? { status: "inactive" as const } : {}),
    ...(i < 3 ? { workspaceId: "wrkspc_ci", createdByUserId: "user_alice" } : {}),
  };
});
const SEEDS: AnthropicKeySeed[] = [
  ...KEYS,
  {
    id: "apikey_leaked",
    name: "Developer Key",
    secret: LEAKED_SECRET,
    createdAt: "2024-10-30T23:58:27.427Z",
  },
  { id: "apikey_short", name: "short", secret: "sk-ant-api03-short" },
];

let anthropic: AnthropicStandin | undefined;
afterEach(async () => {
  await anthropic?.close();
  anthropic = undefined;
});

async function start(): Promise<AnthropicStandin> {
  anthropic = await startAnthropicStandin({ adminKey: ADMIN, keys: SEEDS });
  return anthropic;
}

interface CallInit {
  method?: string;
  /** The x-api-key header; ADMIN unless given (null: none). */
  apiKey?: string | null;
  /** The anthropic-version header; ANTHROPIC_VERSION unless given (null: none). */
  version?: string | null;
  headers?: Record<string, string>;
  json?: unknown;
  /** A raw body, sent with `headers` as given. */
  body?: string;
}

async function call(
  standin: AnthropicStandin,
  path: string,
  init: CallInit = {},
  // biome-ignore lint/suspicious/noExplicitAny: API responses, inspected by the assertions
): Promise<{ status: number; headers: Headers; body: any }> {
  const headers: Record<string, string> = { ...init.headers };
  const apiKey = init.apiKey === undefined ? ADMIN : init.apiKey;
  if (apiKey !== null) headers["x-api-key"] = apiKey;
  const version = init.version === undefined ? ANTHROPIC_VERSION : init.version;
  if (version !== null) headers["anthropic-version"] = version;
  if (init.json !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`${standin.url}${path}`, {
    method: init.method ?? "GET",
    headers,
    body: init.json === undefined ? init.body : JSON.stringify(init.json),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

const KEYS_PATH = "/v1/organizations/api_keys";
const ids = (body: { data: { id: string }[] }) => body.data.map((key) => key.id);

function anthropicError(type: string) {
  return { type: "error", error: { type, message: expect.any(String) }, request_id: expect.any(String) };
}

describe("Anthropic Admin API stand-in: authentication", () => {
  it("refuses a missing, wrong or Bearer key (401) and a missing or other anthropic-version (400)", async () => {
    const standin = await start();
    const missing = await call(standin, KEYS_PATH, { apiKey: null });
    expect(missing.status).toBe(401);
    expect(missing.body).toEqual(anthropicError("authentication_error"));
    expect(missing.body.error.message).toBe("x-api-key header is required");

    const wrongKey = "sk-ant-admin01-wrongWrongWrong0123456789";
    const wrong = await call(standin, KEYS_PATH, { apiKey: wrongKey });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual(anthropicError("authentication_error"));
    expect(JSON.stringify(wrong.body)).not.toContain(wrongKey);

    // Anthropic reads the key from x-api-key: the right key as a Bearer token is no key at all.
    const bearer = await call(standin, KEYS_PATH, {
      apiKey: null,
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(bearer.status).toBe(401);
    expect(bearer.body.error).toEqual({
      type: "authentication_error",
      message: "x-api-key header is required",
    });

    const noVersion = await call(standin, KEYS_PATH, { version: null });
    expect(noVersion.status).toBe(400);
    expect(noVersion.body).toEqual(anthropicError("invalid_request_error"));
    expect(noVersion.body.error.message).toMatch(/anthropic-version/);

    const otherVersion = await call(standin, KEYS_PATH, { version: "2026-10-21" });
    expect(otherVersion.status).toBe(400);
    expect(otherVersion.body.error.type).toBe("invalid_request_error");

    // Refused requests are recorded too, as sent.
    expect(standin.requests).toHaveLength(5);
    expect(standin.requests[2]?.authorization).toBe(`Bearer ${ADMIN}`);
    expect(standin.updates).toEqual([]);
  });

  it("carries a request-id header, repeated as request_id in error bodies", async () => {
    const standin = await start();
    const good = await call(standin, `${KEYS_PATH}/apikey_00`);
    expect(good.status).toBe(200);
    expect(good.headers.get("request-id")).toMatch(/^req_/);
    const bad = await call(standin, `${KEYS_PATH}/apikey_nope`);
    expect(bad.body.request_id).toBe(bad.headers.get("request-id"));
    expect(bad.body.request_id).not.toBe(good.headers.get("request-id"));
  });
});

describe("Anthropic Admin API stand-in: listing", () => {
  it("pages 25 keys at limit 10 over three pages; a client ignoring has_more sees only 10", async () => {
    const standin = await start();
    const seen: string[] = [];
    const pages: { count: number; hasMore: boolean }[] = [];
    let afterId: string | undefined;
    for (;;) {
      const query = new URLSearchParams({ limit: "10", ...(afterId ? { after_id: afterId } : {}) });
      const { status, body } = await call(standin, `${KEYS_PATH}?${query}`);
      expect(status).toBe(200);
      expect(Object.keys(body).sort()).toEqual(["data", "first_id", "has_more", "last_id"]);
      seen.push(...ids(body));
      pages.push({ count: body.data.length, hasMore: body.has_more });
      expect(body.first_id).toBe(body.data[0]?.id);
      expect(body.last_id).toBe(body.data.at(-1)?.id);
      if (!body.has_more) break;
      afterId = body.last_id;
    }
    // The two extra seeds make a third page of 7; the first 25 are the numbered keys in seed order.
    expect(pages).toEqual([
      { count: 10, hasMore: true },
      { count: 10, hasMore: true },
      { count: 7, hasMore: false },
    ]);
    expect(seen).toEqual(SEEDS.map((key) => key.id));
    expect(standin.requests.map((r) => r.query)).toEqual([
      { limit: "10" },
      { limit: "10", after_id: "apikey_09" },
      { limit: "10", after_id: "apikey_19" },
    ]);

    // One call, has_more ignored: 10 keys, not 27.
    const naive = await call(standin, `${KEYS_PATH}?limit=10`);
    expect(naive.body.data).toHaveLength(10);
    expect(naive.body.has_more).toBe(true);
    // Without a limit the page holds 20 (the documented default).
    const defaultPage = await call(standin, KEYS_PATH);
    expect(defaultPage.body.data).toHaveLength(20);
    expect(defaultPage.body.has_more).toBe(true);
    expect((await call(standin, `${KEYS_PATH}?limit=1000`)).body.data).toHaveLength(27);
  });

  it("pages backwards with before_id", async () => {
    const standin = await start();
    const back = await call(standin, `${KEYS_PATH}?limit=10&before_id=apikey_20`);
    expect(ids(back.body)).toEqual(KEYS.slice(10, 20).map((key) => key.id));
    expect(back.body).toMatchObject({ has_more: true, first_id: "apikey_10", last_id: "apikey_19" });
    const start0 = await call(standin, `${KEYS_PATH}?limit=10&before_id=apikey_05`);
    expect(ids(start0.body)).toEqual(KEYS.slice(0, 5).map((key) => key.id));
    expect(start0.body.has_more).toBe(false);
    // An unknown cursor gives an empty page, not the first one again.
    const unknown = await call(standin, `${KEYS_PATH}?after_id=apikey_nope`);
    expect(unknown.body).toEqual({ data: [], has_more: false, first_id: null, last_id: null });
  });

  it("filters by status, workspace_id and created_by_user_id, paging within the filter", async () => {
    const standin = await start();
    const inactive = await call(standin, `${KEYS_PATH}?status=inactive&limit=3`);
    expect(ids(inactive.body)).toEqual(["apikey_04", "apikey_09", "apikey_14"]);
    expect(inactive.body.has_more).toBe(true);
    const rest = await call(standin, `${KEYS_PATH}?status=inactive&limit=3&after_id=apikey_14`);
    expect(ids(rest.body)).toEqual(["apikey_19", "apikey_24"]);
    expect(rest.body.has_more).toBe(false);

    const workspace = await call(standin, `${KEYS_PATH}?workspace_id=wrkspc_ci`);
    expect(ids(workspace.body)).toEqual(["apikey_00", "apikey_01", "apikey_02"]);
    expect(workspace.body.data[0].workspace_id).toBe("wrkspc_ci");
    const alice = await call(standin, `${KEYS_PATH}?created_by_user_id=user_alice`);
    expect(ids(alice.body)).toEqual(["apikey_00", "apikey_01", "apikey_02"]);
    const standinUser = await call(
      standin,
      `${KEYS_PATH}?created_by_user_id=${ANTHROPIC_STANDIN_USER_ID}&limit=1000`,
    );
    expect(standinUser.body.data).toHaveLength(24);
    // `expired` is a documented filter value; no key here is expired.
    expect((await call(standin, `${KEYS_PATH}?status=expired`)).body.data).toEqual([]);
  });

  it("refuses bad limits, statuses and cursors with invalid_request_error", async () => {
    const standin = await start();
    for (const query of [
      "limit=0",
      "limit=1001",
      "limit=abc",
      "limit=5.5",
      "limit=",
      "status=revoked",
      "after_id=apikey_01&before_id=apikey_05",
    ]) {
      const refused = await call(standin, `${KEYS_PATH}?${query}`);
      expect({ query, status: refused.status }).toEqual({ query, status: 400 });
      expect(refused.body).toEqual(anthropicError("invalid_request_error"));
    }
  });
});

describe("Anthropic Admin API stand-in: keys", () => {
  it("gets one key in the documented shape, with a partial hint and never the secret", async () => {
    const standin = await start();
    const { status, body } = await call(standin, `${KEYS_PATH}/apikey_leaked`);
    expect(status).toBe(200);
    expect(body).toEqual({
      id: "apikey_leaked",
      type: "api_key",
      name: "Developer Key",
      workspace_id: null,
      created_at: "2024-10-30T23:58:27.427Z",
      created_by: { id: ANTHROPIC_STANDIN_USER_ID, type: "user" },
      partial_key_hint: "sk-ant-api03-R2D...igAA",
      status: "active",
    });
    // The documented example's form: the first 16 characters, "...", the last 4.
    expect(partialKeyHint(LEAKED_SECRET)).toBe("sk-ant-api03-R2D...igAA");
    // Too short to hint at without showing half of it: null, as the field allows.
    expect(partialKeyHint("sk-ant-api03-short")).toBeNull();
    expect((await call(standin, `${KEYS_PATH}/apikey_short`)).body.partial_key_hint).toBeNull();

    const raw = JSON.stringify((await call(standin, `${KEYS_PATH}?limit=1000`)).body);
    for (const seed of SEEDS) expect(raw).not.toContain(seed.secret);
    expect(raw).not.toContain(ADMIN);
    // created_at defaults to the start time, in RFC 3339.
    expect(new Date((await call(standin, `${KEYS_PATH}/apikey_00`)).body.created_at).toISOString()).toMatch(
      /^\d{4}-\d\d-\d\dT/,
    );
  });

  it("answers 404 not_found_error for unknown keys and routes, 405 to DELETE (there is no delete)", async () => {
    const standin = await start();
    const missing = await call(standin, `${KEYS_PATH}/apikey_nope`);
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual(anthropicError("not_found_error"));
    const route = await call(standin, "/v1/messages", { method: "POST", json: { model: "claude" } });
    expect(route.status).toBe(404);
    expect(route.body.error.type).toBe("not_found_error");
    expect(standin.requests.at(-1)).toMatchObject({
      method: "POST",
      path: "/v1/messages",
      body: { model: "claude" },
      contentType: "application/json",
    });
    expect((await call(standin, `${KEYS_PATH}/`)).status).toBe(404);

    const remove = await call(standin, `${KEYS_PATH}/apikey_00`, { method: "DELETE" });
    expect(remove.status).toBe(405);
    expect(remove.headers.get("allow")).toBe("GET, POST");
    expect(remove.body).toEqual(anthropicError("invalid_request_error"));
    expect((await call(standin, KEYS_PATH, { method: "POST", json: {} })).status).toBe(405);
    expect((await call(standin, `${KEYS_PATH}/apikey_00`, { method: "PATCH", json: {} })).status).toBe(405);
    expect(standin.keyStatus("apikey_00")).toBe("active");
    expect(standin.updates).toEqual([]);
  });

  it("deactivates then reactivates a key with POST, recording each update once", async () => {
    const standin = await start();
    const keyPath = `${KEYS_PATH}/apikey_leaked`;
    const off = await call(standin, keyPath, { method: "POST", json: { status: "inactive" } });
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ id: "apikey_leaked", type: "api_key", status: "inactive" });
    expect(standin.keyStatus("apikey_leaked")).toBe("inactive");
    expect((await call(standin, keyPath)).body.status).toBe("inactive");
    expect(ids((await call(standin, `${KEYS_PATH}?status=inactive&limit=1000`)).body)).toContain(
      "apikey_leaked",
    );
    expect(standin.updates).toEqual([{ keyId: "apikey_leaked", status: "inactive", at: expect.any(Date) }]);

    const on = await call(standin, keyPath, { method: "POST", json: { status: "active", name: "Rotated" } });
    expect(on.body).toMatchObject({
      status: "active",
      name: "Rotated",
      partial_key_hint: "sk-ant-api03-R2D...igAA",
    });
    expect(standin.keyStatus("apikey_leaked")).toBe("active");
    expect(standin.updates).toEqual([
      { keyId: "apikey_leaked", status: "inactive", at: expect.any(Date) },
      { keyId: "apikey_leaked", status: "active", name: "Rotated", at: expect.any(Date) },
    ]);
    expect(standin.requests.filter((r) => r.method === "POST").map((r) => r.body)).toEqual([
      { status: "inactive" },
      { status: "active", name: "Rotated" },
    ]);
    expect(standin.keyStatus("apikey_nope")).toBeUndefined();
  });

  it("refuses bad update bodies with invalid_request_error and changes nothing", async () => {
    const standin = await start();
    const keyPath = `${KEYS_PATH}/apikey_00`;
    const refusals: CallInit[] = [
      { json: { status: "revoked" } },
      { json: { status: "expired" } },
      { json: { status: null } },
      { json: { status: "inactive", reason: "leaked" } },
      { json: { name: "" } },
      { json: { name: "x".repeat(501) } },
      { json: { name: 42 } },
      { json: [{ status: "inactive" }] },
      { json: "inactive" },
      { body: '{"status": "inactive"', headers: { "content-type": "application/json" } },
      { body: "status=inactive", headers: { "content-type": "application/x-www-form-urlencoded" } },
      { body: '{"status": "inactive"}', headers: { "content-type": "text/plain" } },
      {},
    ];
    for (const init of refusals) {
      const refused = await call(standin, keyPath, { method: "POST", ...init });
      expect({ init, status: refused.status }).toEqual({ init, status: 400 });
      expect(refused.body).toEqual(anthropicError("invalid_request_error"));
    }
    expect(standin.keyStatus("apikey_00")).toBe("active");
    expect((await call(standin, keyPath)).body.name).toBe("key 0");
    expect(standin.updates).toEqual([]);

    const unknownKey = await call(standin, `${KEYS_PATH}/apikey_nope`, {
      method: "POST",
      json: { status: "inactive" },
    });
    expect(unknownKey.status).toBe(404);
    expect(standin.updates).toEqual([]);
    // A 500-character name is within the documented bound.
    expect((await call(standin, keyPath, { method: "POST", json: { name: "x".repeat(500) } })).status).toBe(
      200,
    );
  });

  it("archived is final: no way back to active or inactive, no rename; archiving again is a no-op", async () => {
    const standin = await start();
    const keyPath = `${KEYS_PATH}/apikey_03`;
    expect((await call(standin, keyPath, { method: "POST", json: { status: "archived" } })).status).toBe(200);
    expect(standin.keyStatus("apikey_03")).toBe("archived");
    for (const json of [{ status: "active" }, { status: "inactive" }, { name: "revived" }]) {
      const refused = await call(standin, keyPath, { method: "POST", json });
      expect(refused.status).toBe(400);
      expect(refused.body).toEqual(anthropicError("invalid_request_error"));
      expect(refused.body.error.message).toMatch(/archived/);
    }
    expect(standin.keyStatus("apikey_03")).toBe("archived");
    const again = await call(standin, keyPath, { method: "POST", json: { status: "archived" } });
    expect(again).toMatchObject({ status: 200, body: { status: "archived", name: "key 3" } });
    expect(standin.updates.map((update) => update.status)).toEqual(["archived", "archived"]);
    // Archived keys still list, and filter by their status.
    expect(ids((await call(standin, `${KEYS_PATH}?status=archived`)).body)).toEqual(["apikey_03"]);
  });

  it("rejects seeds with duplicate ids or unreadable createdAt", async () => {
    await expect(
      startAnthropicStandin({
        adminKey: ADMIN,
        keys: [
          { id: "apikey_a", name: "a", secret: LEAKED_SECRET },
          { id: "apikey_a", name: "b", secret: LEAKED_SECRET },
        ],
      }),
    ).rejects.toThrow(/duplicate key id apikey_a/);
    await expect(
      startAnthropicStandin({
        adminKey: ADMIN,
        keys: [{ id: "apikey_a", name: "a", secret: LEAKED_SECRET, createdAt: "yesterday" }],
      }),
    ).rejects.toThrow(/invalid createdAt/);
  });
});

describe("Anthropic Admin API stand-in: faults", () => {
  it("answers rate_limit_error (429, retry-after), overloaded_error (529) and api_error (500)", async () => {
    const standin = await start();
    const keyPath = `${KEYS_PATH}/apikey_leaked`;
    standin.faults.next({ method: "GET", path: KEYS_PATH, status: 429, applied: false });
    const limited = await call(standin, KEYS_PATH);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("1");
    expect(limited.body).toEqual(anthropicError("rate_limit_error"));
    expect(limited.headers.get("request-id")).toBe(limited.body.request_id);

    standin.faults.next({ method: "POST", path: /\/api_keys\/[^/]+$/, status: 529, applied: false });
    const overloaded = await call(standin, keyPath, { method: "POST", json: { status: "inactive" } });
    expect(overloaded.status).toBe(529);
    expect(overloaded.body).toEqual({
      type: "error",
      error: { type: "overloaded_error", message: "Overloaded" },
      request_id: expect.any(String),
    });
    expect(standin.keyStatus("apikey_leaked")).toBe("active");
    expect(standin.updates).toEqual([]);

    // Applied but answered 500: the key is inactive although the client was told the call failed.
    standin.faults.next({ method: "POST", path: keyPath, status: 500, applied: true });
    const failed = await call(standin, keyPath, { method: "POST", json: { status: "inactive" } });
    expect(failed.status).toBe(500);
    expect(failed.body).toEqual(anthropicError("api_error"));
    expect(standin.keyStatus("apikey_leaked")).toBe("inactive");
    expect(standin.updates).toHaveLength(1);
    expect(standin.faults.fired.map((fired) => [fired.handledStatus, fired.status])).toEqual([
      [undefined, 429],
      [undefined, 529],
      [200, 500],
    ]);
    // Faults used up: the next calls are answered normally.
    expect((await call(standin, KEYS_PATH)).status).toBe(200);
  });
});
