import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CanonicalAlert } from "../../functions/shared/alert.js";
import { parseRawJson } from "../../functions/shared/raw-json.js";
import { grafana } from "../../functions/sources/grafana.js";
import { sourceByName } from "../../functions/sources/index.js";

// biome-ignore lint/suspicious/noExplicitAny: fixtures are mutated freely to build variants.
type Json = any;

const raw = (name: string) => readFileSync(new URL(`../fixtures/grafana/${name}`, import.meta.url));
const fixture = (name: string): Json => JSON.parse(raw(name).toString("utf8"));
const firing = () => fixture("prompt-attack-detections-spike-firing.json");

const receipt = { alertId: "alr_unit0001", receivedAt: "2026-11-25T00:00:00.000Z" };

const normalise = (payload: unknown, at = receipt) =>
  grafana.normalize(grafana.schema.parse(payload), at).map((alert) => CanonicalAlert.parse(alert));

const issuesOf = (payload: unknown) => {
  const result = grafana.schema.safeParse(payload);
  expect(result.success).toBe(false);
  return (result.error?.issues ?? []).map((issue) => ({
    path: issue.path.join("."),
    message: issue.message,
  }));
};
const pathsOf = (payload: unknown) => issuesOf(payload).map((issue) => issue.path);

/** A resolved notification for the same alert, as Grafana sends it when the rule recovers. */
function resolvedOf(payload: Json): Json {
  payload.status = "resolved";
  payload.state = "ok";
  payload.alerts[0].status = "resolved";
  payload.alerts[0].endsAt = "2026-11-19T14:27:00Z";
  return payload;
}

describe("Grafana unified-alerting webhook → canonical alerts", () => {
  it("is registered as `grafana`, authenticated with its bearer token", () => {
    expect(sourceByName("grafana")).toBe(grafana);
    expect(grafana.secretName).toBe("QUELL_SOURCE_TOKEN_GRAFANA");
    const request = {
      headers: { authorization: "Bearer t0ken" },
      rawBody: new Uint8Array(),
      now: new Date(),
    };
    expect(grafana.authenticate(request, "t0ken")).toEqual({ ok: true });
    expect(grafana.authenticate(request, "other").ok).toBe(false);
  });

  it("the prompt-attack spike: prompt_injection, high, firing, deduplicated by fingerprint", () => {
    const alerts = normalise(firing());
    expect(alerts).toEqual([
      {
        id: "alr_unit0001",
        source: "grafana",
        sourceIds: { fingerprint: "c9f1e0d2b7a63854", ruleName: "PromptAttackDetectionsSpike", orgId: "1" },
        type: "prompt_injection",
        severity: "high",
        status: "firing",
        title:
          "PromptAttackDetectionsSpike: Prompt-attack detections for support-chat are 9x baseline across 23 distinct users [app=support-chat]",
        occurredAt: "2026-11-19T13:52:00Z",
        receivedAt: "2026-11-25T00:00:00.000Z",
        dedupKey: "grafana:c9f1e0d2b7a63854",
        entities: [],
        tags: { owasp: ["LLM01:2025"], atlas: ["AML.T0051"] },
        details: expect.objectContaining({
          alertname: "PromptAttackDetectionsSpike",
          app: "support-chat",
          severityLabel: "high",
          orgId: 1,
          dashboardUrl: "https://grafana.example.com/d/ai-sec-overview?orgId=1",
          panelUrl: "https://grafana.example.com/d/ai-sec-overview?orgId=1&viewPanel=7",
          value_A: 37,
          value_C: 1,
          label_env: "prod",
          label_grafana_folder: "AI Security",
          runbookUrl: "https://runbooks.example.com/ai/prompt-attack-surge",
        }),
      },
    ]);
  });

  it("firing, repeated, then resolved: one dedup key throughout", () => {
    const first = normalise(firing());
    const repeat = normalise(firing(), { alertId: "alr_unit0002", receivedAt: "2026-11-25T00:05:00.000Z" });
    const resolved = normalise(resolvedOf(firing()), {
      alertId: "alr_unit0003",
      receivedAt: "2026-11-25T00:10:00.000Z",
    });
    expect([first, repeat, resolved].map((alerts) => alerts.map((alert) => alert.dedupKey))).toEqual([
      ["grafana:c9f1e0d2b7a63854"],
      ["grafana:c9f1e0d2b7a63854"],
      ["grafana:c9f1e0d2b7a63854"],
    ]);
    expect(resolved[0]).toMatchObject({ status: "resolved", occurredAt: "2026-11-19T14:27:00Z" });
  });

  it("the same severity and type rules as Alertmanager", () => {
    const payload = firing();
    payload.alerts[0].labels.severity = "warning";
    payload.alerts[0].labels.quell_type = "jailbreak";
    payload.alerts.push({
      ...structuredClone(payload.alerts[0]),
      fingerprint: "0000000000000001",
      labels: { alertname: "CPUHigh" },
    });
    const [first, second] = normalise(payload);
    expect(first).toMatchObject({ severity: "medium", type: "jailbreak" });
    expect(second).toMatchObject({ severity: "medium", type: "other", dedupKey: "grafana:0000000000000001" });
  });

  it("links Grafana leaves empty and absent values are fine", () => {
    const payload = firing();
    payload.alerts[0].dashboardURL = "";
    payload.alerts[0].panelURL = "";
    payload.alerts[0].values = null;
    const [alert] = normalise(payload);
    expect(alert?.details.dashboardUrl).toBeUndefined();
    expect(alert?.details.value_A).toBeUndefined();
  });

  describe("refuses, naming the fields", () => {
    it("bad fixture: 5,000 levels deep is refused before parsing, and the schema would refuse it too", () => {
      const bytes = new Uint8Array(raw("bad-deeply-nested-5000.json"));
      const checked = parseRawJson(bytes);
      expect(checked).toEqual({ ok: false, message: expect.stringContaining("limit is 64") });
      expect(pathsOf(JSON.parse(Buffer.from(bytes).toString("utf8")))).toContain("commonAnnotations.details");
    });

    it.each([
      ['version "4" (Alertmanager\'s)', (p: Json) => (p.version = "4"), "version"],
      ["orgId as a string", (p: Json) => (p.orgId = "1"), "orgId"],
      ["a missing orgId", (p: Json) => delete p.orgId, "orgId"],
      ["values as strings", (p: Json) => (p.alerts[0].values = { A: "37" }), "alerts.0.values.A"],
      ["alerts: null", (p: Json) => (p.alerts = null), "alerts"],
      [
        "an ANSI escape in a label",
        (p: Json) => (p.alerts[0].labels.app = "\u001b[31mchat"),
        "alerts.0.labels.app",
      ],
      ["U+202E in a common label", (p: Json) => (p.commonLabels.env = "\u202Edorp"), "commonLabels.env"],
      [
        "an annotation that is an object",
        (p: Json) => (p.alerts[0].annotations.summary = {}),
        "alerts.0.annotations.summary",
      ],
      [
        "a fingerprint in upper case",
        (p: Json) => (p.alerts[0].fingerprint = "C9F1E0D2B7A63854"),
        "alerts.0.fingerprint",
      ],
      [
        "an unknown type label",
        (p: Json) => (p.alerts[0].labels.ai_incident_type = "Prompt Injection"),
        "alerts.0.labels.ai_incident_type",
      ],
    ])("%s", (_name, mutate, path) => {
      const payload = firing();
      mutate(payload);
      expect(pathsOf(payload)).toContain(path);
    });
  });

  it("fields Quell does not read (title, message, state) pass through unchecked", () => {
    const payload = firing();
    payload.title = 42;
    payload.state = "something-new";
    payload.message = null;
    expect(normalise(payload)).toHaveLength(1);
  });
});
