import { IAMClient, UpdateAccessKeyCommand } from "@aws-sdk/client-iam";
import { LogLevel, WebClient } from "@slack/web-api";
import { afterEach, describe, expect, it } from "vitest";
import { type GitHubStandin, startGitHubStandin } from "../infra/local/standins/github.js";
import { startIamStandin } from "../infra/local/standins/iam.js";
import { startOpenAIStandin } from "../infra/local/standins/openai.js";
import type { Standin } from "../infra/local/standins/server.js";
import { startSlackStandin } from "../infra/local/standins/slack.js";

const open: Standin[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((standin) => standin.close()));
});
function track<T extends Standin>(standin: T): T {
  open.push(standin);
  return standin;
}

const GITHUB_TOKEN = "ghp_faults_token_0123456789";
const ALERT_PATH = "/repos/acme/webapp/secret-scanning/alerts/7";
const RESOLVE = { state: "resolved", resolution: "revoked" };

async function github(): Promise<GitHubStandin> {
  return track(
    await startGitHubStandin({
      token: GITHUB_TOKEN,
      alerts: [
        {
          owner: "acme",
          repo: "webapp",
          number: 7,
          secret: "sk-proj-faultsSecret0123456789abcdWXYZ",
          secretType: "openai_api_key",
          secretTypeDisplayName: "OpenAI API Key",
        },
      ],
    }),
  );
}

async function patch(
  standin: Standin,
  json: unknown,
  signal?: AbortSignal,
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const response = await fetch(`${standin.url}${ALERT_PATH}`, {
    method: "PATCH",
    headers: { authorization: `Bearer ${GITHUB_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify(json),
    ...(signal ? { signal } : {}),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

describe("stand-in fault queue", () => {
  it("answers an unapplied fault with the provider's error and leaves the state alone, once", async () => {
    const standin = await github();
    standin.faults.next({ method: "PATCH", path: ALERT_PATH, status: 502, applied: false });
    const failed = await patch(standin, RESOLVE);
    expect(failed).toMatchObject({
      status: 502,
      body: { message: "Server Error", documentation_url: "https://docs.github.com/rest", status: "502" },
    });
    expect(standin.alert("acme", "webapp", 7)?.state).toBe("open");
    // Used up: the retry goes through.
    expect((await patch(standin, RESOLVE)).status).toBe(200);
    expect(standin.alert("acme", "webapp", 7)?.state).toBe("resolved");
    expect(standin.faults.pending()).toBe(0);
    expect(standin.faults.fired).toEqual([
      {
        fault: { method: "PATCH", path: ALERT_PATH, status: 502, applied: false },
        request: expect.objectContaining({ method: "PATCH", path: ALERT_PATH, body: RESOLVE }),
        handledStatus: undefined,
        status: 502,
        at: expect.any(Date),
      },
    ]);
    expect(standin.answered.map(({ handledStatus, status }) => [handledStatus, status])).toEqual([
      [undefined, 502],
      [200, 200],
    ]);
    // Both requests are recorded as sent, whatever they were answered.
    expect(standin.requests.map((request) => request.method)).toEqual(["PATCH", "PATCH"]);
  });

  it("applies the request first when the fault says so (applied but answered 500)", async () => {
    const openai = track(
      await startOpenAIStandin({
        adminKey: "sk-admin-faults",
        projects: [
          { id: "proj_a", name: "A", keys: [{ id: "key_a", name: "a", secret: "sk-proj-a".repeat(4) }] },
        ],
      }),
    );
    const url = `${openai.url}/v1/organization/projects/proj_a/api_keys/key_a`;
    const remove = () =>
      fetch(url, { method: "DELETE", headers: { authorization: "Bearer sk-admin-faults" } }).then(
        async (response) => ({ status: response.status, body: await response.json() }),
      );
    openai.faults.next({ method: "DELETE", path: /\/api_keys\/[^/]+$/, status: 500, applied: true });
    expect(await remove()).toEqual({
      status: 500,
      body: {
        error: {
          message: "The server had an error while processing your request. Sorry about that!",
          type: "server_error",
          param: null,
          code: null,
        },
      },
    });
    // The key is gone although the client was told the call failed; a retry finds nothing to delete.
    expect(openai.liveKeyIds("proj_a")).toEqual([]);
    expect(openai.deletions).toHaveLength(1);
    expect((await remove()).status).toBe(404);
    expect(openai.faults.fired.map((fired) => [fired.handledStatus, fired.status])).toEqual([[200, 500]]);
  });

  it("matches method, path and `where`; fires `times` times in queue order; clear() drops what is queued", async () => {
    const standin = await github();
    standin.faults.next({ method: "PATCH", path: ALERT_PATH, status: 503, applied: false, times: 2 });
    standin.faults.next({ path: /secret-scanning/, status: 429, applied: false });
    const get = () =>
      fetch(`${standin.url}${ALERT_PATH}`, { headers: { authorization: `Bearer ${GITHUB_TOKEN}` } });
    // A GET does not match the PATCH fault, so it takes the second one; 429 carries GitHub's rate-limit headers.
    const limited = await get();
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("1");
    expect(((await limited.json()) as { message: string }).message).toMatch(/secondary rate limit/);
    expect((await get()).status).toBe(200);
    expect((await patch(standin, RESOLVE)).body.message).toBe("Service Unavailable");
    expect(standin.faults.pending()).toBe(1);
    standin.faults.clear();
    expect(standin.faults.pending()).toBe(0);
    expect((await patch(standin, RESOLVE)).status).toBe(200);
    expect(standin.faults.fired.map((fired) => `${fired.request.method} ${fired.status}`)).toEqual([
      "GET 429",
      "PATCH 503",
    ]);

    standin.faults.next({
      path: ALERT_PATH,
      where: (request) => (request.body as { state?: string } | undefined)?.state === "open",
      status: 500,
      applied: false,
      body: { message: "custom" },
      headers: { "x-custom": "yes" },
    });
    expect((await patch(standin, RESOLVE)).status).toBe(200);
    const custom = await patch(standin, { state: "open" });
    expect(custom).toMatchObject({ status: 500, body: { message: "custom" } });
    expect(custom.headers.get("x-custom")).toBe("yes");
  });

  it("delays its answer: a client that gives up first sees a timeout; close() does not wait for it", async () => {
    const standin = await github();
    standin.faults.next({ method: "PATCH", path: ALERT_PATH, status: 504, applied: false, delayMs: 60_000 });
    const started = Date.now();
    await expect(patch(standin, RESOLVE, AbortSignal.timeout(150))).rejects.toThrow(/aborted|timeout/i);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(standin.faults.fired).toHaveLength(1);
    expect(standin.alert("acme", "webapp", 7)?.state).toBe("open");
    // Still waiting on its delay: not answered yet.
    expect(standin.answered).toEqual([]);
    await standin.close();
    open.splice(open.indexOf(standin), 1);
  });

  it("delays then answers (a slow failure): the client gets the status after at least delayMs", async () => {
    const standin = await github();
    standin.faults.next({ method: "PATCH", path: ALERT_PATH, status: 500, applied: true, delayMs: 200 });
    const started = Date.now();
    expect((await patch(standin, RESOLVE)).status).toBe(500);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(standin.alert("acme", "webapp", 7)?.state).toBe("resolved");
  });

  it("a 2xx applied fault without a body is a slow success: the real answer, late", async () => {
    const standin = await github();
    standin.faults.next({ method: "PATCH", path: ALERT_PATH, status: 200, applied: true, delayMs: 150 });
    const started = Date.now();
    const answer = await patch(standin, RESOLVE);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(answer).toMatchObject({
      status: 200,
      body: { number: 7, state: "resolved", resolution: "revoked" },
    });
    expect(standin.answered.map(({ handledStatus, status }) => [handledStatus, status])).toEqual([
      [200, 200],
    ]);
  });

  it("refuses a malformed fault with what was wrong", async () => {
    const standin = await github();
    expect(() => standin.faults.next({ path: "/", status: 42, applied: false })).toThrow(/HTTP status/);
    expect(() => standin.faults.next({ path: "/", status: 500, applied: false, times: 0 })).toThrow(
      /positive integer/,
    );
    expect(() => standin.faults.next({ path: /x/g, status: 500, applied: false })).toThrow(
      /global or sticky/,
    );
    expect(standin.faults.pending()).toBe(0);
  });

  it("IAM answers AWS's Throttling and ServiceFailure, which the AWS SDK reads as those errors", async () => {
    const iam = track(
      await startIamStandin({
        users: [{ userName: "svc", keys: [{ accessKeyId: "AKIAFAULTS0000000001" }] }],
      }),
    );
    const client = new IAMClient({
      endpoint: iam.url,
      region: "us-east-1",
      credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "secret" },
      maxAttempts: 1,
    });
    const deactivate = () =>
      client.send(
        new UpdateAccessKeyCommand({
          UserName: "svc",
          AccessKeyId: "AKIAFAULTS0000000001",
          Status: "Inactive",
        }),
      );
    const isUpdate = (request: { body: unknown }) =>
      (request.body as { Action?: string } | undefined)?.Action === "UpdateAccessKey";
    iam.faults.next({ method: "POST", path: "/", where: isUpdate, status: 400, applied: false });
    await expect(deactivate()).rejects.toMatchObject({
      name: "Throttling",
      $metadata: { httpStatusCode: 400 },
    });
    expect(iam.keyStatus("svc", "AKIAFAULTS0000000001")).toBe("Active");
    iam.faults.next({ method: "POST", path: "/", where: isUpdate, status: 500, applied: true });
    await expect(deactivate()).rejects.toMatchObject({ name: "ServiceFailureException" });
    expect(iam.keyStatus("svc", "AKIAFAULTS0000000001")).toBe("Inactive");
    expect(iam.updates).toHaveLength(1);
    client.destroy();
  });

  it("Slack answers ratelimited with HTTP 429 and Retry-After, and a 5xx the Web API client reports", async () => {
    const slack = track(await startSlackStandin({ token: "xoxb-faults" }));
    const client = new WebClient("xoxb-faults", {
      slackApiUrl: `${slack.url}/api/`,
      logLevel: LogLevel.ERROR,
      rejectRateLimitedCalls: true,
      retryConfig: { retries: 0 },
    });
    slack.faults.next({ path: "/api/chat.postMessage", status: 429, applied: false });
    await expect(client.chat.postMessage({ channel: "C1", text: "hi" })).rejects.toMatchObject({
      code: "slack_webapi_rate_limited_error",
      retryAfter: 1,
    });
    slack.faults.next({ path: "/api/chat.update", status: 503, applied: false });
    const posted = await client.chat.postMessage({ channel: "C1", text: "hi" });
    await expect(
      client.chat.update({ channel: "C1", ts: posted.ts as string, text: "again" }),
    ).rejects.toMatchObject({ code: "slack_webapi_http_error", statusCode: 503 });
    expect(slack.messages).toHaveLength(1);
    expect(slack.messages[0]?.updates).toEqual([]);
  });
});
