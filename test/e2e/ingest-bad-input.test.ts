import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../../functions/shared/hash.js";
import { githubWebhookHeaders } from "../../infra/local/signing.js";
import { webhookBody } from "../../infra/local/standins/scenario.js";
import { type Harness, SECRETS, startHarness } from "./harness.js";

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/github/${name}`, import.meta.url), "utf8");

/** An entry of GET /rejections: one authenticated rejection, or a minute's tally of unauthenticated ones. */
interface Rejection {
  kind: "authenticated" | "unauthenticated";
  status: number;
  code: string;
  message: string;
  bodySha256: string;
  bodyBytes: number;
  count?: number;
}

describe("POST /alerts/github refuses bad input clearly, keeps every refusal, and opens nothing", () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({ dryRun: true });
  });
  afterAll(async () => harness?.stop());

  const post = async (body: string | Uint8Array, headers: Record<string, string>) => {
    const response = await fetch(`${harness.runtime.url}/alerts/github`, { method: "POST", headers, body });
    return {
      status: response.status,
      body: (await response.json()) as { error: { code: string; message: string; issues?: unknown[] } },
    };
  };
  const signed = (body: string | Uint8Array) => githubWebhookHeaders(body, SECRETS.github);

  it.each([
    [
      "a wrong signature",
      () => post(webhookBody(), githubWebhookHeaders(webhookBody(), "not-the-secret")),
      401,
      "bad_signature",
    ],
    [
      "a missing signature",
      () =>
        post(webhookBody(), {
          "content-type": "application/json",
          "x-github-event": "secret_scanning_alert",
        }),
      401,
      "bad_signature",
    ],
    ["a body that is not JSON", () => post("alert!", signed("alert!")), 400, "invalid_json"],
    [
      "invalid UTF-8",
      () =>
        post(
          new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
          signed(new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])),
        ),
      400,
      "invalid_json",
    ],
    [
      "a wrong content type",
      () => post(webhookBody(), { ...signed(webhookBody()), "content-type": "text/plain" }),
      415,
      "unsupported_media_type",
    ],
    [
      "a body over the limit",
      () => {
        const big = JSON.stringify({ pad: "x".repeat(300 * 1024) });
        return post(big, signed(big));
      },
      413,
      "too_large",
    ],
    [
      "JSON that is not a secret-scanning alert",
      () => post(fixture("bad-missing-alert-object.json"), signed(fixture("bad-missing-alert-object.json"))),
      422,
      "invalid_payload",
    ],
    [
      "numbers sent as strings",
      () =>
        post(
          fixture("bad-number-and-repo-id-as-strings.json"),
          signed(fixture("bad-number-and-repo-id-as-strings.json")),
        ),
      422,
      "invalid_payload",
    ],
    [
      "another GitHub event",
      () => post(webhookBody(), githubWebhookHeaders(webhookBody(), SECRETS.github, { event: "push" })),
      422,
      "unsupported_event",
    ],
  ])("%s", async (_name, send, status, code) => {
    const response = await send();
    expect(response.status).toBe(status);
    expect(response.body.error.code).toBe(code);
    expect(response.body.error.message.length).toBeGreaterThan(10);
    if (code === "invalid_payload") expect(response.body.error.issues?.length).toBeGreaterThan(0);
  });

  it("keeps each authenticated refusal, tallies the others per reason and minute (never a body), and opens nothing", async () => {
    const day = new Date().toISOString().slice(0, 10);
    const expected = [400, 400, 401, 401, 413, 415, 422, 422, 422];
    // A tally's later counts are written within a second of the first.
    let kept: { rejections: Rejection[] } = { rejections: [] };
    const refusalsIn = (entries: Rejection[]) =>
      entries.flatMap((entry) =>
        Array<number>(entry.kind === "unauthenticated" ? (entry.count ?? 0) : 1).fill(entry.status),
      );
    for (let attempt = 0; attempt < 40; attempt++) {
      kept = (await (await harness.read(`/rejections?day=${day}&limit=200`)).json()) as typeof kept;
      if (refusalsIn(kept.rejections).length >= expected.length) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(refusalsIn(kept.rejections).sort()).toEqual(expected);
    const tallies = kept.rejections.filter((entry) => entry.kind === "unauthenticated");
    expect(tallies.map(({ status, code, count }) => [status, code, count]).sort()).toEqual([
      [401, "bad_signature", 2],
      [413, "too_large", 1],
      [415, "unsupported_media_type", 1],
    ]);
    const notJson = kept.rejections.find(
      (rejection) =>
        rejection.kind === "authenticated" &&
        rejection.bodyBytes === 6 &&
        rejection.code === "invalid_json" &&
        rejection.message.includes("JSON"),
    );
    expect(notJson?.bodySha256).toBe(sha256Hex("alert!"));
    expect(JSON.stringify(kept)).not.toContain("support-chat-service");
    const incidents = (await (await harness.read("/incidents?limit=200")).json()) as {
      incidents: unknown[];
    };
    expect(incidents.incidents).toEqual([]);
    expect(harness.standins.slack.messages).toEqual([]);
  });

  it("answers GitHub's ping and names the known sources for an unknown one", async () => {
    const ping = await fetch(`${harness.runtime.url}/alerts/github`, {
      method: "POST",
      headers: githubWebhookHeaders("{}", SECRETS.github, { event: "ping" }),
      body: "{}",
    });
    expect(ping.status).toBe(200);
    const unknown = await fetch(`${harness.runtime.url}/alerts/nope`, { method: "POST", body: "{}" });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { message: string } }).error.message).toContain("github");
  });
});
