import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { CanonicalAlert } from "../../functions/shared/alert.js";
import { llmGuard } from "../../functions/sources/detectors/llm-guard.js";
import { sourceByName } from "../../functions/sources/index.js";

// biome-ignore lint/suspicious/noExplicitAny: fixtures are edited freely in tests.
const fixture = (name: string): Record<string, any> =>
  JSON.parse(readFileSync(new URL(`../fixtures/llm-guard/${name}`, import.meta.url), "utf8"));

beforeAll(() => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(new Date("2026-11-25T00:00:00.000Z"));
});
afterAll(() => vi.useRealTimers());

const receipt = { alertId: "alr_unit0005", receivedAt: "2026-11-25T00:00:00.000Z" };
const normalise = (payload: unknown) => {
  const alerts = llmGuard.normalize(llmGuard.schema.parse(payload), receipt);
  expect(alerts).toHaveLength(1);
  return CanonicalAlert.parse(alerts[0]);
};
const issues = (payload: unknown) => {
  const result = llmGuard.schema.safeParse(payload);
  expect(result.success).toBe(false);
  return (result.error?.issues ?? []).map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`);
};
const DETECTED = "analyze-prompt-injection-detected.json";

describe("LLM Guard /analyze → canonical alert", () => {
  it("is POST /alerts/llm-guard, signed with QUELL_WEBHOOK_SECRET", () => {
    expect(sourceByName("llm-guard")).toBe(llmGuard);
    expect(llmGuard.secretName).toBe("QUELL_WEBHOOK_SECRET");
  });

  it("is_valid false with PromptInjection: prompt_injection medium", () => {
    expect(normalise(fixture(DETECTED))).toEqual({
      id: "alr_unit0005",
      source: "llm-guard",
      sourceIds: { requestId: "req_7d2e4f6a8b0c" },
      type: "prompt_injection",
      severity: "medium",
      status: "firing",
      title:
        "Prompt injection (score 1) flagged by LLM Guard for end user okta:00u8x2k4m9QrT5vW3h7 in code-review-bot",
      occurredAt: "2026-11-22T16:31:09.447Z",
      receivedAt: "2026-11-25T00:00:00.000Z",
      dedupKey: "llm-guard:req_7d2e4f6a8b0c",
      entities: [
        { kind: "end_user", id: "okta:00u8x2k4m9QrT5vW3h7", provider: "okta" },
        { kind: "ip", id: "203.0.113.140" },
        { kind: "guardrail", id: "llm-guard.internal.example.com", provider: "llm-guard" },
      ],
      tags: { owasp: ["LLM01:2025"], atlas: ["AML.T0051"] },
      details: {
        detector: "llm-guard",
        app: "code-review-bot",
        principalType: "end_user",
        principalId: "okta:00u8x2k4m9QrT5vW3h7",
        principalProvider: "okta",
        sourceIp: "203.0.113.140",
        requestId: "req_7d2e4f6a8b0c",
        observedAt: "2026-11-22T16:31:09.447Z",
        environment: "prod",
        endpoint: "http://llm-guard.internal.example.com:8000/analyze/prompt",
        scanMode: "prompt",
        llmGuardVersion: "0.3.16",
        guardrail: "llm-guard.internal.example.com",
        isValid: false,
        scannersFlagged: "PromptInjection",
        promptInjectionScore: 1,
        sanitizedLength: 147,
      },
    });
  });

  it("never copies the sanitized prompt", () => {
    expect(JSON.stringify(normalise(fixture(DETECTED)))).not.toContain("ignore all previous instructions");
  });

  it("secrets next to an injection are a secondary_type; sensitive output alone is a sensitive_data_leak", () => {
    const both = fixture(DETECTED);
    both.result.scanners.Secrets = 1;
    expect(normalise(both)).toMatchObject({
      type: "prompt_injection",
      details: { secondary_type: "sensitive_data_leak", scannersFlagged: "PromptInjection,Secrets" },
    });
    const output = fixture(DETECTED);
    output.context.scanMode = "output";
    output.result = {
      is_valid: false,
      scanners: { Sensitive: 0.8, Toxicity: 0 },
      sanitized_output: "[REDACTED]",
    };
    expect(normalise(output)).toMatchObject({ type: "sensitive_data_leak", severity: "medium" });
    delete output.context.scanMode;
    expect(normalise(output)).toMatchObject({ type: "sensitive_data_leak", details: { scanMode: "output" } });
  });

  it("is_valid false for toxicity only is `other` low; is_valid true is `other` info", () => {
    const toxic = fixture(DETECTED);
    toxic.result.scanners = { PromptInjection: 0, Toxicity: 0.7 };
    expect(normalise(toxic)).toMatchObject({
      type: "other",
      severity: "low",
      title: expect.stringMatching(/^LLM Guard rejected Toxicity \(no AI attack\)/),
    });
    expect(normalise(fixture("analyze-prompt-valid.json"))).toMatchObject({
      type: "other",
      severity: "info",
      dedupKey: "llm-guard:req_7d2e4f6a8b1d",
      details: { isValid: true },
    });
  });
});

describe("LLM Guard refusals name the field", () => {
  it("refuses is_valid and scores as strings: never coerced", () => {
    expect(issues(fixture("bad-scanner-scores-and-is-valid-as-strings.json"))).toEqual([
      "result.is_valid: Invalid input: expected boolean, received string",
      "result.scanners.PromptInjection: Invalid input: expected number, received string",
      "result.scanners.Toxicity: Invalid input: expected number, received string",
    ]);
  });

  it("refuses scores outside [-1, 1] and scanners missing", () => {
    const body = fixture(DETECTED);
    body.result.scanners.PromptInjection = 7;
    expect(issues(body)).toEqual(["result.scanners.PromptInjection: Too big: expected number to be <=1"]);
    delete body.result.scanners;
    expect(issues(body)).toEqual(["result.scanners: Invalid input: expected record, received undefined"]);
  });
});
