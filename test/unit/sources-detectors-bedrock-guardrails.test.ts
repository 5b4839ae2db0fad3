import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { CanonicalAlert } from "../../functions/shared/alert.js";
import { parseRawJson } from "../../functions/shared/raw-json.js";
import { bedrockGuardrails } from "../../functions/sources/detectors/bedrock-guardrails.js";
import { sourceByName } from "../../functions/sources/index.js";

// biome-ignore lint/suspicious/noExplicitAny: fixtures are edited freely in tests.
const fixture = (name: string): Record<string, any> =>
  JSON.parse(readFileSync(new URL(`../fixtures/bedrock-guardrails/${name}`, import.meta.url), "utf8"));

beforeAll(() => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(new Date("2026-11-25T00:00:00.000Z"));
});
afterAll(() => vi.useRealTimers());

const receipt = { alertId: "alr_unit0002", receivedAt: "2026-11-25T00:00:00.000Z" };
const normalise = (payload: unknown) => {
  const alerts = bedrockGuardrails.normalize(bedrockGuardrails.schema.parse(payload), receipt);
  expect(alerts).toHaveLength(1);
  return CanonicalAlert.parse(alerts[0]);
};
const issues = (payload: unknown) => {
  const result = bedrockGuardrails.schema.safeParse(payload);
  expect(result.success).toBe(false);
  return (result.error?.issues ?? []).map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`);
};
const INTERVENED = "applyguardrail-intervened-prompt-attack-and-pii.json";

describe("Bedrock ApplyGuardrail → canonical alert", () => {
  it("is POST /alerts/bedrock-guardrails, signed with QUELL_WEBHOOK_SECRET", () => {
    expect(sourceByName("bedrock-guardrails")).toBe(bedrockGuardrails);
    expect(bedrockGuardrails.secretName).toBe("QUELL_WEBHOOK_SECRET");
  });

  it("GUARDRAIL_INTERVENED with PROMPT_ATTACK HIGH and EMAIL PII: prompt_injection high, secondary_type label", () => {
    expect(normalise(fixture(INTERVENED))).toEqual({
      id: "alr_unit0002",
      source: "bedrock-guardrails",
      sourceIds: { requestId: "req_9a41c7e2b65f" },
      type: "prompt_injection",
      severity: "high",
      status: "firing",
      title:
        "Prompt attack (confidence HIGH) blocked by Bedrock guardrail q7x2k9m4w1ba v3 for end user usr_d31e77 in support-chat",
      occurredAt: "2026-11-19T14:01:17.904Z",
      receivedAt: "2026-11-25T00:00:00.000Z",
      dedupKey: "bedrock-guardrails:req_9a41c7e2b65f",
      entities: [
        { kind: "end_user", id: "usr_d31e77", provider: "cognito" },
        { kind: "tenant", id: "tn_9377", provider: "cognito" },
        { kind: "ip", id: "203.0.113.78" },
        { kind: "guardrail", id: "q7x2k9m4w1ba", provider: "aws" },
        { kind: "model", id: "anthropic.claude-3-5-sonnet-20240620-v1:0" },
        { kind: "account", id: "111122223333", provider: "aws" },
      ],
      tags: { owasp: ["LLM01:2025"], atlas: ["AML.T0051"] },
      details: {
        detector: "bedrock-guardrails",
        app: "support-chat",
        principalType: "end_user",
        principalId: "usr_d31e77",
        principalProvider: "cognito",
        tenantId: "tn_9377",
        sessionId: "sess_01JD9MZC3T6YH2",
        sourceIp: "203.0.113.78",
        requestId: "req_9a41c7e2b65f",
        observedAt: "2026-11-19T14:01:17.904Z",
        environment: "prod",
        modelId: "anthropic.claude-3-5-sonnet-20240620-v1:0",
        guardrailIdentifier: "q7x2k9m4w1ba",
        guardrailVersion: "3",
        scanDirection: "INPUT",
        operation: "ApplyGuardrail",
        awsAccountId: "111122223333",
        region: "us-east-1",
        guardrail: "q7x2k9m4w1ba",
        secondary_type: "sensitive_data_leak",
        guardrailAction: "GUARDRAIL_INTERVENED",
        actionReason: "Guardrail blocked.",
        contentFilters: "PROMPT_ATTACK",
        sensitiveInformationTypes: "EMAIL",
        promptAttackConfidence: "HIGH",
        promptAttackAction: "BLOCKED",
      },
    });
  });

  it("never copies the matched PII or the guardrail's output text", () => {
    const json = JSON.stringify(normalise(fixture(INTERVENED)));
    expect(json).not.toContain("jane.roe@example.com");
    expect(json).not.toContain("Sorry, I can't help");
  });

  it.each([
    ["MEDIUM", "medium"],
    ["LOW", "low"],
    ["NONE", "low"],
  ])("PROMPT_ATTACK confidence %s → severity %s", (confidence, severity) => {
    const body = fixture(INTERVENED);
    body.result.assessments[0].contentPolicy.filters[0].confidence = confidence;
    expect(normalise(body)).toMatchObject({ type: "prompt_injection", severity });
  });

  it("takes the highest confidence of several prompt-attack filters, and counts detect mode (action NONE)", () => {
    const body = fixture(INTERVENED);
    body.result.action = "NONE";
    body.result.assessments = [
      {
        contentPolicy: {
          filters: [{ type: "PROMPT_ATTACK", confidence: "LOW", action: "NONE", detected: true }],
        },
      },
      {
        contentPolicy: {
          filters: [{ type: "PROMPT_ATTACK", confidence: "MEDIUM", action: "NONE", detected: true }],
        },
      },
    ];
    expect(normalise(body)).toMatchObject({
      type: "prompt_injection",
      severity: "medium",
      title: expect.stringMatching(/^Prompt attack \(confidence MEDIUM\) detected by Bedrock guardrail/),
      details: { promptAttackAction: "NONE", guardrailAction: "NONE" },
    });
    expect(normalise(body).details.secondary_type).toBeUndefined();
  });

  it("PII in OUTPUT without an attack is a sensitive_data_leak, medium", () => {
    expect(normalise(fixture("applyguardrail-output-pii-anonymized.json"))).toMatchObject({
      type: "sensitive_data_leak",
      severity: "medium",
      dedupKey: "bedrock-guardrails:req_51c0a7e3",
      tags: { owasp: ["LLM02:2025"] },
      details: { sensitiveInformationTypes: "CREDIT_DEBIT_CARD_NUMBER", scanDirection: "OUTPUT" },
    });
  });

  it("PII in INPUT only, or a hate filter, is `other` low; nothing detected is `other` info", () => {
    const pii = fixture("applyguardrail-output-pii-anonymized.json");
    pii.context.source = "INPUT";
    expect(normalise(pii)).toMatchObject({ type: "other", severity: "low", tags: { owasp: [], atlas: [] } });
    const hate = fixture(INTERVENED);
    hate.result.assessments[0].contentPolicy.filters[0].type = "HATE";
    expect(normalise(hate)).toMatchObject({
      type: "other",
      severity: "low",
      title: expect.stringContaining("blocked HATE, EMAIL (no AI attack)"),
    });
    expect(normalise(fixture("applyguardrail-none-nothing-detected.json"))).toMatchObject({
      type: "other",
      severity: "info",
      title: "Bedrock guardrail q7x2k9m4w1ba v3 found nothing for end user usr_5a0c19 in support-chat",
      dedupKey: "bedrock-guardrails:req_0c55d1e9a7b2",
    });
  });
});

describe("Bedrock refusals name the field", () => {
  it("refuses the constructor/prototype gadget in principal and result, and pollutes nothing", () => {
    const raw = readFileSync(
      new URL("../fixtures/bedrock-guardrails/bad-constructor-prototype-pollution.json", import.meta.url),
    );
    // Ingest refuses the raw body first (400), naming the first forbidden key and where it is.
    expect(parseRawJson(new Uint8Array(raw))).toEqual({
      ok: false,
      message:
        'forbidden key "constructor" in object at $.principal (prototype-pollution guard: __proto__, constructor and prototype are refused at any depth)',
      issue: {
        path: "principal.constructor",
        message:
          'the key "constructor" is refused anywhere in the body (prototype-pollution guard: __proto__, constructor, prototype)',
      },
    });
    // The schema refuses the same keys too, should a value ever reach it another way.
    expect(issues(fixture("bad-constructor-prototype-pollution.json"))).toEqual([
      'principal.constructor: the key "constructor" is refused anywhere in the body (prototype-pollution guard: __proto__, constructor, prototype)',
      'result.constructor: the key "constructor" is refused anywhere in the body (prototype-pollution guard: __proto__, constructor, prototype)',
    ]);
    const probe = {} as Record<string, unknown>;
    expect([probe.isApprover, probe.dryRun, probe.approvalLevel]).toEqual([undefined, undefined, undefined]);
  });

  it("refuses a missing result, an unknown action and a confidence that is not an enum", () => {
    const missing = fixture(INTERVENED);
    delete missing.result;
    expect(issues(missing)).toEqual(["result: Invalid input: expected object, received undefined"]);
    const wrong = fixture(INTERVENED);
    wrong.result.action = "BLOCKED";
    wrong.result.assessments[0].contentPolicy.filters[0].confidence = 0.9;
    wrong.result.usage.topicPolicyUnits = "1";
    expect(issues(wrong)).toEqual([
      'result.action: Invalid option: expected one of "GUARDRAIL_INTERVENED"|"NONE"',
      'result.assessments.0.contentPolicy.filters.0.confidence: Invalid option: expected one of "NONE"|"LOW"|"MEDIUM"|"HIGH"',
      "result.usage.topicPolicyUnits: Invalid input: expected number, received string",
    ]);
  });

  it("refuses a `detector` naming another detector (misrouting)", () => {
    const body = fixture(INTERVENED);
    body.detector = "lakera-guard";
    expect(issues(body)).toEqual([
      'detector: this route takes "bedrock-guardrails" results; post other detectors to their own route',
    ]);
  });
});
