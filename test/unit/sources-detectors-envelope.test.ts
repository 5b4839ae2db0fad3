import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { CanonicalAlert } from "../../functions/shared/alert.js";
import { canonicalJson, sha256Hex } from "../../functions/shared/hash.js";
import { llmGuard } from "../../functions/sources/detectors/llm-guard.js";
import { sourceByName } from "../../functions/sources/index.js";

const ACCEPTED =
  "requestId, observedAt, environment, modelId, guardrailIdentifier, guardrailVersion, source, scanMode, " +
  "operation, awsAccountId, region, endpoint, apiVersion, projectId, llmGuardVersion, documentRefs, messageRoles";

// biome-ignore lint/suspicious/noExplicitAny: fixtures are edited freely in tests.
const fixture = (): Record<string, any> =>
  JSON.parse(
    readFileSync(
      new URL("../fixtures/llm-guard/analyze-prompt-injection-detected.json", import.meta.url),
      "utf8",
    ),
  );

beforeAll(() => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(new Date("2026-11-25T00:00:00.000Z"));
});
afterAll(() => vi.useRealTimers());

const receipt = { alertId: "alr_unit0006", receivedAt: "2026-11-25T00:00:00.000Z" };
const normalise = (payload: unknown) =>
  CanonicalAlert.parse(llmGuard.normalize(llmGuard.schema.parse(payload), receipt)[0]);
const issues = (payload: unknown) => {
  const result = llmGuard.schema.safeParse(payload);
  expect(result.success).toBe(false);
  return (result.error?.issues ?? []).map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`);
};

describe("the detector envelope {detector?, app, principal, context?, result}", () => {
  it("refuses unknown fields in the envelope, principal and context, and a bad app, IP and account id", () => {
    const body = fixture();
    body.extra = 1;
    body.app = "code review bot";
    body.principal.role = "admin";
    body.principal.sourceIp = "300.1.1.1";
    body.context.awsAccountId = "1111";
    body.context.traceparent = "00-abc";
    expect(issues(body)).toEqual([
      "app: must be 1-64 letters, digits, '.', '_' or '-' (the calling application, e.g. support-chat)",
      "principal.sourceIp: must be an IPv4 or IPv6 address",
      'principal: Unrecognized key: "role"',
      "context.awsAccountId: must be a 12-digit AWS account id",
      `context: unknown key "traceparent"; context takes only ${ACCEPTED}`,
      '(root): Unrecognized key: "extra"',
    ]);
  });

  it("refuses a missing principal, and bidi or control characters in its identifiers", () => {
    const missing = fixture();
    delete missing.principal;
    expect(issues(missing)).toEqual(["principal: Invalid input: expected object, received undefined"]);
    const hostile = fixture();
    hostile.principal.id = "okta:\u202Eadmin";
    hostile.principal.tenantId = "tn\n1";
    expect(issues(hostile)).toEqual([
      "principal.id: contains U+202E at index 5; identifiers must not contain control, bidi or zero-width characters",
      "principal.tenantId: contains U+000A at index 2; identifiers must not contain control, bidi or zero-width characters",
    ]);
  });

  it("applies the 15-minute / 30-day window to observedAt, which may carry an offset", () => {
    const body = fixture();
    body.context.observedAt = "2026-11-24T18:00:00-05:00";
    expect(normalise(body).occurredAt).toBe("2026-11-24T18:00:00-05:00");
    body.context.observedAt = "1970-01-01T00:00:00Z";
    expect(issues(body)).toEqual(["context.observedAt: is more than 30 days old; the window is 30 days"]);
    body.context.observedAt = "2026-11-25T01:00:00Z";
    expect(issues(body)).toEqual([
      "context.observedAt: is more than 15 minutes in the future (check the sender's clock)",
    ]);
  });

  it("without context.requestId, dedups by SHA-256 of the canonical JSON: key order and whitespace do not matter", () => {
    const body = fixture();
    delete body.context.requestId;
    const alert = normalise(body);
    expect(alert.dedupKey).toBe(`llm-guard:sha256:${sha256Hex(canonicalJson(llmGuard.schema.parse(body)))}`);
    const reordered = JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(body).reverse()), null, 2));
    expect(normalise(reordered).dedupKey).toBe(alert.dedupKey);
    body.result.scanners.Toxicity = 0.1;
    expect(normalise(body).dedupKey).not.toBe(alert.dedupKey);
  });

  it("canonicalJson sorts keys at every level and keeps array order", () => {
    expect(canonicalJson({ b: [2, { d: 1, c: null }], a: "x" })).toBe('{"a":"x","b":[2,{"c":null,"d":1}]}');
  });

  it("keeps titles within 300 characters and escapes what an identifier cannot hold", () => {
    const body = fixture();
    body.principal.id = "u".repeat(256);
    body.app = "a".repeat(64);
    const alert = normalise(body);
    expect(alert.title.length).toBeLessThanOrEqual(300);
    expect(alert.title.endsWith("…")).toBe(true);
  });

  it("an agent principal becomes an agent entity, a service account a principal", () => {
    const body = fixture();
    body.principal = { type: "agent", id: "agent-7", provider: "app" };
    expect(normalise(body).entities[0]).toEqual({ kind: "agent", id: "agent-7", provider: "app" });
    body.principal = { type: "service_account", id: "svc-1", provider: "app" };
    expect(normalise(body).entities[0]).toEqual({ kind: "principal", id: "svc-1", provider: "app" });
    expect(normalise(body).title).toContain("for service account svc-1 in code-review-bot");
  });
});

describe("context.documentRefs and context.messageRoles, on every detector route", () => {
  const FIXTURES: [string, string][] = [
    ["bedrock-guardrails", "applyguardrail-intervened-prompt-attack-and-pii.json"],
    ["lakera", "guard-not-flagged.json"],
    ["prompt-shields", "no-attack-detected.json"],
    ["llm-guard", "analyze-prompt-injection-detected.json"],
  ];
  // biome-ignore lint/suspicious/noExplicitAny: fixtures are edited freely in tests.
  const routeFixture = (route: string, name: string): Record<string, any> =>
    JSON.parse(readFileSync(new URL(`../fixtures/${route}/${name}`, import.meta.url), "utf8"));

  it.each(FIXTURES)("%s accepts messageRoles and keeps them as one ordered detail", (route, name) => {
    const adapter = sourceByName(route);
    if (!adapter) throw new Error(`no adapter ${route}`);
    const body = routeFixture(route, name);
    body.context.messageRoles = ["system", "developer", "user", "assistant", "tool", "document", "user"];
    const alert = CanonicalAlert.parse(adapter.normalize(adapter.schema.parse(body), receipt)[0]);
    expect(alert.details.messageRoles).toBe("system,developer,user,assistant,tool,document,user");
  });

  it("bounds the list details: 100 references of 1024 characters are a 2048-character detail and a count", () => {
    const body = fixture();
    const refs = Array.from(
      { length: 100 },
      (_, i) => `s3://support-kb-docs/kb/${String(i).padStart(1000, "0")}`,
    );
    body.context.documentRefs = refs;
    body.context.messageRoles = Array.from({ length: 500 }, () => "document");
    const alert = normalise(body);
    expect(alert.details.documentRefCount).toBe(100);
    expect(alert.details.documentRefs).toHaveLength(2048);
    expect(alert.details.documentRefs).toBe(`${refs.join(",").slice(0, 2047)}…`);
    expect(alert.details.messageRoles).toBe(`${Array(500).fill("document").join(",").slice(0, 2047)}…`);
  });

  it("refuses a misspelt context key by name, listing the accepted ones; at most 5 named, each clipped", () => {
    const body = fixture();
    body.context.documentRef = ["s3://support-kb-docs/kb/a.html"];
    expect(issues(body)).toEqual([`context: unknown key "documentRef"; context takes only ${ACCEPTED}`]);
    const many = fixture();
    for (const key of ["a", "b", "c", "d", "e", "f"]) many.context[key] = 1;
    many.context["k".repeat(100)] = 1;
    expect(issues(many)).toEqual([
      `context: unknown keys "a", "b", "c", "d", "e" and 2 more; context takes only ${ACCEPTED}`,
    ]);
    const long = fixture();
    long.context["k".repeat(100)] = 1;
    expect(issues(long)).toEqual([
      `context: unknown key "${"k".repeat(63)}…"; context takes only ${ACCEPTED}`,
    ]);
  });
});
