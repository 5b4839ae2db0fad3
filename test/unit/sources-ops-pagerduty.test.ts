import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CanonicalAlert, tagsFor } from "../../functions/shared/alert.js";
import { sourceByName } from "../../functions/sources/index.js";
import { pagerduty } from "../../functions/sources/pagerduty.js";

// biome-ignore lint/suspicious/noExplicitAny: fixtures are mutated freely to build variants.
type Json = any;

const fixture = (name: string): Json =>
  JSON.parse(readFileSync(new URL(`../fixtures/pagerduty/${name}`, import.meta.url), "utf8"));
const trigger = () => fixture("events-v2-trigger-model-extraction-suspected.json");
const resolve = () => fixture("events-v2-resolve-model-extraction-suspected.json");

const receipt = { alertId: "alr_unit0001", receivedAt: "2026-11-25T00:00:00.000Z" };

const normalise = (payload: unknown, at = receipt) => {
  const alerts = pagerduty
    .normalize(pagerduty.schema.parse(payload), at)
    .map((alert) => CanonicalAlert.parse(alert));
  expect(alerts).toHaveLength(1);
  return alerts[0] as CanonicalAlert;
};

const issuesOf = (payload: unknown) => {
  const result = pagerduty.schema.safeParse(payload);
  expect(result.success).toBe(false);
  return (result.error?.issues ?? []).map((issue) => ({
    path: issue.path.join("."),
    message: issue.message,
  }));
};
const pathsOf = (payload: unknown) => issuesOf(payload).map((issue) => issue.path);

describe("PagerDuty Events API v2 → canonical alert", () => {
  it("is registered as `pagerduty`, authenticated with its bearer token (not routing_key)", () => {
    expect(sourceByName("pagerduty")).toBe(pagerduty);
    expect(pagerduty.secretName).toBe("QUELL_SOURCE_TOKEN_PAGERDUTY");
    const request = (authorization?: string) => ({
      headers: { authorization },
      rawBody: new TextEncoder().encode(JSON.stringify(trigger())),
      now: new Date(),
    });
    expect(pagerduty.authenticate(request("Bearer pd"), "pd")).toEqual({ ok: true });
    expect(pagerduty.authenticate(request(), "exampleroutingkey000000000000001").ok).toBe(false);
  });

  it("the model-extraction trigger: model_extraction, high (error), firing", () => {
    expect(normalise(trigger())).toEqual({
      id: "alr_unit0001",
      source: "pagerduty",
      sourceIds: { dedupKey: "aisoar:model-extraction:fraud-scorer-v4:tn_5530" },
      type: "model_extraction",
      severity: "high",
      status: "firing",
      title:
        "Possible model extraction: tenant tn_5530 sent 148k systematically varied queries to fraud-scorer-v4 in 2h (32x baseline)",
      occurredAt: "2026-11-22T08:47:15.000Z",
      receivedAt: "2026-11-25T00:00:00.000Z",
      dedupKey: "pagerduty:aisoar:model-extraction:fraud-scorer-v4:tn_5530",
      entities: [
        { kind: "tenant", id: "tn_5530" },
        { kind: "ip", id: "203.0.113.61" },
        { kind: "ip", id: "203.0.113.62" },
      ],
      tags: tagsFor("model_extraction"),
      details: {
        eventAction: "trigger",
        dedupKey: "aisoar:model-extraction:fraud-scorer-v4:tn_5530",
        summary:
          "Possible model extraction: tenant tn_5530 sent 148k systematically varied queries to fraud-scorer-v4 in 2h (32x baseline)",
        payloadSource: "llm-gateway.prod.example.com",
        payloadSeverity: "error",
        component: "fraud-scorer-v4",
        group: "ml-inference",
        class: "model_extraction",
        tenant: "tn_5530",
        apiKeyId: "gwk_51f0c2a9",
        client: "llm-gateway-monitor",
        clientUrl: "https://llm-gateway.prod.example.com/admin/alerts",
        link: "https://grafana.example.com/d/llm-gw/tenant-usage?var-tenant=tn_5530",
      },
    });
  });

  it("never keeps the routing key", () => {
    expect(JSON.stringify(normalise(trigger()))).not.toContain("exampleroutingkey");
  });

  it("the resolve (no payload) resolves the same dedup key, as info", () => {
    expect(normalise(resolve())).toMatchObject({
      status: "resolved",
      dedupKey: "pagerduty:aisoar:model-extraction:fraud-scorer-v4:tn_5530",
      severity: "info",
      type: "other",
      title: "PagerDuty resolve for aisoar:model-extraction:fraud-scorer-v4:tn_5530",
      occurredAt: "2026-11-25T00:00:00.000Z",
      entities: [],
    });
  });

  it("acknowledge is an update of the same alert", () => {
    const acknowledge = { ...resolve(), event_action: "acknowledge" };
    expect(normalise(acknowledge)).toMatchObject({
      status: "update",
      dedupKey: "pagerduty:aisoar:model-extraction:fraud-scorer-v4:tn_5530",
    });
  });

  it.each([
    ["critical", "critical"],
    ["error", "high"],
    ["warning", "medium"],
    ["info", "info"],
  ])("payload.severity %s → %s (R1)", (pdSeverity, severity) => {
    const event = trigger();
    event.payload.severity = pdSeverity;
    expect(normalise(event).severity).toBe(severity);
  });

  it("type: custom_details.quell_type, else a class that is a Quell type, else other", () => {
    const declared = trigger();
    declared.payload.custom_details.quell_type = "llmjacking";
    expect(normalise(declared).type).toBe("llmjacking");
    const free = trigger();
    free.payload.class = "cpu load";
    expect(normalise(free).type).toBe("other");
    const proto = trigger();
    proto.payload.class = "constructor";
    expect(normalise(proto).type).toBe("other");
  });

  it("a trigger without dedup_key gets a stable key from its payload", () => {
    const event = trigger();
    delete event.dedup_key;
    const first = normalise(event);
    const again = normalise(structuredClone(event), {
      alertId: "alr_unit0002",
      receivedAt: receipt.receivedAt,
    });
    expect(first.dedupKey).toMatch(/^pagerduty:sha256:[0-9a-f]{40}$/);
    expect(again.dedupKey).toBe(first.dedupKey);
  });

  it("timestamps: +0000, +00:00 and Z all work; a missing one uses the receipt time", () => {
    const event = trigger();
    event.payload.timestamp = "2026-11-22T10:47:15+02:00";
    expect(normalise(event).occurredAt).toBe("2026-11-22T08:47:15.000Z");
    delete event.payload.timestamp;
    expect(normalise(event).occurredAt).toBe("2026-11-25T00:00:00.000Z");
  });

  it("a hostile summary becomes a bounded title without control characters", () => {
    const event = trigger();
    event.payload.summary = `<!channel> <https://evil.example|click>\n\u202E${"z".repeat(900)}`;
    const alert = normalise(event);
    expect(alert.title.length).toBe(300);
    expect(alert.title).toMatch(/^<!channel> <https:\/\/evil\.example\|click> z+…$/);
  });

  describe("refuses, naming the fields", () => {
    it("bad fixture: a trigger without payload", () => {
      expect(issuesOf(fixture("bad-trigger-missing-payload.json"))).toEqual([
        { path: "payload", message: "payload (summary, source, severity) is required for trigger" },
      ]);
    });

    it("bad fixture: a resolve without dedup_key", () => {
      expect(issuesOf(fixture("bad-resolve-missing-dedup-key.json"))).toEqual([
        { path: "dedup_key", message: "dedup_key is required for resolve: it names the alert to resolve" },
      ]);
    });

    it("bad fixture: event_action escalate and severity catastrophic", () => {
      expect(pathsOf(fixture("bad-invalid-event-action-and-severity.json"))).toEqual([
        "event_action",
        "payload.severity",
      ]);
    });

    it.each([
      [
        "an acknowledge without dedup_key",
        (p: Json) => {
          delete p.dedup_key;
          p.event_action = "acknowledge";
        },
        "dedup_key",
      ],
      ["a dedup_key over 255 characters", (p: Json) => (p.dedup_key = "k".repeat(256)), "dedup_key"],
      ["a dedup_key with CR/LF", (p: Json) => (p.dedup_key = "a\r\nX-Injected: 1"), "dedup_key"],
      ["a dedup_key with U+2066", (p: Json) => (p.dedup_key = "a\u2066b"), "dedup_key"],
      ["a dedup_key that is a number", (p: Json) => (p.dedup_key = 42), "dedup_key"],
      ["a missing routing_key", (p: Json) => delete p.routing_key, "routing_key"],
      ["a missing summary", (p: Json) => delete p.payload.summary, "payload.summary"],
      [
        "a summary over 1024 characters",
        (p: Json) => (p.payload.summary = "s".repeat(1025)),
        "payload.summary",
      ],
      ["a missing source", (p: Json) => delete p.payload.source, "payload.source"],
      [
        "a timestamp that is no date",
        (p: Json) => (p.payload.timestamp = "2026-13-45T99:00:00Z"),
        "payload.timestamp",
      ],
      [
        "a timestamp without zone",
        (p: Json) => (p.payload.timestamp = "2026-11-22T08:47:15"),
        "payload.timestamp",
      ],
      [
        "a timestamp before year 1 in UTC",
        (p: Json) => (p.payload.timestamp = "0001-01-01T00:00:00+01:00"),
        "payload.timestamp",
      ],
      ["payload as a string", (p: Json) => (p.payload = "summary"), "payload"],
      ["custom_details as a string", (p: Json) => (p.payload.custom_details = "x"), "payload.custom_details"],
      [
        "a tenant_id that is a number",
        (p: Json) => (p.payload.custom_details.tenant_id = 5530),
        "payload.custom_details.tenant_id",
      ],
      [
        "a tenant_id with a NUL",
        (p: Json) => (p.payload.custom_details.tenant_id = "tn\u0000"),
        "payload.custom_details.tenant_id",
      ],
      [
        "source_ips that are no IPs",
        (p: Json) => (p.payload.custom_details.source_ips = ["evil.example"]),
        "payload.custom_details.source_ips.0",
      ],
      [
        "an unknown quell_type",
        (p: Json) => (p.payload.custom_details.quell_type = "world_domination"),
        "payload.custom_details.quell_type",
      ],
    ])("%s", (_name, mutate, path) => {
      const event = trigger();
      mutate(event);
      expect(pathsOf(event)).toContain(path);
    });
  });

  it("unknown custom_details and top-level fields pass through", () => {
    const event = trigger();
    event.payload.custom_details.anything = { deep: [1, "two"] };
    event.new_field = true;
    expect(normalise(event).dedupKey).toBe("pagerduty:aisoar:model-extraction:fraud-scorer-v4:tn_5530");
  });
});
