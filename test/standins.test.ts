import { LogLevel, WebClient } from "@slack/web-api";
import { afterEach, describe, expect, it } from "vitest";
import {
  GITHUB_STANDIN_BOT,
  type GitHubStandin,
  startGitHubStandin,
} from "../infra/local/standins/github.js";
import { type OpenAIStandin, redactOpenAIKey, startOpenAIStandin } from "../infra/local/standins/openai.js";
import type { Standin } from "../infra/local/standins/server.js";
import { type SlackStandin, startSlackStandin } from "../infra/local/standins/slack.js";

const open: Standin[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((standin) => standin.close()));
});
function track<T extends Standin>(standin: T): T {
  open.push(standin);
  return standin;
}

async function call(
  url: string,
  init: { method?: string; token?: string; scheme?: string; json?: unknown } = {},
  // biome-ignore lint/suspicious/noExplicitAny: responses of three different APIs, inspected by the assertions
): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = {};
  if (init.token !== undefined) headers.authorization = `${init.scheme ?? "Bearer"} ${init.token}`;
  if (init.json !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(url, {
    method: init.method ?? "GET",
    headers,
    body: init.json === undefined ? undefined : JSON.stringify(init.json),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

describe("GitHub stand-in", () => {
  const TOKEN = "ghp_standin_token_0123456789";
  const SECRET = "sk-proj-LEAKEDsecretValue0123456789abcdWXYZ";
  let github: GitHubStandin;

  async function start() {
    github = track(
      await startGitHubStandin({
        token: TOKEN,
        alerts: [
          {
            owner: "acme",
            repo: "webapp",
            number: 7,
            secret: SECRET,
            secretType: "openai_api_key",
            secretTypeDisplayName: "OpenAI API Key",
            validity: "active",
          },
        ],
      }),
    );
    return `${github.url}/repos/acme/webapp/secret-scanning/alerts/7`;
  }

  it("refuses a missing or wrong token with GitHub's 401 body, and records both requests", async () => {
    const alertUrl = await start();
    const expected = {
      message: "Bad credentials",
      documentation_url: "https://docs.github.com/rest",
      status: "401",
    };
    expect(await call(alertUrl)).toEqual({ status: 401, body: expected });
    expect(await call(alertUrl, { token: "ghp_wrong" })).toEqual({ status: 401, body: expected });
    expect(github.requests.map((r) => [r.method, r.path, r.authorization])).toEqual([
      ["GET", "/repos/acme/webapp/secret-scanning/alerts/7", undefined],
      ["GET", "/repos/acme/webapp/secret-scanning/alerts/7", "Bearer ghp_wrong"],
    ]);
  });

  it("returns the alert in GitHub's shape", async () => {
    const alertUrl = await start();
    const { status, body } = await call(alertUrl, { token: TOKEN });
    expect(status).toBe(200);
    expect(body).toMatchObject({
      number: 7,
      state: "open",
      resolution: null,
      resolved_at: null,
      resolved_by: null,
      resolution_comment: null,
      secret_type: "openai_api_key",
      secret_type_display_name: "OpenAI API Key",
      secret: SECRET,
      validity: "active",
      publicly_leaked: false,
      multi_repo: false,
      push_protection_bypassed: false,
      url: alertUrl,
      locations_url: `${alertUrl}/locations`,
    });
    expect(body.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(github.requests).toEqual([
      {
        method: "GET",
        path: "/repos/acme/webapp/secret-scanning/alerts/7",
        query: {},
        authorization: `Bearer ${TOKEN}`,
        contentType: undefined,
        body: undefined,
        at: expect.any(Date),
      },
    ]);
    // Owner and repo are case-insensitive, as on GitHub; the older `token` scheme is accepted too.
    expect(
      (await call(alertUrl.replace("acme/webapp", "ACME/WebApp"), { token: TOKEN, scheme: "token" })).status,
    ).toBe(200);
  });

  it("answers 404 for an unknown alert and an unknown route, and records them", async () => {
    await start();
    const unknownAlert = await call(`${github.url}/repos/acme/webapp/secret-scanning/alerts/8`, {
      token: TOKEN,
    });
    expect(unknownAlert.status).toBe(404);
    expect(unknownAlert.body).toMatchObject({ message: "Not Found", status: "404" });
    const unknownRoute = await call(`${github.url}/repos/acme/webapp/issues?state=open`, { token: TOKEN });
    expect(unknownRoute).toMatchObject({ status: 404, body: { message: "Not Found" } });
    expect(github.requests.map((r) => r.path)).toEqual([
      "/repos/acme/webapp/secret-scanning/alerts/8",
      "/repos/acme/webapp/issues",
    ]);
    expect(github.requests[1]?.query).toEqual({ state: "open" });
  });

  it("validates PATCH like GitHub and leaves the alert untouched on 422", async () => {
    const alertUrl = await start();
    const patch = (json: unknown) => call(alertUrl, { method: "PATCH", token: TOKEN, json });
    for (const json of [
      {},
      { state: "closed" },
      { state: "resolved" },
      { state: "resolved", resolution: "fixed" },
      { state: "open", resolution_comment: "nope" },
    ]) {
      const { status, body } = await patch(json);
      expect(status, JSON.stringify(json)).toBe(422);
      expect(body.message).toEqual(expect.any(String));
      expect(body.status).toBe("422");
    }
    expect(github.alert("acme", "webapp", 7)?.state).toBe("open");
    expect(github.requests.at(-1)).toMatchObject({
      method: "PATCH",
      contentType: "application/json",
      body: { state: "open", resolution_comment: "nope" },
    });
  });

  it("resolves and reopens an alert through PATCH", async () => {
    const alertUrl = await start();
    const resolved = await call(alertUrl, {
      method: "PATCH",
      token: TOKEN,
      json: { state: "resolved", resolution: "revoked", resolution_comment: "Key revoked by Quell" },
    });
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({
      state: "resolved",
      resolution: "revoked",
      resolution_comment: "Key revoked by Quell",
      resolved_by: { login: GITHUB_STANDIN_BOT.login, type: "Bot" },
    });
    expect(resolved.body.resolved_at).toMatch(/Z$/);
    expect((await call(alertUrl, { token: TOKEN })).body.state).toBe("resolved");

    const reopened = await call(alertUrl, { method: "PATCH", token: TOKEN, json: { state: "open" } });
    expect(reopened.body).toMatchObject({
      state: "open",
      resolution: null,
      resolved_by: null,
      resolved_at: null,
    });
  });
});

describe("OpenAI stand-in", () => {
  const ADMIN = "sk-admin-standinAdminKey0123456789";
  let openai: OpenAIStandin;

  const bigProjectKeys = Array.from({ length: 25 }, (_, i) => ({
    id: `key_${String(i).padStart(2, "0")}`,
    name: `key ${i}`,
    secret: `sk-proj-secret${String(i).padStart(2, "0")}abcdefghijklmnopqrstuv${String(i).padStart(4, "0")}`,
  }));

  async function start() {
    openai = track(
      await startOpenAIStandin({
        adminKey: ADMIN,
        projects: [
          { id: "proj_main", name: "Main", keys: bigProjectKeys },
          {
            id: "proj_small",
            name: "Small",
            keys: [{ id: "key_leaked", name: "ci", secret: "sk-proj-LEAKEDsecretValue0123456789abcdWXYZ" }],
          },
          { id: "proj_old", name: "Old", status: "archived", keys: [] },
        ],
      }),
    );
    return `${openai.url}/v1/organization/projects`;
  }

  it("refuses a missing or wrong admin key with OpenAI's error body", async () => {
    const base = await start();
    const missing = await call(base);
    expect(missing.status).toBe(401);
    expect(missing.body).toEqual({
      error: {
        message: expect.any(String),
        type: "invalid_request_error",
        param: null,
        code: "invalid_api_key",
      },
    });
    const wrongKey = "sk-admin-wrongWrongWrong0123456789";
    const wrong = await call(base, { token: wrongKey });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toMatchObject({
      type: "invalid_request_error",
      param: null,
      code: "invalid_api_key",
    });
    expect(wrong.body.error.message).toContain("Incorrect API key provided");
    expect(wrong.body.error.message).not.toContain(wrongKey);
    expect(openai.requests.map((r) => r.authorization)).toEqual([undefined, `Bearer ${wrongKey}`]);
  });

  it("lists projects, hiding archived ones unless include_archived=true, and pages them", async () => {
    const base = await start();
    const active = await call(base, { token: ADMIN });
    expect(active.body).toEqual({
      object: "list",
      data: [
        expect.objectContaining({
          id: "proj_main",
          object: "organization.project",
          name: "Main",
          status: "active",
        }),
        expect.objectContaining({ id: "proj_small", archived_at: null }),
      ],
      first_id: "proj_main",
      last_id: "proj_small",
      has_more: false,
    });
    const all = await call(`${base}?include_archived=true`, { token: ADMIN });
    expect(all.body.data.map((p: { id: string }) => p.id)).toEqual(["proj_main", "proj_small", "proj_old"]);
    expect(all.body.data[2]).toMatchObject({ status: "archived", archived_at: expect.any(Number) });

    const first = await call(`${base}?limit=1`, { token: ADMIN });
    expect(first.body).toMatchObject({ data: [{ id: "proj_main" }], has_more: true, last_id: "proj_main" });
    const second = await call(`${base}?limit=1&after=proj_main`, { token: ADMIN });
    expect(second.body).toMatchObject({ data: [{ id: "proj_small" }], has_more: false });
    expect(openai.requests.at(-1)?.query).toEqual({ limit: "1", after: "proj_main" });
  });

  it("pages 25 keys at limit 10 over three pages; a client ignoring has_more sees only 10", async () => {
    const base = await start();
    const keysUrl = `${base}/proj_main/api_keys`;
    const seen: string[] = [];
    const pages: { count: number; hasMore: boolean }[] = [];
    let after: string | undefined;
    for (;;) {
      const query = new URLSearchParams({ limit: "10", ...(after ? { after } : {}) });
      const { status, body } = await call(`${keysUrl}?${query}`, { token: ADMIN });
      expect(status).toBe(200);
      expect(body.object).toBe("list");
      seen.push(...body.data.map((k: { id: string }) => k.id));
      pages.push({ count: body.data.length, hasMore: body.has_more });
      expect(body.first_id).toBe(body.data[0]?.id);
      expect(body.last_id).toBe(body.data.at(-1)?.id);
      if (!body.has_more) break;
      after = body.last_id;
    }
    expect(pages).toEqual([
      { count: 10, hasMore: true },
      { count: 10, hasMore: true },
      { count: 5, hasMore: false },
    ]);
    expect(seen).toEqual(bigProjectKeys.map((k) => k.id));
    expect(openai.requests.map((r) => r.query)).toEqual([
      { limit: "10" },
      { limit: "10", after: "key_09" },
      { limit: "10", after: "key_19" },
    ]);
    // Without a limit the page holds 20 (OpenAI's default), not all 25.
    const defaultPage = await call(keysUrl, { token: ADMIN });
    expect(defaultPage.body.data).toHaveLength(20);
    expect(defaultPage.body.has_more).toBe(true);
    // Out-of-range limits are refused.
    expect((await call(`${keysUrl}?limit=0`, { token: ADMIN })).status).toBe(400);
    expect((await call(`${keysUrl}?limit=101`, { token: ADMIN })).status).toBe(400);
  });

  it("shows keys redacted as a prefix, '...' and the last characters, never the secret", async () => {
    const base = await start();
    const { body } = await call(`${base}/proj_small/api_keys/key_leaked`, { token: ADMIN });
    expect(body).toEqual({
      object: "organization.project.api_key",
      redacted_value: "sk-pro...WXYZ",
      name: "ci",
      created_at: expect.any(Number),
      last_used_at: null,
      id: "key_leaked",
      owner: {
        type: "user",
        user: expect.objectContaining({ object: "organization.project.user", role: "owner" }),
      },
    });
    expect(redactOpenAIKey("sk-proj-LEAKEDsecretValue0123456789abcdWXYZ")).toBe("sk-pro...WXYZ");
    const raw = JSON.stringify((await call(`${base}/proj_main/api_keys?limit=100`, { token: ADMIN })).body);
    for (const key of bigProjectKeys) expect(raw).not.toContain(key.secret);
  });

  it("deletes a key: gone from listings and retrieval, a second delete is 404", async () => {
    const base = await start();
    const keyUrl = `${base}/proj_main/api_keys/key_10`;
    const deleted = await call(keyUrl, { method: "DELETE", token: ADMIN });
    expect(deleted).toEqual({
      status: 200,
      body: { object: "organization.project.api_key.deleted", id: "key_10", deleted: true },
    });
    const listed = await call(`${base}/proj_main/api_keys?limit=100`, { token: ADMIN });
    expect(listed.body.data).toHaveLength(24);
    expect(listed.body.data.map((k: { id: string }) => k.id)).not.toContain("key_10");
    // The deleted key still holds its place as a cursor.
    const afterDeleted = await call(`${base}/proj_main/api_keys?limit=2&after=key_10`, { token: ADMIN });
    expect(afterDeleted.body.data.map((k: { id: string }) => k.id)).toEqual(["key_11", "key_12"]);

    expect((await call(keyUrl, { token: ADMIN })).status).toBe(404);
    const again = await call(keyUrl, { method: "DELETE", token: ADMIN });
    expect(again.status).toBe(404);
    expect(again.body.error).toMatchObject({ type: "invalid_request_error" });
    expect(openai.liveKeyIds("proj_main")).not.toContain("key_10");
    expect(openai.deletions).toEqual([{ projectId: "proj_main", keyId: "key_10", at: expect.any(Date) }]);
  });

  it("answers 404 for unknown projects and routes, and records them", async () => {
    const base = await start();
    expect((await call(`${base}/proj_nope/api_keys`, { token: ADMIN })).status).toBe(404);
    const unknown = await call(`${openai.url}/v1/chat/completions`, {
      method: "POST",
      token: ADMIN,
      json: { a: 1 },
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toBe("Invalid URL (POST /v1/chat/completions)");
    expect(openai.requests.at(-1)).toMatchObject({
      method: "POST",
      body: { a: 1 },
      contentType: "application/json",
    });
  });
});

describe("Slack stand-in", () => {
  const TOKEN = "xoxb-standin-token";
  let slack: SlackStandin;

  async function start() {
    slack = track(
      await startSlackStandin({ token: TOKEN, teamId: "T0QUELL", usergroups: { S0ONCALL: ["U1", "U2"] } }),
    );
    return slack;
  }
  const client = (token = TOKEN) =>
    new WebClient(token, {
      slackApiUrl: `${slack.url}/api/`,
      retryConfig: { retries: 0 },
      logLevel: LogLevel.ERROR,
    });

  const blocks = [
    { type: "section", text: { type: "mrkdwn", text: "*Leaked key* in acme/webapp" } },
    {
      type: "actions",
      elements: [{ type: "button", action_id: "approve", text: { type: "plain_text", text: "Revoke" } }],
    },
  ];

  it("refuses a wrong token with invalid_auth and a missing one with not_authed, over HTTP 200", async () => {
    await start();
    await expect(client("xoxb-wrong").auth.test()).rejects.toMatchObject({
      data: { ok: false, error: "invalid_auth" },
    });
    const raw = await fetch(`${slack.url}/api/auth.test`, { method: "POST" });
    expect(raw.status).toBe(200);
    expect(await raw.json()).toEqual({ ok: false, error: "not_authed" });
    expect(slack.requests.map((r) => r.authorization)).toEqual(["Bearer xoxb-wrong", undefined]);
  });

  it("answers auth.test and usergroups.users.list through WebClient", async () => {
    await start();
    const web = client();
    expect(await web.auth.test()).toMatchObject({ ok: true, team_id: "T0QUELL", user_id: slack.userId });
    expect(await web.usergroups.users.list({ usergroup: "S0ONCALL" })).toMatchObject({
      ok: true,
      users: ["U1", "U2"],
    });
    await expect(web.usergroups.users.list({ usergroup: "S0NOPE" })).rejects.toMatchObject({
      data: { error: "no_such_subteam" },
    });
  });

  it("posts messages with form-encoded blocks parsed back into arrays, and unique increasing ts", async () => {
    await start();
    const web = client();
    const next = slack.nextMessage((m) => m.channel === "C0ALERTS");
    const first = await web.chat.postMessage({ channel: "C0ALERTS", text: "Leaked key", blocks });
    const second = await web.chat.postMessage({ channel: "C0ALERTS", text: "Another" });
    expect(first).toMatchObject({ ok: true, channel: "C0ALERTS", message: { text: "Leaked key", blocks } });
    expect(first.ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(second.ts).not.toBe(first.ts);
    expect(Number(second.ts)).toBeGreaterThan(Number(first.ts));
    expect((await next).ts).toBe(first.ts);

    const request = slack.requests[0];
    expect(request).toMatchObject({
      method: "POST",
      path: "/api/chat.postMessage",
      contentType: "application/x-www-form-urlencoded",
      authorization: `Bearer ${TOKEN}`,
    });
    expect(request?.body).toEqual(expect.objectContaining({ channel: "C0ALERTS", blocks }));
    expect(slack.messages.map((m) => [m.channel, m.ts, m.text])).toEqual([
      ["C0ALERTS", first.ts, "Leaked key"],
      ["C0ALERTS", second.ts, "Another"],
    ]);
    expect(slack.messages[0]?.blocks).toEqual(blocks);
  });

  it("refuses chat.update of an unknown ts and keeps the history of real updates", async () => {
    await start();
    const web = client();
    const posted = await web.chat.postMessage({ channel: "C0ALERTS", text: "Leaked key", blocks });
    await expect(
      web.chat.update({ channel: "C0ALERTS", ts: "1000000000.000100", text: "x" }),
    ).rejects.toMatchObject({
      data: { ok: false, error: "message_not_found" },
    });
    await expect(
      web.chat.update({ channel: "C0OTHER", ts: posted.ts as string, text: "x" }),
    ).rejects.toMatchObject({
      data: { error: "message_not_found" },
    });

    const updated = slack.nextUpdate();
    const doneBlocks = [{ type: "section", text: { type: "mrkdwn", text: "Revoked by <@U1>" } }];
    const result = await web.chat.update({
      channel: "C0ALERTS",
      ts: posted.ts as string,
      text: "Done",
      blocks: doneBlocks,
    });
    expect(result).toMatchObject({ ok: true, channel: "C0ALERTS", ts: posted.ts, text: "Done" });
    expect((await updated).ts).toBe(posted.ts);

    const message = slack.find("C0ALERTS", posted.ts as string);
    expect(message?.text).toBe("Done");
    expect(message?.blocks).toEqual(doneBlocks);
    expect(message?.original).toEqual({ text: "Leaked key", blocks, attachments: undefined });
    expect(message?.updates).toEqual([
      { at: expect.any(Date), text: "Done", blocks: doneBlocks, attachments: undefined },
    ]);
  });

  it("posts ephemeral messages and accepts JSON bodies", async () => {
    await start();
    const ephemeral = await client().chat.postEphemeral({
      channel: "C0ALERTS",
      user: "U1",
      text: "Only you",
    });
    expect(ephemeral.ok).toBe(true);
    expect(ephemeral.message_ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(slack.ephemerals).toMatchObject([{ channel: "C0ALERTS", user: "U1", text: "Only you" }]);
    expect(slack.messages).toHaveLength(0);

    const json = await call(`${slack.url}/api/chat.postMessage`, {
      method: "POST",
      token: TOKEN,
      json: { channel: "C0JSON", blocks },
    });
    expect(json).toMatchObject({ status: 200, body: { ok: true, channel: "C0JSON" } });
    expect(slack.messages[0]?.blocks).toEqual(blocks);
  });

  it("answers unknown methods with 404 unknown_method and times out nextMessage when nothing comes", async () => {
    await start();
    const unknown = await call(`${slack.url}/api/chat.delete`, { method: "POST", token: TOKEN, json: {} });
    expect(unknown).toEqual({
      status: 404,
      body: { ok: false, error: "unknown_method", req_method: "chat.delete" },
    });
    expect(slack.requests.map((r) => r.path)).toEqual(["/api/chat.delete"]);
    await expect(slack.nextMessage(undefined, 50)).rejects.toThrow(/no matching message/);
  });
});
