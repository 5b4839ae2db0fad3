import { createHash, createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  type AlertReceived,
  type IngestDeps,
  type IngestRequest,
  ingest,
} from "../../functions/ingest/core.js";
import type { Rejection } from "../../functions/shared/store.js";
import { github } from "../../functions/sources/github.js";
import { admitEveryone, noDeliverySeen } from "./ingest-doubles.js";

const NOW = new Date("2026-11-25T00:00:00Z");
const SECRET = "unit-github-secret";
const CANARY = "do-not-store-this-body";
const MAX_BODY_BYTES = 64 * 1024;

const fixtureWithCanary = (name: string) => {
  const payload = JSON.parse(readFileSync(new URL(`../fixtures/github/${name}`, import.meta.url), "utf8"));
  return JSON.stringify({ ...payload, canary: CANARY });
};
const GOOD = fixtureWithCanary("secret-scanning-alert-created-openai-key.json");

const bytes = (body: string | Uint8Array) =>
  typeof body === "string" ? new TextEncoder().encode(body) : body;
const sign = (body: string | Uint8Array, secret = SECRET) =>
  `sha256=${createHmac("sha256", secret).update(bytes(body)).digest("hex")}`;

/** A correctly signed GitHub delivery; `overrides` replace parts of it. */
const delivery = (body: string | Uint8Array, overrides: Partial<IngestRequest> = {}): IngestRequest => ({
  method: "POST",
  source: "github",
  headers: {
    "content-type": "application/json",
    "x-github-event": "secret_scanning_alert",
    "x-github-delivery": "delivery-1",
    "x-hub-signature-256": sign(body),
  },
  rawBody: bytes(body),
  ...overrides,
});

/** Fake dependencies that record what ingest published, refused one by one (`rejections`) and counted. */
function fakes(overrides: Partial<IngestDeps> = {}) {
  const published: AlertReceived[] = [];
  const rejections: Rejection[] = [];
  const counted: Rejection[] = [];
  const deps: IngestDeps = {
    secret: async (name) => (name === "QUELL_GITHUB_WEBHOOK_SECRET" ? SECRET : undefined),
    publish: async (event) => {
      published.push(event);
    },
    recordRejection: async (rejection) => {
      rejections.push(rejection);
    },
    countRefusal: async (refusal) => {
      counted.push(refusal);
    },
    admit: admitEveryone,
    deliveries: noDeliverySeen,
    clock: () => NOW,
    newId: (prefix) => `${prefix}_unit0001`,
    maxBodyBytes: MAX_BODY_BYTES,
    ...overrides,
  };
  return { deps, published, rejections, counted };
}

describe("ingest accepts a good delivery", () => {
  it("answers 202 and publishes exactly one event carrying the alert normalised once, at the edge", async () => {
    const { deps, published, rejections } = fakes();
    const response = await ingest(delivery(GOOD), deps);
    expect(response).toEqual({ status: 202, body: { alertId: "alr_unit0001", status: "accepted" } });
    const receipt = {
      alertId: "alr_unit0001",
      receivedAt: "2026-11-25T00:00:00.000Z",
      deliveryId: "delivery-1",
    };
    expect(published).toEqual([
      {
        ...receipt,
        source: "github",
        alerts: github.normalize(github.schema.parse(JSON.parse(GOOD)), receipt),
      },
    ]);
    expect(published[0]?.alerts?.[0]).toMatchObject({
      id: "alr_unit0001",
      source: "github",
      status: "firing",
    });
    expect(rejections).toEqual([]);
  });

  it("accepts a content type with parameters", async () => {
    const { deps, published } = fakes();
    const request = delivery(GOOD);
    const headers = { ...request.headers, "content-type": "Application/JSON; charset=utf-8" };
    expect((await ingest({ ...request, headers }, deps)).status).toBe(202);
    expect(published).toHaveLength(1);
  });

  it("answers a ping with 200 pong, publishing and recording nothing", async () => {
    const { deps, published, rejections } = fakes();
    const request = delivery('{"zen":"Keep it logically awesome."}');
    const response = await ingest(
      { ...request, headers: { ...request.headers, "x-github-event": "ping" } },
      deps,
    );
    expect(response).toEqual({ status: 200, body: { status: "pong" } });
    expect(published).toEqual([]);
    expect(rejections).toEqual([]);
  });
});

describe("ingest refuses bad deliveries, publishes nothing and keeps one refusal without the body", () => {
  const invalidUtf8 = Uint8Array.from([
    ...new TextEncoder().encode(`{"canary":"${CANARY}`),
    0xff,
    0x22,
    0x7d,
  ]);
  const oversized = JSON.stringify({ canary: CANARY, pad: "x".repeat(MAX_BODY_BYTES) });
  const wrongShape = fixtureWithCanary("bad-number-and-repo-id-as-strings.json");

  const cases: {
    name: string;
    request: IngestRequest;
    deps?: Partial<IngestDeps>;
    status: number;
    code: string;
    message?: RegExp;
    /** Refusals of requests that proved they hold the secret are kept one by one; the others are counted. */
    authenticated?: boolean;
    keptAs?: string;
  }[] = [
    {
      name: "a signature made with another secret",
      request: delivery(GOOD, {
        headers: { ...delivery(GOOD).headers, "x-hub-signature-256": sign(GOOD, "x") },
      }),
      status: 401,
      code: "bad_signature",
    },
    {
      name: "a source with no secret configured (fail closed)",
      request: delivery(GOOD),
      deps: { secret: async () => undefined },
      status: 401,
      code: "not_configured",
    },
    {
      name: "an unknown source",
      request: delivery(GOOD, { source: "gitlab" }),
      status: 404,
      code: "unknown_source",
      message: /unknown source "gitlab"; known: .*\bgithub\b/,
      keptAs: "(unknown)",
    },
    { name: "GET", request: delivery(GOOD, { method: "GET" }), status: 405, code: "method_not_allowed" },
    {
      name: "a body over maxBodyBytes",
      request: delivery(oversized),
      status: 413,
      code: "too_large",
      message: new RegExp(`the limit is ${MAX_BODY_BYTES}`),
    },
    {
      name: "a wrong content type",
      request: delivery(GOOD, { headers: { ...delivery(GOOD).headers, "content-type": "text/plain" } }),
      status: 415,
      code: "unsupported_media_type",
    },
    {
      name: "a body that is not JSON",
      request: delivery(`alert! ${CANARY}`),
      status: 400,
      code: "invalid_json",
      message: /not JSON/,
      authenticated: true,
    },
    {
      name: "invalid UTF-8",
      request: delivery(invalidUtf8),
      status: 400,
      code: "invalid_json",
      message: /not valid UTF-8/,
      authenticated: true,
    },
    {
      name: "an event other than secret_scanning_alert",
      request: delivery(GOOD, { headers: { ...delivery(GOOD).headers, "x-github-event": "push" } }),
      status: 422,
      code: "unsupported_event",
      authenticated: true,
    },
    {
      name: "JSON of the wrong shape",
      request: delivery(wrongShape),
      status: 422,
      code: "invalid_payload",
      authenticated: true,
    },
    {
      name: "a sender the allow-list does not admit",
      request: delivery(GOOD),
      deps: { admit: () => ({ allowed: false, message: "GitHub organisation example-corp is not allowed" }) },
      status: 403,
      code: "not_allowed",
      message: /example-corp/,
      authenticated: true,
    },
  ];

  it.each(cases)("$status $code for $name", async (refused) => {
    const { request, deps, status, code, message, authenticated = false, keptAs } = refused;
    const recorder = fakes(deps);
    const response = await ingest(request, recorder.deps);

    expect(response.status).toBe(status);
    expect(response.body).toMatchObject({ error: { code } });
    if (message) expect((response.body.error as { message: string }).message).toMatch(message);
    expect(recorder.published).toEqual([]);
    expect(authenticated ? recorder.counted : recorder.rejections).toEqual([]);
    expect(authenticated ? recorder.rejections : recorder.counted).toEqual([
      {
        source: keptAs ?? request.source,
        status,
        code,
        message: (response.body.error as { message: string }).message,
        bodySha256: createHash("sha256").update(request.rawBody).digest("hex"),
        bodyBytes: request.rawBody.byteLength,
      },
    ]);
    expect(JSON.stringify([recorder.rejections, recorder.counted])).not.toContain(CANARY);
    expect(JSON.stringify(response.body)).not.toContain(CANARY);
  });

  it("lists the wrong fields of a wrong-shaped payload", async () => {
    const response = await ingest(delivery(wrongShape), fakes().deps);
    const issues = (response.body.error as { issues: { path: string }[] }).issues;
    expect(issues.map((issue) => issue.path).sort()).toEqual(["alert.number", "repository.id"]);
  });

  it("does not count a body of exactly maxBodyBytes as too large", async () => {
    const exact = JSON.stringify({ pad: "x".repeat(MAX_BODY_BYTES - 10) });
    expect(bytes(exact).byteLength).toBe(MAX_BODY_BYTES);
    const response = await ingest(delivery(exact), fakes().deps);
    expect(response.status).toBe(422);
  });
});
