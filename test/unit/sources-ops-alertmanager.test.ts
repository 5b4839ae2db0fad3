import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CanonicalAlert, tagsFor } from "../../functions/shared/alert.js";
import { parseRawJson } from "../../functions/shared/raw-json.js";
import { alertmanager } from "../../functions/sources/alertmanager.js";
import { sourceByName } from "../../functions/sources/index.js";

// biome-ignore lint/suspicious/noExplicitAny: fixtures are mutated freely to build variants.
type Json = any;

const raw = (name: string) => readFileSync(new URL(`../fixtures/alertmanager/${name}`, import.meta.url));
const fixture = (name: string): Json => JSON.parse(raw(name).toString("utf8"));
const firing = () => fixture("vllm-token-rate-anomaly-firing.json");
const resolved = () => fixture("vllm-token-rate-anomaly-resolved.json");

const receipt = { alertId: "alr_unit0001", receivedAt: "2026-11-25T00:00:00.000Z" };

/** The path ingest and triage take: schema, adapter, canonical schema. */
const normalise = (payload: unknown, at = receipt) =>
  alertmanager.normalize(alertmanager.schema.parse(payload), at).map((alert) => CanonicalAlert.parse(alert));

/** The issues ingest would answer with: `path` joined by dots, and the message. */
const issuesOf = (payload: unknown) => {
  const result = alertmanager.schema.safeParse(payload);
  expect(result.success).toBe(false);
  return (result.error?.issues ?? []).map((issue) => ({
    path: issue.path.join("."),
    message: issue.message,
  }));
};
const pathsOf = (payload: unknown) => issuesOf(payload).map((issue) => issue.path);

describe("Alertmanager webhook (version 4) → canonical alerts", () => {
  it("is registered as `alertmanager`, authenticated with its bearer token", () => {
    expect(sourceByName("alertmanager")).toBe(alertmanager);
    expect(alertmanager.secretName).toBe("QUELL_SOURCE_TOKEN_ALERTMANAGER");
    const request = (authorization?: string) => ({
      headers: { authorization },
      rawBody: new Uint8Array(),
      now: new Date(),
    });
    expect(alertmanager.authenticate(request("Bearer s3cret"), "s3cret")).toEqual({ ok: true });
    expect(alertmanager.authenticate(request("Bearer wrong"), "s3cret").ok).toBe(false);
    expect(alertmanager.authenticate(request(), "s3cret").ok).toBe(false);
  });

  it("a firing group of two alerts becomes two canonical alerts, one per fingerprint", () => {
    const alerts = normalise(firing());
    expect(alerts).toHaveLength(2);
    expect(alerts[0]).toEqual({
      id: "alr_unit0001",
      source: "alertmanager",
      sourceIds: { fingerprint: "5e1b9a0c7d3f2e84", ruleName: "VLLMTokenRateAnomaly" },
      type: "token_spend_anomaly",
      severity: "critical",
      status: "firing",
      title:
        "VLLMTokenRateAnomaly: vLLM generation token rate anomaly (>4x day-over-day) [tenant=tn_4821, model_name=meta-llama/Meta-Llama-3-70B-Instruct]",
      occurredAt: "2026-11-21T22:03:30.112Z",
      receivedAt: "2026-11-25T00:00:00.000Z",
      dedupKey: "alertmanager:5e1b9a0c7d3f2e84",
      entities: [
        { kind: "tenant", id: "tn_4821" },
        { kind: "model", id: "meta-llama/Meta-Llama-3-70B-Instruct" },
      ],
      tags: tagsFor("token_spend_anomaly"),
      details: expect.objectContaining({
        alertname: "VLLMTokenRateAnomaly",
        alertStatus: "firing",
        fingerprint: "5e1b9a0c7d3f2e84",
        severityLabel: "critical",
        app: null,
        summary: "vLLM generation token rate anomaly (>4x day-over-day)",
        runbookUrl: "https://runbooks.example.com/ai/vllm-token-rate",
        startsAt: "2026-11-21T22:03:30.112Z",
        endsAt: null,
        receiver: "aisoar-webhook",
        groupKey: '{}/{team="ai-platform"}:{alertname="VLLMTokenRateAnomaly"}',
        groupSize: 2,
        truncatedAlerts: 0,
        label_tenant: "tn_4821",
        label_cluster: "gpu-prod-use1",
      }),
    });
    expect(alerts[1]).toMatchObject({
      id: "alr_unit0001.1",
      dedupKey: "alertmanager:a7c3e2f1098b4d56",
      status: "firing",
      severity: "critical",
      type: "token_spend_anomaly",
      occurredAt: "2026-11-21T22:04:00.112Z",
      entities: [
        { kind: "tenant", id: "tn_9377" },
        { kind: "model", id: "meta-llama/Meta-Llama-3-70B-Instruct" },
      ],
    });
  });

  it("a repeat of the same firing group keeps the dedup keys, so it joins the same incidents", () => {
    const first = normalise(firing());
    const again = normalise(firing(), { alertId: "alr_unit0002", receivedAt: "2026-11-25T00:05:00.000Z" });
    expect(again.map((alert) => alert.dedupKey)).toEqual(first.map((alert) => alert.dedupKey));
    expect(again.map((alert) => alert.id)).toEqual(["alr_unit0002", "alr_unit0002.1"]);
    expect(again.map((alert) => alert.status)).toEqual(["firing", "firing"]);
  });

  it("the resolved group resolves both alerts, dated when they ended", () => {
    const alerts = normalise(resolved());
    expect(alerts.map(({ dedupKey, status, occurredAt }) => ({ dedupKey, status, occurredAt }))).toEqual([
      {
        dedupKey: "alertmanager:5e1b9a0c7d3f2e84",
        status: "resolved",
        occurredAt: "2026-11-21T23:18:30.112Z",
      },
      {
        dedupKey: "alertmanager:a7c3e2f1098b4d56",
        status: "resolved",
        occurredAt: "2026-11-21T23:18:30.112Z",
      },
    ]);
    expect(alerts[0]?.details.endsAt).toBe("2026-11-21T23:18:30.112Z");
  });

  it("status is per alert: a group can carry one firing and one resolved alert", () => {
    const payload = firing();
    payload.alerts[1].status = "resolved";
    payload.alerts[1].endsAt = "2026-11-21T23:00:00Z";
    expect(normalise(payload).map((alert) => alert.status)).toEqual(["firing", "resolved"]);
  });

  it.each([
    ["critical", "critical"],
    ["high", "high"],
    ["warning", "medium"],
    ["info", "info"],
    ["WARNING", "medium"],
    ["page", "medium"],
    [undefined, "medium"],
  ])("severity label %s → %s (R1; unknown or missing is medium)", (label, severity) => {
    const payload = firing();
    if (label === undefined) delete payload.alerts[0].labels.severity;
    else payload.alerts[0].labels.severity = label;
    expect(normalise(payload)[0]?.severity).toBe(severity);
  });

  it("type: quell_type or ai_incident_type label first, then the rule name, else other", () => {
    const payload = firing();
    payload.alerts[0].labels.quell_type = "llmjacking";
    payload.alerts[1].labels.ai_incident_type = "prompt_injection";
    const [first, second] = normalise(payload);
    expect(first?.type).toBe("llmjacking");
    expect(first?.tags).toEqual({ owasp: ["LLM10:2025"], atlas: ["AML.T0012"] });
    expect(second?.type).toBe("prompt_injection");

    const unknown = firing();
    unknown.alerts[0].labels.alertname = "DiskAlmostFull";
    expect(normalise(unknown)[0]?.type).toBe("other");
    // A rule named like an Object.prototype member is just an unknown rule.
    unknown.alerts[0].labels.alertname = "constructor";
    expect(normalise(unknown)[0]?.type).toBe("other");
  });

  it("a type label that is not a Quell type is refused, naming the label", () => {
    const payload = firing();
    payload.alerts[1].labels.quell_type = "world_domination";
    expect(issuesOf(payload)).toEqual([
      { path: "alerts.1.labels.quell_type", message: expect.stringContaining("not a Quell alert type") },
    ]);
  });

  it("entities come from labels; the application goes to details.app", () => {
    const payload = firing();
    Object.assign(payload.alerts[0].labels, {
      app: "support-chat",
      user_id: "usr_8c41f2",
      guardrail_id: "q7x2k9m4w1ba",
      source_ip: "203.0.113.45",
      principal: "arn:aws:iam::111122223333:user/svc-docs-indexer",
    });
    payload.alerts[1].labels.source_ip = "not-an-ip";
    payload.alerts[1].labels.tenant = "";
    const [first, second] = normalise(payload);
    expect(first?.entities).toEqual([
      { kind: "tenant", id: "tn_4821" },
      { kind: "model", id: "meta-llama/Meta-Llama-3-70B-Instruct" },
      { kind: "end_user", id: "usr_8c41f2" },
      { kind: "principal", id: "arn:aws:iam::111122223333:user/svc-docs-indexer" },
      { kind: "guardrail", id: "q7x2k9m4w1ba" },
      { kind: "ip", id: "203.0.113.45" },
    ]);
    expect(first?.details.app).toBe("support-chat");
    // An empty label is absent, and a source_ip that is no IP is not an entity.
    expect(second?.entities).toEqual([{ kind: "model", id: "meta-llama/Meta-Llama-3-70B-Instruct" }]);
  });

  it("titles are bounded to 300 characters and carry no control or bidi characters", () => {
    const payload = firing();
    payload.alerts[0].annotations.summary = `<!channel> *urgent*\r\n\u202Ereversed ${"x".repeat(5000)}`;
    const [alert] = normalise(payload);
    expect(alert?.title.length).toBeLessThanOrEqual(300);
    expect(alert?.title).toMatch(/^VLLMTokenRateAnomaly: <!channel> \*urgent\* reversed x+…$/);
    // The full text stays in the details (bounded), verbatim: escaping is the renderer's job.
    expect(alert?.details.summary).toHaveLength(2048);
  });

  describe("refuses, naming the fields", () => {
    it("bad fixture: version 3 and alerts: null", () => {
      const issues = issuesOf(fixture("bad-version-3-and-alerts-null.json"));
      expect(issues).toEqual([
        { path: "version", message: 'only Alertmanager webhook version "4" is supported' },
        { path: "alerts", message: "alerts must be a non-empty array of alerts" },
      ]);
    });

    it("bad fixture: NUL, ANSI escape, CR/LF and U+202E in labels", () => {
      const issues = issuesOf(fixture("bad-control-chars-and-rtl-override-in-labels.json"));
      expect(issues.map((issue) => issue.path).sort()).toEqual([
        "alerts.0.labels.pod",
        "alerts.0.labels.tenant",
        "commonLabels.team",
      ]);
      expect(issues.find((issue) => issue.path === "alerts.0.labels.tenant")?.message).toContain("U+0000");
      expect(issues.find((issue) => issue.path === "alerts.0.labels.pod")?.message).toContain("U+202E");
      expect(issues.find((issue) => issue.path === "commonLabels.team")?.message).toContain("U+000D");
    });

    it.each([
      ["an empty alerts array", (p: Json) => (p.alerts = []), "alerts"],
      ["a missing alerts array", (p: Json) => delete p.alerts, "alerts"],
      ["101 alerts", (p: Json) => (p.alerts = Array(101).fill(p.alerts[0])), "alerts"],
      ["version 4 as a number", (p: Json) => (p.version = 4), "version"],
      ["truncatedAlerts as a string", (p: Json) => (p.truncatedAlerts = "0"), "truncatedAlerts"],
      ["an unknown alert status", (p: Json) => (p.alerts[0].status = "pending"), "alerts.0.status"],
      ["a missing fingerprint", (p: Json) => delete p.alerts[0].fingerprint, "alerts.0.fingerprint"],
      [
        "a fingerprint that is not 16 hex digits",
        (p: Json) => (p.alerts[0].fingerprint = "x'; DROP TABLE cases; --"),
        "alerts.0.fingerprint",
      ],
      [
        "a label value that is a number",
        (p: Json) => (p.alerts[0].labels.tenant = 4821),
        "alerts.0.labels.tenant",
      ],
      ["labels: null", (p: Json) => (p.alerts[1].labels = null), "alerts.1.labels"],
      [
        "a startsAt that is no timestamp",
        (p: Json) => (p.alerts[0].startsAt = "yesterday"),
        "alerts.0.startsAt",
      ],
      [
        "a label value over 512 characters",
        (p: Json) => (p.alerts[0].labels.model_name = "m".repeat(513)),
        "alerts.0.labels.model_name",
      ],
      [
        "a zero-width space in a label name",
        (p: Json) => (p.alerts[0].labels["ten\u200Bant"] = "x"),
        "alerts.0.labels.ten\u200Bant",
      ],
      ["a bidi isolate in the group key", (p: Json) => (p.groupKey = "{}:\u2066x\u2069"), "groupKey"],
      ["a missing receiver", (p: Json) => delete p.receiver, "receiver"],
    ])("%s", (_name, mutate, path) => {
      const payload = firing();
      mutate(payload);
      expect(pathsOf(payload)).toContain(path);
    });

    it("`__proto__`, `constructor` and `prototype` label names, without polluting anything", () => {
      const payload = JSON.parse(
        raw("vllm-token-rate-anomaly-firing.json")
          .toString("utf8")
          .replace('"cluster": "gpu-prod-use1",', '"__proto__": "x", "constructor": "y", "prototype": "z",'),
      );
      const paths = pathsOf(payload);
      expect(paths).toEqual(
        expect.arrayContaining([
          "alerts.0.labels.__proto__",
          "alerts.0.labels.constructor",
          "alerts.0.labels.prototype",
        ]),
      );
      expect(({} as Record<string, unknown>).x).toBeUndefined();
    });
  });

  it("unknown fields pass through", () => {
    const payload = firing();
    payload.somethingNew = { nested: true };
    payload.alerts[0].somethingElse = 1;
    expect(normalise(payload)).toHaveLength(2);
  });

  it("the raw fixture bytes pass ingest's JSON checks", () => {
    const parsed = parseRawJson(new Uint8Array(raw("vllm-token-rate-anomaly-firing.json")));
    expect(parsed.ok).toBe(true);
  });
});
