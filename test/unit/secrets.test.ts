import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { providerCredentials } from "../../functions/actions/provider-credentials.js";
import { type IngestDeps, type IngestRequest, ingest } from "../../functions/ingest/core.js";
import { ConfigurationError, ProviderError } from "../../functions/shared/errors.js";
import { createHttpClient } from "../../functions/shared/http.js";
import { SecretReader, secretReader } from "../../functions/shared/secrets.js";
import { BotTokenClient } from "../../functions/shared/slack-client.js";
import { quellSignature } from "../../functions/sources/auth.js";
import { type Standin, startStandin } from "../../infra/local/standins/server.js";
import { admitEveryone, noDeliverySeen } from "./ingest-doubles.js";
import { type SsmStandin, startSsmStandin } from "./ssm-standin.js";

const WEBHOOK = "/quell/test/QUELL_WEBHOOK_SECRET";
const GITHUB = "/quell/test/QUELL_GITHUB_WEBHOOK_SECRET";
const BOT = "/quell/test/SLACK_BOT_TOKEN";
const OPENAI = "/quell/test/OPENAI_ADMIN_KEY";

let ssm: SsmStandin;
const saved = { ...process.env };
beforeAll(async () => {
  ssm = await startSsmStandin();
  // The SSM client Powertools creates reads these, as on Lambda (where the endpoint is AWS's own).
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_SSM: ssm.url,
    AWS_REGION: "eu-west-1",
    AWS_ACCESS_KEY_ID: "AKIDSECRETSTEST",
    AWS_SECRET_ACCESS_KEY: "secrets-test",
  });
});
afterAll(async () => {
  process.env = saved;
  await ssm.close();
});
afterEach(() => {
  vi.useRealTimers();
});

/**
 * Fake only Date, starting at the real now: HTTP keeps working, and the SDK sees no clock skew against the fake's
 * Date header (a skew of minutes would make it correct its clock and send the request again).
 */
const fakeDate = () => vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
/** A fresh reader (its own cache and rate limit, as a new container has) over `variables`. */
const readerFor = (variables: Record<string, string>) => new SecretReader({ ...variables });
/** The GetParameter calls for `name` since the test began. */
const readsOf = (name: string, before: number) =>
  ssm
    .reads()
    .slice(before)
    .filter((read) => read === name);

describe("secrets by reference in SSM Parameter Store", () => {
  it("reads the SecureString with decryption, serves it from cache within the TTL, and reads again after", async () => {
    fakeDate();
    ssm.put(WEBHOOK, "first-value");
    const before = ssm.reads().length;
    const reader = readerFor({ QUELL_WEBHOOK_SECRET_PARAMETER: WEBHOOK });
    expect(await reader.require("QUELL_WEBHOOK_SECRET")).toBe("first-value");
    ssm.put(WEBHOOK, "rotated-value");
    vi.advanceTimersByTime(59_000);
    expect(await reader.require("QUELL_WEBHOOK_SECRET")).toBe("first-value");
    expect(readsOf(WEBHOOK, before)).toHaveLength(1);
    vi.advanceTimersByTime(2_000);
    expect(await reader.require("QUELL_WEBHOOK_SECRET")).toBe("rotated-value");
    expect(readsOf(WEBHOOK, before)).toHaveLength(2);
  });

  it("says which parameter is missing and the command that sets it, when first used (never at load)", async () => {
    const reader = readerFor({ GITHUB_TOKEN_PARAMETER: "/quell/test/GITHUB_TOKEN" });
    const failure = reader.require("GITHUB_TOKEN");
    await expect(failure).rejects.toBeInstanceOf(ConfigurationError);
    await expect(failure).rejects.toThrow(
      "secret GITHUB_TOKEN is not set: SSM parameter /quell/test/GITHUB_TOKEN does not exist. Set it with: " +
        "aws ssm put-parameter --type SecureString --overwrite --name /quell/test/GITHUB_TOKEN --value '<value>'",
    );
  });

  it("remembers a missing parameter for the TTL: requests to an unset route do not each read it", async () => {
    fakeDate();
    const name = "/quell/test/QUELL_SOURCE_TOKEN_GRAFANA";
    const reader = readerFor({ QUELL_SOURCE_TOKEN_GRAFANA_PARAMETER: name });
    const before = ssm.reads().length;
    for (let i = 0; i < 20; i++) {
      await expect(reader.resolve("QUELL_SOURCE_TOKEN_GRAFANA")).rejects.toThrow(
        `SSM parameter ${name} does not exist`,
      );
    }
    expect(readsOf(name, before)).toHaveLength(1);
    ssm.put(name, "grafana-token");
    vi.advanceTimersByTime(61_000);
    expect(await reader.resolve("QUELL_SOURCE_TOKEN_GRAFANA")).toBe("grafana-token");
    expect(readsOf(name, before)).toHaveLength(2);
  });

  it("reads nothing locally, where the variable holds the value", async () => {
    const before = ssm.reads().length;
    const reader = readerFor({
      QUELL_WEBHOOK_SECRET: "local-value",
      QUELL_WEBHOOK_SECRET_PARAMETER: WEBHOOK,
    });
    expect(await reader.require("QUELL_WEBHOOK_SECRET")).toBe("local-value");
    expect(await reader.refresh("QUELL_WEBHOOK_SECRET", "local-value")).toBeUndefined();
    expect(ssm.reads().length).toBe(before);
    await expect(readerFor({}).require("QUELL_WEBHOOK_SECRET")).rejects.toThrow(
      "QUELL_WEBHOOK_SECRET is not configured (set QUELL_WEBHOOK_SECRET, or on AWS QUELL_WEBHOOK_SECRET_PARAMETER)",
    );
  });
});

/** A generic-source request signed with `secret` (Quell's v1 signature). */
function signedWith(secret: string, now: Date) {
  const rawBody = new TextEncoder().encode('{"title":"test"}');
  const timestamp = String(Math.floor(now.getTime() / 1000));
  const signature = `v1=${createHmac("sha256", secret).update(`${timestamp}.`).update(rawBody).digest("hex")}`;
  return { headers: { "x-quell-timestamp": timestamp, "x-quell-signature": signature }, rawBody, now };
}

const rejectedSignature = (verdict: { ok: boolean; code?: string }) =>
  !verdict.ok && verdict.code === "bad_signature";

describe("a rotated secret is re-read when authentication fails", () => {
  it("accepts a request signed with the new secret at once: one forced read, one extra GetParameter", async () => {
    ssm.put(WEBHOOK, "old-secret");
    const reader = readerFor({ QUELL_WEBHOOK_SECRET_PARAMETER: WEBHOOK });
    const now = new Date();
    const before = ssm.reads().length;
    expect(await reader.require("QUELL_WEBHOOK_SECRET")).toBe("old-secret");
    ssm.put(WEBHOOK, "new-secret");
    const request = signedWith("new-secret", now);
    expect(quellSignature(request, "old-secret").ok).toBe(false);
    const verdict = await reader.withSecret(
      "QUELL_WEBHOOK_SECRET",
      (secret) => quellSignature(request, secret),
      rejectedSignature,
    );
    expect(verdict).toEqual({ ok: true });
    expect(readsOf(WEBHOOK, before)).toHaveLength(2);
    // The new value is now the cached one: the next request costs no read.
    expect(
      await reader.withSecret("QUELL_WEBHOOK_SECRET", (s) => quellSignature(request, s), rejectedSignature),
    ).toEqual({ ok: true });
    expect(readsOf(WEBHOOK, before)).toHaveLength(2);
  });

  it("turns a flood of bad signatures into at most one extra GetParameter per interval", async () => {
    fakeDate();
    ssm.put(WEBHOOK, "current-secret");
    const reader = readerFor({ QUELL_WEBHOOK_SECRET_PARAMETER: WEBHOOK });
    const before = ssm.reads().length;
    await reader.require("QUELL_WEBHOOK_SECRET");
    const forged = signedWith("attacker-guess", new Date());
    const verify = () =>
      reader.withSecret(
        "QUELL_WEBHOOK_SECRET",
        (secret) => quellSignature(forged, secret),
        rejectedSignature,
      );
    const concurrent = await Promise.all(Array.from({ length: 50 }, verify));
    for (let i = 0; i < 50; i++) concurrent.push(await verify());
    expect(concurrent.every((verdict) => !verdict.ok)).toBe(true);
    expect(readsOf(WEBHOOK, before)).toHaveLength(2);
    // After the interval (30 s) one more forced read is allowed, and still only one.
    vi.advanceTimersByTime(31_000);
    await Promise.all(Array.from({ length: 20 }, verify));
    expect(readsOf(WEBHOOK, before)).toHaveLength(3);
  });

  it("wires the re-read into ingest: a delivery signed with the rotated GitHub secret is accepted, a flood is not read", async () => {
    ssm.put(GITHUB, "old-github-secret");
    const reader = readerFor({ QUELL_GITHUB_WEBHOOK_SECRET_PARAMETER: GITHUB });
    const now = new Date();
    const published: unknown[] = [];
    const deps: IngestDeps = {
      secret: (name) => reader.resolve(name),
      refreshSecret: (name, rejected) => reader.refresh(name, rejected),
      publish: async (event) => {
        published.push(event);
      },
      recordRejection: async () => {},
      countRefusal: async () => {},
      admit: admitEveryone,
      deliveries: noDeliverySeen,
      clock: () => now,
      newId: (prefix) => `${prefix}_secrets01`,
      maxBodyBytes: 64 * 1024,
    };
    const body = readFileSync(
      new URL("../fixtures/github/secret-scanning-alert-created-openai-key.json", import.meta.url),
    );
    const delivery = (secret: string, id: string): IngestRequest => ({
      method: "POST",
      source: "github",
      headers: {
        "content-type": "application/json",
        "x-github-event": "secret_scanning_alert",
        "x-github-delivery": id,
        "x-hub-signature-256": `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`,
      },
      rawBody: new Uint8Array(body),
    });
    const before = ssm.reads().length;
    expect(await reader.resolve("QUELL_GITHUB_WEBHOOK_SECRET")).toBe("old-github-secret");
    ssm.put(GITHUB, "new-github-secret");
    expect((await ingest(delivery("new-github-secret", "d-0"), deps)).status).toBe(202);
    expect(published).toHaveLength(1);
    expect(readsOf(GITHUB, before)).toHaveLength(2); // the first read, and one forced read
    for (let i = 1; i <= 20; i++) expect((await ingest(delivery("forged", `d-${i}`), deps)).status).toBe(401);
    expect(readsOf(GITHUB, before)).toHaveLength(2); // within the interval: the flood read nothing
    expect(published).toHaveLength(1);
  });
});

describe("provider tokens and the Slack bot token are re-read on a 401/403 or invalid_auth", () => {
  let provider: Standin;
  let slack: Standin;
  beforeAll(async () => {
    provider = await startStandin({
      name: "OpenAI API",
      handle: (request) =>
        request.authorization === "Bearer sk-admin-new"
          ? { status: 200, body: { object: "list", data: [] } }
          : request.authorization === "Bearer sk-admin-scoped"
            ? { status: 403, body: { error: { message: "insufficient permissions" } } }
            : { status: 401, body: { error: { message: "Incorrect API key provided" } } },
    });
    slack = await startStandin({
      name: "Slack Web API",
      handle: (request) =>
        request.authorization === "Bearer xoxb-new"
          ? { status: 200, body: { ok: true, channel: "C0TEST", ts: "1.2" } }
          : { status: 200, body: { ok: false, error: "invalid_auth" } },
    });
  });
  afterAll(async () => {
    await provider.close();
    await slack.close();
  });

  it("sends a provider request refused 401 once more with the rotated key", async () => {
    ssm.put(OPENAI, "sk-admin-old");
    const env = { OPENAI_ADMIN_KEY_PARAMETER: OPENAI };
    const { secret, http } = providerCredentials(createHttpClient(), env);
    const before = ssm.reads().length;
    const sent = provider.requests.length;
    const key = await secret("OPENAI_ADMIN_KEY");
    ssm.put(OPENAI, "sk-admin-new");
    const response = await http({
      method: "GET",
      url: `${provider.url}/v1/organization/projects`,
      bearer: key,
    });
    expect(response.status).toBe(200);
    expect(provider.requests.slice(sent).map((request) => request.authorization)).toEqual([
      "Bearer sk-admin-old",
      "Bearer sk-admin-new",
    ]);
    expect(readsOf(OPENAI, before)).toHaveLength(2);
  });

  it("answers a 403 from a key that did not change as it was, without sending it again", async () => {
    ssm.put(OPENAI, "sk-admin-scoped");
    const { secret, http } = providerCredentials(createHttpClient(), { OPENAI_ADMIN_KEY_PARAMETER: OPENAI });
    const sent = provider.requests.length;
    const key = await secret("OPENAI_ADMIN_KEY");
    const failure = http({
      method: "DELETE",
      url: `${provider.url}/v1/organization/projects/p/api_keys/k`,
      bearer: key,
    });
    await expect(failure).rejects.toBeInstanceOf(ProviderError);
    await expect(failure).rejects.toMatchObject({ status: 403 });
    expect(provider.requests.length - sent).toBe(1);
  });

  it("sends a Slack call refused with invalid_auth once more with the rotated bot token", async () => {
    ssm.put(BOT, "xoxb-old");
    const env = { SLACK_BOT_TOKEN_PARAMETER: BOT };
    const client = new BotTokenClient(env, { slackApiUrl: `${slack.url}/api/`, retryConfig: { retries: 0 } });
    // Warm the container's cache with the old token, as a function that has run before would have.
    expect(await secretReader(env).require("SLACK_BOT_TOKEN")).toBe("xoxb-old");
    ssm.put(BOT, "xoxb-new");
    const sent = slack.requests.length;
    const result = await client.chat.postMessage({ channel: "C0TEST", text: "hello" });
    expect(result.ok).toBe(true);
    expect(slack.requests.slice(sent).map((request) => request.authorization)).toEqual([
      "Bearer xoxb-old",
      "Bearer xoxb-new",
    ]);
  });
});
