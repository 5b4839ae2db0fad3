import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { CanonicalAlert } from "../../functions/shared/alert.js";
import { escapeMrkdwn } from "../../functions/shared/mrkdwn.js";
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

describe("Prompt Shields with context.documentRefs: the poisoned document is named", () => {
  const REFS = [
    "s3://support-kb-docs/kb/faq/cancellation-policy.html",
    "s3://support-kb-docs/kb/hotel-reviews/review-0142.html",
    "s3://support-kb-docs/kb/hotel-reviews/review-0143.html",
  ];
  const WITH_REFS = "document-attack-with-document-refs.json";

  it("documentsAnalysis[i] is documentRefs[i]: title and details name the attacked document", () => {
    const alert = normalise(fixture(WITH_REFS));
    expect(alert).toMatchObject({
      type: "prompt_injection",
      severity: "high",
      title:
        "Indirect prompt injection in document s3://support-kb-docs/kb/hotel-reviews/review-0142.html detected by Azure Prompt Shields for end user usr_8c41f2 in support-chat",
      dedupKey: "prompt-shields:req_c0e1f2a3b5a2",
    });
    expect(alert.details).toMatchObject({
      documentRefs: REFS.join(","),
      documentRefCount: 3,
      documentsAnalysed: 3,
      documentsAttacked: "1",
      poisonedDocument: "s3://support-kb-docs/kb/hotel-reviews/review-0142.html",
      poisonedDocuments: "s3://support-kb-docs/kb/hotel-reviews/review-0142.html",
    });
    // A playbook tests it with isPresent and matches it with `s3://*`: a plain string, one reference.
    expect(typeof alert.details.poisonedDocument).toBe("string");
    // No entity kind fits a document (shared/alert.ts): the entities are the principal's, guardrail's, model's.
    expect(alert.entities.map((entity) => entity.kind)).toEqual(["end_user", "tenant", "guardrail", "model"]);
  });

  it("several attacked documents: the first in the title, all in poisonedDocuments in the documents' order", () => {
    const body = fixture(WITH_REFS);
    body.context.documentRefs = [
      "s3://support-kb-docs/kb/z-last-by-name.html",
      "s3://support-kb-docs/kb/m-middle.html",
      "s3://support-kb-docs/kb/a-first-by-name.html",
    ];
    body.result.documentsAnalysis[0].attackDetected = true;
    body.result.documentsAnalysis[1].attackDetected = false;
    body.result.documentsAnalysis[2].attackDetected = true;
    const alert = normalise(body);
    expect(alert.title).toMatch(
      /^Indirect prompt injection in 2 documents \(first s3:\/\/support-kb-docs\/kb\/z-last-by-name\.html\) detected by Azure Prompt Shields for /,
    );
    expect(alert.details).toMatchObject({
      documentsAttacked: "0,2",
      poisonedDocument: "s3://support-kb-docs/kb/z-last-by-name.html",
      poisonedDocuments:
        "s3://support-kb-docs/kb/z-last-by-name.html,s3://support-kb-docs/kb/a-first-by-name.html",
    });
    // The same document screened twice is named once.
    body.context.documentRefs[2] = body.context.documentRefs[0];
    expect(normalise(body).details.poisonedDocuments).toBe("s3://support-kb-docs/kb/z-last-by-name.html");
  });

  it("without documentRefs nothing changes: indexes only, no poisonedDocument", () => {
    const body = fixture(WITH_REFS);
    delete body.context.documentRefs;
    const alert = normalise(body);
    expect(alert.title).toMatch(
      /^Indirect prompt injection in 1 document detected by Azure Prompt Shields for /,
    );
    expect(alert.details.documentsAttacked).toBe("1");
    for (const key of ["poisonedDocument", "poisonedDocuments", "documentRefs", "documentRefCount"])
      expect(alert.details).not.toHaveProperty(key);
  });

  it("no document attacked: documentRefs are details, nothing is poisoned", () => {
    const body = fixture(WITH_REFS);
    body.result.documentsAnalysis[1].attackDetected = false;
    const alert = normalise(body);
    expect(alert).toMatchObject({ type: "other", severity: "info" });
    expect(alert.details.documentRefs).toBe(REFS.join(","));
    expect(alert.details).not.toHaveProperty("poisonedDocument");
  });

  it("refuses a documentRefs list whose length is not documentsAnalysis' length, saying both counts", () => {
    expect(issues(fixture("bad-document-refs-count-mismatch.json"))).toEqual([
      "context.documentRefs: context.documentRefs has 2 references but result.documentsAnalysis has 3 analyses: send one reference per screened document, in the order sent to shieldPrompt",
    ]);
    const one = fixture(WITH_REFS);
    one.result.documentsAnalysis = [{ attackDetected: true }];
    expect(issues(one)).toEqual([
      "context.documentRefs: context.documentRefs has 3 references but result.documentsAnalysis has 1 analysis: send one reference per screened document, in the order sent to shieldPrompt",
    ]);
    const none = fixture(WITH_REFS);
    delete none.result.documentsAnalysis;
    none.context.documentRefs = [REFS[0]];
    expect(issues(none)).toEqual([
      "context.documentRefs: context.documentRefs has 1 reference but result has no documentsAnalysis: send documentRefs only when documents were sent to shieldPrompt, one reference per document, in that order",
    ]);
  });

  it("refuses hostile references: control and bidi characters, over 1024 characters, over 100, none", () => {
    const hostile = fixture(WITH_REFS);
    hostile.context.documentRefs = [REFS[0], "s3://support-kb-docs/kb/a\nb.html", "s3://kb/\u202Eexe.html"];
    expect(issues(hostile)).toEqual([
      "context.documentRefs.1: contains U+000A at index 25; identifiers must not contain control, bidi or zero-width characters",
      "context.documentRefs.2: contains U+202E at index 8; identifiers must not contain control, bidi or zero-width characters",
    ]);
    const long = fixture(WITH_REFS);
    long.context.documentRefs[2] = `s3://support-kb-docs/kb/${"x".repeat(1001)}`;
    expect(long.context.documentRefs[2]).toHaveLength(1025);
    expect(issues(long)).toEqual([
      "context.documentRefs.2: Too big: expected string to have <=1024 characters",
    ]);
    long.context.documentRefs[2] = long.context.documentRefs[2].slice(0, 1024);
    expect(normalise(long).details.documentRefCount).toBe(3);
    const many = fixture(WITH_REFS);
    many.context.documentRefs = Array.from(
      { length: 101 },
      (_, i) => `s3://support-kb-docs/kb/doc-${i}.html`,
    );
    many.result.documentsAnalysis = many.context.documentRefs.map(() => ({ attackDetected: false }));
    expect(issues(many)).toEqual([
      "context.documentRefs: at most 100 document references (one per screened document)",
      "result.documentsAnalysis: Too big: expected array to have <=100 items",
    ]);
    const empty = fixture(WITH_REFS);
    empty.context.documentRefs = [];
    expect(issues(empty)).toEqual([
      "context.documentRefs: send at least one document reference, or leave documentRefs out",
    ]);
  });

  it("keeps a reference with Slack mrkdwn verbatim as data; cards escape it on display", () => {
    const body = fixture(WITH_REFS);
    const ref = "kb/<!channel> *bold* <https://evil.example|review>.html";
    body.context.documentRefs[1] = ref;
    const alert = normalise(body);
    expect(alert.details.poisonedDocument).toBe(ref);
    expect(alert.title).toContain(`in document ${ref} detected`);
    // What the card shows (slack/cards.ts renders titles and details through escapeMrkdwn).
    const shown = escapeMrkdwn(alert.title, 300);
    expect(shown).toContain("&lt;!channel&gt; *bold* &lt;https://evil.example|review&gt;");
    expect(shown).not.toContain("<!channel>");
    expect(escapeMrkdwn(alert.details.poisonedDocument)).not.toMatch(/[<>]/);
  });

  it("clips a long reference in the title, never in poisonedDocument", () => {
    const body = fixture(WITH_REFS);
    const ref = `s3://support-kb-docs/kb/${"deep/".repeat(190)}review.html`;
    body.context.documentRefs[1] = ref;
    const alert = normalise(body);
    expect(alert.details.poisonedDocument).toBe(ref);
    expect(alert.title).toContain(
      `in document ${ref.slice(0, 119)}… detected by Azure Prompt Shields for end user`,
    );
    expect(alert.title.length).toBeLessThanOrEqual(300);
  });
});
