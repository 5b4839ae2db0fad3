import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { CanonicalAlert } from "../../functions/shared/alert.js";
import { promptShields } from "../../functions/sources/detectors/prompt-shields.js";
import { sourceByName } from "../../functions/sources/index.js";

// biome-ignore lint/suspicious/noExplicitAny: fixtures are edited freely in tests.
const fixture = (name: string): Record<string, any> =>
  JSON.parse(readFileSync(new URL(`../fixtures/prompt-shields/${name}`, import.meta.url), "utf8"));

beforeAll(() => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(new Date("2026-11-25T00:00:00.000Z"));
});
afterAll(() => vi.useRealTimers());

const receipt = { alertId: "alr_unit0004", receivedAt: "2026-11-25T00:00:00.000Z" };
const normalise = (payload: unknown) => {
  const alerts = promptShields.normalize(promptShields.schema.parse(payload), receipt);
  expect(alerts).toHaveLength(1);
  return CanonicalAlert.parse(alerts[0]);
};
const issues = (payload: unknown) => {
  const result = promptShields.schema.safeParse(payload);
  expect(result.success).toBe(false);
  return (result.error?.issues ?? []).map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`);
};

describe("Azure Prompt Shields → canonical alert", () => {
  it("is POST /alerts/prompt-shields, signed with QUELL_WEBHOOK_SECRET", () => {
    expect(sourceByName("prompt-shields")).toBe(promptShields);
    expect(promptShields.secretName).toBe("QUELL_WEBHOOK_SECRET");
  });

  it("userPromptAnalysis.attackDetected: jailbreak medium", () => {
    expect(normalise(fixture("user-prompt-attack-detected.json"))).toEqual({
      id: "alr_unit0004",
      source: "prompt-shields",
      sourceIds: { requestId: "req_c0e1f2a3b4d5" },
      type: "jailbreak",
      severity: "medium",
      status: "firing",
      title:
        "User prompt attack detected by Azure Prompt Shields for end user aad:5d2f7b1e-8c3a-4f6d-9e0b-1a2c3d4e5f60 in hr-assistant",
      occurredAt: "2026-11-21T10:12:55.010Z",
      receivedAt: "2026-11-25T00:00:00.000Z",
      dedupKey: "prompt-shields:req_c0e1f2a3b4d5",
      entities: [
        { kind: "end_user", id: "aad:5d2f7b1e-8c3a-4f6d-9e0b-1a2c3d4e5f60", provider: "entra_id" },
        { kind: "tenant", id: "contoso-example", provider: "entra_id" },
        { kind: "ip", id: "203.0.113.132" },
        { kind: "guardrail", id: "hr-assistant-cs.cognitiveservices.azure.com", provider: "azure" },
        { kind: "model", id: "azure-openai:gpt-4o-2024-08-06" },
      ],
      tags: { owasp: ["LLM01:2025"], atlas: ["AML.T0054"] },
      details: {
        detector: "prompt-shields",
        app: "hr-assistant",
        principalType: "end_user",
        principalId: "aad:5d2f7b1e-8c3a-4f6d-9e0b-1a2c3d4e5f60",
        principalProvider: "entra_id",
        tenantId: "contoso-example",
        sourceIp: "203.0.113.132",
        requestId: "req_c0e1f2a3b4d5",
        observedAt: "2026-11-21T10:12:55.010Z",
        environment: "prod",
        endpoint:
          "https://hr-assistant-cs.cognitiveservices.azure.com/contentsafety/text:shieldPrompt?api-version=2024-09-01",
        apiVersion: "2024-09-01",
        modelId: "azure-openai:gpt-4o-2024-08-06",
        guardrail: "hr-assistant-cs.cognitiveservices.azure.com",
        userPromptAttackDetected: true,
        documentsAnalysed: 2,
      },
    });
  });

  it("any document attack: prompt_injection high (indirect), with a user attack as secondary jailbreak", () => {
    expect(normalise(fixture("document-attack-detected.json"))).toMatchObject({
      type: "prompt_injection",
      severity: "high",
      title: expect.stringMatching(
        /^Indirect prompt injection in 1 document detected by Azure Prompt Shields/,
      ),
      details: { documentsAttacked: "1", userPromptAttackDetected: false },
    });
    const both = fixture("document-attack-detected.json");
    both.result.userPromptAnalysis.attackDetected = true;
    both.result.documentsAnalysis[0].attackDetected = true;
    expect(normalise(both)).toMatchObject({
      type: "prompt_injection",
      severity: "high",
      details: { documentsAttacked: "0,1", secondary_type: "jailbreak" },
    });
  });

  it("nothing detected: `other` info; documents only is fine", () => {
    expect(normalise(fixture("no-attack-detected.json"))).toMatchObject({ type: "other", severity: "info" });
    const docsOnly = fixture("no-attack-detected.json");
    delete docsOnly.result.userPromptAnalysis;
    expect(normalise(docsOnly)).toMatchObject({ type: "other", severity: "info" });
  });
});

describe("Prompt Shields refusals name the field", () => {
  it("refuses the wrapper without result", () => {
    expect(issues(fixture("bad-result-missing.json"))).toEqual([
      "result: Invalid input: expected object, received undefined",
    ]);
  });

  it("refuses a result with neither analysis, and attackDetected as a string", () => {
    const empty = fixture("user-prompt-attack-detected.json");
    empty.result = {};
    expect(issues(empty)).toEqual([
      "result: needs userPromptAnalysis or documentsAnalysis (the shieldPrompt response, unmodified)",
    ]);
    const text = fixture("user-prompt-attack-detected.json");
    text.result.userPromptAnalysis.attackDetected = "true";
    expect(issues(text)).toEqual([
      "result.userPromptAnalysis.attackDetected: Invalid input: expected boolean, received string",
    ]);
  });

  it("accepts the detector names azure-prompt-shields and prompt-shields, nothing else", () => {
    const body = fixture("user-prompt-attack-detected.json");
    body.detector = "prompt-shields";
    expect(normalise(body).type).toBe("jailbreak");
    body.detector = "llm-guard";
    expect(issues(body)).toEqual([
      'detector: this route takes "azure-prompt-shields" or "prompt-shields" results; post other detectors to their own route',
    ]);
  });
});
