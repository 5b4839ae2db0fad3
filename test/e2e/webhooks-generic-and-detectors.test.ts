import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../../functions/shared/hash.js";
import { quellSignatureHeaders } from "../../infra/local/signing.js";
import { type Harness, INGEST_ONLY_ROUTE, type IncidentView, SECRETS, startHarness } from "./harness.js";
import { keptRefusals } from "./rejections.js";
import { freshSample, type SignedRoute, sampleBytes } from "./webhook-samples.js";

/** Quell's signature: `v1=<hex HMAC-SHA256 of "<ts>.<raw body>">` with the timestamp in `X-Quell-Timestamp`. */
const quellHeaders = (body: string | Uint8Array, options: { secret?: string; at?: Date } = {}) =>
  quellSignatureHeaders(body, options.secret ?? SECRETS.generic, options.at);

interface Answer {
  status: number;
  body: {
    alertId?: string;
    error?: { code: string; message: string; issues?: { path: string; message: string }[] };
  };
}

const VALID: [SignedRoute, string, { type: string; severity: string; dedupKey: string }][] = [
  [
    "generic",
    "agent-tool-misuse-refund-outside-policy.json",
    {
      type: "agent_tool_misuse",
      severity: "high",
      dedupKey: "generic:agent_tool_misuse:AGT7KQ2M9X:payments/refund:sess_01JDB0N4F6P1RS",
    },
  ],
  [
    "generic",
    "jailbreak-roleplay-repeated-attempts.json",
    {
      type: "jailbreak",
      severity: "medium",
      dedupKey: "generic:jailbreak:hr-assistant:aad:5d2f7b1e-8c3a-4f6d-9e0b-1a2c3d4e5f60",
    },
  ],
  [
    "generic",
    "malicious-model-artifact-unsafe-pickle-in-adapter.json",
    {
      type: "malicious_model_artifact",
      severity: "critical",
      dedupKey:
        "generic:malicious_model_artifact:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    },
  ],
  [
    "generic",
    "model-extraction-embedding-api-probing.json",
    { type: "model_extraction", severity: "medium", dedupKey: "generic:model_extraction:gwk_7a0d3e44" },
  ],
  [
    "generic",
    "model-integrity-change-endpoint-config-swapped.json",
    {
      type: "model_integrity_change",
      severity: "high",
      dedupKey: "generic:model_integrity_change:fraud-scorer-prod:fraud-scorer-cfg-20261123-x",
    },
  ],
  [
    "generic",
    "model-poisoning-training-manifest-hash-mismatch.json",
    {
      type: "model_poisoning",
      severity: "high",
      dedupKey: "generic:model_poisoning:s3://example-ml-datasets/support-ft/v7/",
    },
  ],
  [
    "generic",
    "sensitive-data-leak-card-numbers-in-responses.json",
    {
      type: "sensitive_data_leak",
      severity: "high",
      dedupKey: "generic:sensitive_data_leak:support-chat:usr_f02a9d:2026-11-20T17",
    },
  ],
  [
    "generic",
    "system-prompt-leak-canary-token-in-output.json",
    {
      type: "system_prompt_leak",
      severity: "high",
      dedupKey: "generic:system_prompt_leak:support-chat:system-prompt@v12:cnry_7f3e1d",
    },
  ],
  [
    "generic",
    "unauthorized-model-access-cross-account-opus.json",
    {
      type: "unauthorized_model_access",
      severity: "high",
      dedupKey:
        "generic:unauthorized_model_access:777788889999:ReportingPipeline:anthropic.claude-3-opus-20240229-v1:0",
    },
  ],
  [
    "generic",
    "hostile-sql-and-slack-mrkdwn-injection-in-title.json",
    {
      type: "model_integrity_change",
      severity: "high",
      dedupKey: "generic:model_integrity_change:fraud-scorer-prod:hostile-text-test",
    },
  ],
  [
    "bedrock-guardrails",
    "applyguardrail-intervened-prompt-attack-and-pii.json",
    { type: "prompt_injection", severity: "high", dedupKey: "bedrock-guardrails:req_9a41c7e2b65f" },
  ],
  [
    "bedrock-guardrails",
    "applyguardrail-output-pii-anonymized.json",
    { type: "sensitive_data_leak", severity: "medium", dedupKey: "bedrock-guardrails:req_51c0a7e3" },
  ],
  [
    "bedrock-guardrails",
    "applyguardrail-none-nothing-detected.json",
    { type: "other", severity: "info", dedupKey: "bedrock-guardrails:req_0c55d1e9a7b2" },
  ],
  [
    "lakera",
    "guard-flagged-prompt-attack.json",
    { type: "prompt_injection", severity: "medium", dedupKey: "lakera:0f6d5c4b-3a29-4e18-9d07-c6b5a4938271" },
  ],
  [
    "lakera",
    "guard-not-flagged.json",
    { type: "other", severity: "info", dedupKey: "lakera:5b2e8f10-7c4d-4a6e-9f31-0d2c4b6a8e57" },
  ],
  [
    "prompt-shields",
    "user-prompt-attack-detected.json",
    { type: "jailbreak", severity: "medium", dedupKey: "prompt-shields:req_c0e1f2a3b4d5" },
  ],
  [
    "prompt-shields",
    "document-attack-detected.json",
    { type: "prompt_injection", severity: "high", dedupKey: "prompt-shields:req_c0e1f2a3b4f1" },
  ],
  [
    "prompt-shields",
    "no-attack-detected.json",
    { type: "other", severity: "info", dedupKey: "prompt-shields:req_c0e1f2a3b4e9" },
  ],
  [
    "llm-guard",
    "analyze-prompt-injection-detected.json",
    { type: "prompt_injection", severity: "medium", dedupKey: "llm-guard:req_7d2e4f6a8b0c" },
  ],
  [
    "llm-guard",
    "analyze-prompt-valid.json",
    { type: "other", severity: "info", dedupKey: "llm-guard:req_7d2e4f6a8b1d" },
  ],
];

/**
 * Bad fixtures, sent byte for byte and correctly signed: [route, file, status, code, a path the issues name,
 * what the message says].
 */
const BAD: [SignedRoute, string, 400 | 422, string, string | undefined, string?][] = [
  ["generic", "bad-empty-body.json", 400, "invalid_json", undefined],
  ["generic", "bad-invalid-utf8-bytes.json", 400, "invalid_json", undefined],
  ["generic", "bad-non-json-plain-text.json", 400, "invalid_json", undefined],
  ["generic", "bad-non-json-xml-with-xxe.json", 400, "invalid_json", undefined],
  ["generic", "bad-nan-and-infinity-literals.json", 400, "invalid_json", undefined],
  ["generic", "bad-trailing-garbage-after-json.json", 400, "invalid_json", undefined],
  ["generic", "bad-json-null-literal.json", 422, "invalid_payload", "(root)"],
  ["generic", "bad-top-level-array.json", 422, "invalid_payload", "(root)"],
  ["generic", "bad-missing-required-principal-and-asset.json", 422, "invalid_payload", "principal"],
  ["generic", "bad-severity-number-not-enum.json", 422, "invalid_payload", "severity"],
  ["generic", "bad-unknown-type-enum.json", 422, "invalid_payload", "type"],
  ["generic", "bad-occurredAt-not-a-date.json", 422, "invalid_payload", "occurredAt"],
  ["generic", "bad-occurredAt-far-past-1970.json", 422, "invalid_payload", "occurredAt"],
  ["generic", "bad-sql-injection-in-dedupkey.json", 422, "invalid_payload", "dedupKey"],
  // Prototype-pollution keys are refused by ingest's JSON check, before any schema sees the value.
  [
    "bedrock-guardrails",
    "bad-constructor-prototype-pollution.json",
    400,
    "invalid_json",
    "principal.constructor",
    'forbidden key "constructor" in object at $.principal (prototype-pollution guard',
  ],
  [
    "lakera",
    "bad-prototype-pollution-proto-key.json",
    400,
    "invalid_json",
    "__proto__",
    'forbidden key "__proto__" in object at $ (prototype-pollution guard',
  ],
  ["prompt-shields", "bad-result-missing.json", 422, "invalid_payload", "result"],
  ["llm-guard", "bad-scanner-scores-and-is-valid-as-strings.json", 422, "invalid_payload", "result.is_valid"],
];

const handledTypes = new Set<string>(INGEST_ONLY_ROUTE.match.types);

describe("POST /alerts/generic and the inline-detector routes, end to end", () => {
  let harness: Harness;
  const days = new Set<string>();
  const post = async (route: SignedRoute, body: string | Uint8Array, headers: Record<string, string>) => {
    days.add(new Date().toISOString().slice(0, 10));
    const response = await fetch(`${harness.runtime.url}/alerts/${route}`, { method: "POST", headers, body });
    return { status: response.status, body: (await response.json()) as Answer["body"] };
  };
  const allIncidents = async () =>
    (
      (await (await harness.read("/incidents?limit=200")).json()) as {
        incidents: { id: string; dedupKey: string }[];
      }
    ).incidents;
  const incidentFor = async (dedupKey: string, done: (view: IncidentView) => boolean) => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const found = (await allIncidents()).find((incident) => incident.dedupKey === dedupKey);
      if (found) return harness.incident(found.id, done);
      if (Date.now() > deadline) throw new Error(`no incident for ${dedupKey}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };

  beforeAll(async () => {
    // Each fixture must open its own incident here; fixtures about the same end user would otherwise correlate
    // (correlation is tested in test/unit/triage-pipeline.test.ts and test/e2e/events-aws-sources.test.ts).
    harness = await startHarness({
      dryRun: true,
      triageConfig: { correlation: { entityKinds: [] }, routes: [INGEST_ONLY_ROUTE] },
    });
  });
  afterAll(async () => harness?.stop());

  it("covers types a playbook handles (routed to none here; their playbooks have their own suites) and others", () => {
    const types = VALID.map(([, , expected]) => expected.type);
    expect(types.some((type) => handledTypes.has(type))).toBe(true);
    expect(types.some((type) => type !== "other" && !handledTypes.has(type))).toBe(true);
  });

  it.each(VALID)(
    "%s %s → 202 and an incident of the expected type that starts nothing",
    async (route, name, expected) => {
      const body = freshSample(route, name);
      const answer = await post(route, body, quellHeaders(body));
      expect(answer).toEqual({
        status: 202,
        body: { alertId: expect.stringMatching(/^alr_/), status: "accepted" },
      });

      const reason = expected.type === "other" ? "out_of_scope" : "no_playbook";
      const rule = handledTypes.has(expected.type) ? INGEST_ONLY_ROUTE.id : "default";
      const incident = (await incidentFor(expected.dedupKey, (view) =>
        view.timeline.some((event) => event.kind === "not_started"),
      )) as IncidentView & { type: string; severity: string; alerts: { id: string; title: string }[] };
      expect(incident).toMatchObject({
        status: "no_playbook",
        playbook: null,
        type: expected.type,
        severity: expected.severity,
        alertCount: 1,
      });
      expect(incident.alerts[0]?.id).toBe(answer.body.alertId);
      expect(incident.timeline.map((event) => event.kind)).toEqual(["received", "triaged", "not_started"]);
      expect(incident.timeline.at(-1)).toMatchObject({
        summary: `no playbook started: ${reason}`,
        detail: { reason, rule },
      });
      if (name.startsWith("hostile-")) {
        // Stored verbatim; escaping happens wherever it is rendered.
        expect(incident.alerts[0]?.title).toBe(JSON.parse(body).title);
      }
    },
  );

  it.each([
    ["a stale timestamp (310 s old)", -310, SECRETS.generic, "stale"],
    ["a future-dated timestamp (310 s ahead)", 310, SECRETS.generic, "stale"],
    ["a signature made with another secret", 0, "not-the-secret", "bad_signature"],
  ])("refuses %s with 401", async (_name, skewSeconds, secret, code) => {
    for (const route of ["generic", "lakera"] as const) {
      const name =
        route === "generic" ? "jailbreak-roleplay-repeated-attempts.json" : "guard-not-flagged.json";
      const body = freshSample(route, name);
      const at = new Date(Date.now() + skewSeconds * 1000);
      const answer = await post(route, body, quellHeaders(body, { secret, at }));
      expect(answer.status).toBe(401);
      expect(answer.body.error?.code).toBe(code);
    }
  });

  it("refuses a missing signature, and a body changed after signing, with 401", async () => {
    const body = freshSample("generic", "jailbreak-roleplay-repeated-attempts.json");
    const headers = quellHeaders(body);
    const unsigned = await post("generic", body, { "content-type": "application/json" });
    expect(unsigned).toMatchObject({ status: 401, body: { error: { code: "bad_signature" } } });
    const tampered = await post("generic", body.replace('"medium"', '"info"'), headers);
    expect(tampered).toMatchObject({ status: 401, body: { error: { code: "bad_signature" } } });
  });

  it.each(BAD)("%s %s → %i %s", async (route, name, status, code, path, message) => {
    const body = sampleBytes(route, name);
    const answer = await post(route, body, quellHeaders(body));
    expect(answer.status).toBe(status);
    expect(answer.body.error?.code).toBe(code);
    expect(answer.body.error?.message.length).toBeGreaterThan(10);
    if (path) expect(answer.body.error?.issues?.map((issue) => issue.path)).toContain(path);
    if (message) expect(answer.body.error?.message).toContain(message);
    const probe = {} as Record<string, unknown>;
    expect([probe.isAdmin, probe.approved, probe.autoApprove, probe.isApprover, probe.dryRun]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it("keeps every refusal in GET /rejections, and nothing refused opened an incident", async () => {
    await harness.runtime.idle();
    // 3 auth cases x 2 routes, 2 more auth cases (tallied per reason and minute), and every bad fixture.
    const rejections = await keptRefusals(harness.read, [...days], 8 + BAD.length);
    expect(rejections.filter((rejection) => rejection.status === 401)).toHaveLength(8);
    expect(
      rejections
        .filter((rejection) => rejection.status === 401)
        .every((kept) => kept.kind === "unauthenticated"),
    ).toBe(true);
    for (const [route, name, status, code] of BAD) {
      expect(rejections).toContainEqual(
        expect.objectContaining({
          source: route,
          status,
          code,
          bodySha256: sha256Hex(sampleBytes(route, name)),
        }),
      );
    }
    expect(rejections).toHaveLength(8 + BAD.length);

    const incidents = await allIncidents();
    expect(incidents.map((incident) => incident.dedupKey).sort()).toEqual(
      VALID.map(([, , expected]) => expected.dedupKey).sort(),
    );
    const slack = JSON.stringify(harness.standins.slack.messages);
    for (const raw of ["<!here", "<!channel", "<https://evil", "<@U0123ABCD>"])
      expect(slack).not.toContain(raw);
    const probe = {} as Record<string, unknown>;
    expect([probe.isAdmin, probe.approved, probe.autoApprove, probe.isApprover]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });
});
