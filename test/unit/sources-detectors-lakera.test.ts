import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { CanonicalAlert } from "../../functions/shared/alert.js";
import { parseRawJson } from "../../functions/shared/raw-json.js";
import { lakera } from "../../functions/sources/detectors/lakera.js";
import { sourceByName } from "../../functions/sources/index.js";

// biome-ignore lint/suspicious/noExplicitAny: fixtures are edited freely in tests.
const fixture = (name: string): Record<string, any> =>
  JSON.parse(readFileSync(new URL(`../fixtures/lakera/${name}`, import.meta.url), "utf8"));

beforeAll(() => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(new Date("2026-11-25T00:00:00.000Z"));
});
afterAll(() => vi.useRealTimers());

const receipt = { alertId: "alr_unit0003", receivedAt: "2026-11-25T00:00:00.000Z" };
const normalise = (payload: unknown) => {
  const alerts = lakera.normalize(lakera.schema.parse(payload), receipt);
  expect(alerts).toHaveLength(1);
  return CanonicalAlert.parse(alerts[0]);
};
const issues = (payload: unknown) => {
  const result = lakera.schema.safeParse(payload);
  expect(result.success).toBe(false);
  return (result.error?.issues ?? []).map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`);
};
const FLAGGED = "guard-flagged-prompt-attack.json";

describe("Lakera Guard v2 → canonical alert", () => {
  it("is POST /alerts/lakera, signed with QUELL_WEBHOOK_SECRET", () => {
    expect(sourceByName("lakera")).toBe(lakera);
    expect(lakera.secretName).toBe("QUELL_WEBHOOK_SECRET");
  });

  it("flagged prompt_attack: prompt_injection medium, deduplicated by Lakera's request_uuid", () => {
    expect(normalise(fixture(FLAGGED))).toEqual({
      id: "alr_unit0003",
      source: "lakera",
      sourceIds: {
        requestId: "req_3b7e9c21d04a",
        lakeraRequestUuid: "0f6d5c4b-3a29-4e18-9d07-c6b5a4938271",
      },
      type: "prompt_injection",
      severity: "medium",
      status: "firing",
      title: "Prompt attack flagged by Lakera Guard for end user usr_8c41f2 in support-chat",
      occurredAt: "2026-11-19T13:58:41.221Z",
      receivedAt: "2026-11-25T00:00:00.000Z",
      dedupKey: "lakera:0f6d5c4b-3a29-4e18-9d07-c6b5a4938271",
      entities: [
        { kind: "end_user", id: "usr_8c41f2", provider: "cognito" },
        { kind: "tenant", id: "tn_4821", provider: "cognito" },
        { kind: "ip", id: "203.0.113.77" },
        { kind: "guardrail", id: "policy-a2412e48-42eb-4e39-b6d8-8591171d48f2", provider: "lakera" },
        { kind: "model", id: "anthropic.claude-3-5-sonnet-20240620-v1:0" },
      ],
      tags: { owasp: ["LLM01:2025"], atlas: ["AML.T0051"] },
      details: {
        detector: "lakera",
        app: "support-chat",
        principalType: "end_user",
        principalId: "usr_8c41f2",
        principalProvider: "cognito",
        tenantId: "tn_4821",
        sessionId: "sess_01JD9K2M7Q4W8X",
        sourceIp: "203.0.113.77",
        requestId: "req_3b7e9c21d04a",
        observedAt: "2026-11-19T13:58:41.221Z",
        environment: "prod",
        modelId: "anthropic.claude-3-5-sonnet-20240620-v1:0",
        endpoint: "https://api.lakera.ai/v2/guard",
        projectId: "project-7539648934",
        guardrail: "policy-a2412e48-42eb-4e39-b6d8-8591171d48f2",
        flagged: true,
        detectorTypes: "prompt_attack",
        lakeraRequestUuid: "0f6d5c4b-3a29-4e18-9d07-c6b5a4938271",
      },
    });
  });

  it("PII next to a prompt attack is a secondary_type label, not a second case", () => {
    const body = fixture(FLAGGED);
    body.result.breakdown[2].detected = true;
    const alert = normalise(body);
    expect(alert).toMatchObject({
      type: "prompt_injection",
      details: { secondary_type: "sensitive_data_leak", detectorTypes: "pii/email,prompt_attack" },
    });
  });

  it("PII alone is a sensitive_data_leak on output and `other` low on input; moderation is `other` low", () => {
    const pii = fixture(FLAGGED);
    pii.result.breakdown[0].detected = false;
    pii.result.breakdown[2].detected = true;
    expect(normalise(pii)).toMatchObject({ type: "other", severity: "low" });
    pii.context.source = "OUTPUT";
    expect(normalise(pii)).toMatchObject({ type: "sensitive_data_leak", severity: "medium" });
    const hate = fixture(FLAGGED);
    hate.result.breakdown[0].detected = false;
    hate.result.breakdown[1].detected = true;
    expect(normalise(hate)).toMatchObject({
      type: "other",
      severity: "low",
      title: expect.stringMatching(/^Lakera Guard flagged moderated_content\/hate \(no AI attack\)/),
    });
  });

  it("not flagged: `other` info; without request_uuid the dedup key falls back to context.requestId, then a hash", () => {
    const clean = fixture("guard-not-flagged.json");
    expect(normalise(clean)).toMatchObject({
      type: "other",
      severity: "info",
      dedupKey: "lakera:5b2e8f10-7c4d-4a6e-9f31-0d2c4b6a8e57",
    });
    delete clean.result.metadata;
    expect(normalise(clean).dedupKey).toBe("lakera:req_7e01c2aa9d43");
    delete clean.context;
    expect(normalise(clean).dedupKey).toMatch(/^lakera:sha256:[0-9a-f]{64}$/);
    expect(normalise(clean).occurredAt).toBe(receipt.receivedAt);
  });
});

describe("Lakera refusals name the field", () => {
  it("refuses __proto__ at the top and inside breakdown, and pollutes nothing", () => {
    const text = readFileSync(
      new URL("../fixtures/lakera/bad-prototype-pollution-proto-key.json", import.meta.url),
    );
    // Ingest refuses the raw body first (400), naming the first forbidden key and where it is.
    expect(parseRawJson(new Uint8Array(text))).toEqual({
      ok: false,
      message:
        'forbidden key "__proto__" in object at $ (prototype-pollution guard: __proto__, constructor and prototype are refused at any depth)',
      issue: {
        path: "__proto__",
        message:
          'the key "__proto__" is refused anywhere in the body (prototype-pollution guard: __proto__, constructor, prototype)',
      },
    });
    // The schema refuses the same keys too, should a value ever reach it another way.
    expect(issues(JSON.parse(text.toString("utf8")))).toEqual([
      '__proto__: the key "__proto__" is refused anywhere in the body (prototype-pollution guard: __proto__, constructor, prototype)',
      'result.breakdown.0.__proto__: the key "__proto__" is refused anywhere in the body (prototype-pollution guard: __proto__, constructor, prototype)',
    ]);
    const probe = {} as Record<string, unknown>;
    expect([probe.isAdmin, probe.approved, probe.autoApprove, probe.severity]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it("refuses flagged as a string, detected missing and a bad detector_type", () => {
    const body = fixture(FLAGGED);
    body.result.flagged = "true";
    delete body.result.breakdown[0].detected;
    body.result.breakdown[1].detector_type = "Moderated Content";
    expect(issues(body)).toEqual([
      "result.flagged: Invalid input: expected boolean, received string",
      "result.breakdown.0.detected: Invalid input: expected boolean, received undefined",
      "result.breakdown.1.detector_type: must be a Lakera detector type such as prompt_attack or pii/email",
    ]);
  });
});

describe("Lakera with context.messageRoles: a prompt attack in a tool or document message is indirect", () => {
  const IN_TOOL = "guard-flagged-prompt-attack-in-tool-message.json";
  const REVIEW = "s3://support-kb-docs/kb/hotel-reviews/review-0142.html";

  it("prompt_attack on message 2 (tool): prompt_injection high, naming the message and its document", () => {
    const alert = normalise(fixture(IN_TOOL));
    expect(alert).toMatchObject({
      type: "prompt_injection",
      severity: "high",
      title:
        "Indirect prompt injection in a tool message flagged by Lakera Guard for end user usr_8c41f2 in support-chat",
      dedupKey: "lakera:8e3a1f52-6b0d-4c97-a2e4-5d1f0b7c9a36",
      tags: { owasp: ["LLM01:2025"], atlas: ["AML.T0051"] },
    });
    expect(alert.details).toMatchObject({
      messageRoles: "system,user,tool",
      documentRefs: REVIEW,
      documentRefCount: 1,
      attackedMessageIds: "2",
      attackedMessageRoles: "tool",
      poisonedDocument: REVIEW,
      poisonedDocuments: REVIEW,
      detectorTypes: "prompt_attack",
    });
    expect(alert.details).not.toHaveProperty("secondary_type");
  });

  it("the k-th reference belongs to the k-th tool or document message", () => {
    const body = fixture(IN_TOOL);
    body.context.messageRoles = ["system", "document", "user", "assistant", "tool"];
    body.context.documentRefs = ["s3://support-kb-docs/kb/faq/refunds.html", REVIEW];
    body.result.breakdown[0].message_id = 4;
    expect(normalise(body).details).toMatchObject({
      attackedMessageIds: "4",
      attackedMessageRoles: "tool",
      poisonedDocument: REVIEW,
      poisonedDocuments: REVIEW,
    });
    body.result.breakdown[0].message_id = 1;
    expect(normalise(body)).toMatchObject({
      severity: "high",
      title: expect.stringMatching(
        /^Indirect prompt injection in a document message flagged by Lakera Guard/,
      ),
      details: {
        poisonedDocument: "s3://support-kb-docs/kb/faq/refunds.html",
        attackedMessageRoles: "document",
      },
    });
    // Both, and the user too: every attacked message in the facts, the documents in message order.
    body.result.breakdown[1] = { ...body.result.breakdown[0], detector_type: "prompt_attack", message_id: 4 };
    body.result.breakdown[2] = { ...body.result.breakdown[0], detector_type: "prompt_attack", message_id: 2 };
    expect(normalise(body)).toMatchObject({
      severity: "high",
      title: expect.stringMatching(
        /^Indirect prompt injection in 2 document and tool messages flagged by Lakera/,
      ),
      details: {
        attackedMessageIds: "1,2,4",
        attackedMessageRoles: "document,user,tool",
        poisonedDocument: "s3://support-kb-docs/kb/faq/refunds.html",
        poisonedDocuments: `s3://support-kb-docs/kb/faq/refunds.html,${REVIEW}`,
      },
    });
  });

  it("without documentRefs, the role alone makes it indirect; nothing is named", () => {
    const body = fixture(IN_TOOL);
    delete body.context.documentRefs;
    const alert = normalise(body);
    expect(alert).toMatchObject({ type: "prompt_injection", severity: "high" });
    expect(alert.details).not.toHaveProperty("poisonedDocument");
    expect(alert.details).not.toHaveProperty("poisonedDocuments");
  });

  it("a prompt attack on a user message stays a medium prompt attack, with the message named", () => {
    const body = fixture(IN_TOOL);
    body.result.breakdown[0].message_id = 1;
    const alert = normalise(body);
    expect(alert).toMatchObject({
      type: "prompt_injection",
      severity: "medium",
      title: "Prompt attack flagged by Lakera Guard for end user usr_8c41f2 in support-chat",
      details: { attackedMessageIds: "1", attackedMessageRoles: "user", documentRefs: REVIEW },
    });
    expect(alert.details).not.toHaveProperty("poisonedDocument");
    // PII next to it stays a secondary label, on the indirect case too.
    body.result.breakdown[0].message_id = 2;
    body.result.breakdown[2].detected = true;
    expect(normalise(body)).toMatchObject({
      severity: "high",
      details: { secondary_type: "sensitive_data_leak" },
    });
  });

  it("without messageRoles nothing changes: a prompt attack is medium, with no message facts", () => {
    const body = fixture(IN_TOOL);
    delete body.context.messageRoles;
    delete body.context.documentRefs;
    const alert = normalise(body);
    expect(alert).toMatchObject({
      severity: "medium",
      title: expect.stringMatching(/^Prompt attack flagged/),
    });
    for (const key of ["attackedMessageIds", "attackedMessageRoles", "messageRoles", "poisonedDocument"])
      expect(alert.details).not.toHaveProperty(key);
  });

  it("refuses a message_id beyond messageRoles, naming both", () => {
    expect(issues(fixture("bad-message-id-beyond-message-roles.json"))).toEqual([
      "result.breakdown.0.message_id: message_id 3 is beyond context.messageRoles, which has 3 roles (message_id counts from 0): send the role of every message sent to Lakera Guard, in order",
    ]);
    // Any breakdown entry counts, detected or not; the first one beyond is named.
    const body = fixture(IN_TOOL);
    body.context.messageRoles = ["tool"];
    body.result.breakdown[1].message_id = 0;
    body.result.breakdown[0].detected = false;
    expect(issues(body)).toEqual([
      "result.breakdown.0.message_id: message_id 2 is beyond context.messageRoles, which has 1 role (message_id counts from 0): send the role of every message sent to Lakera Guard, in order",
    ]);
  });

  it("refuses documentRefs that are not one per tool or document message, and documentRefs without roles", () => {
    const body = fixture(IN_TOOL);
    body.context.documentRefs = [REVIEW, "s3://support-kb-docs/kb/hotel-reviews/review-0143.html"];
    expect(issues(body)).toEqual([
      "context.documentRefs: context.documentRefs has 2 references but context.messageRoles has 1 tool or document message: send one reference per tool or document message, in the order of the messages",
    ]);
    body.context.messageRoles = ["system", "user"];
    body.result.breakdown.forEach((item: { message_id: number }) => {
      item.message_id = 1;
    });
    expect(issues(body)).toEqual([
      "context.documentRefs: context.documentRefs has 2 references but context.messageRoles has 0 tool or document messages: send one reference per tool or document message, in the order of the messages",
    ]);
    delete body.context.messageRoles;
    expect(issues(body)).toEqual([
      "context.documentRefs: context.documentRefs needs context.messageRoles on this route: the k-th reference belongs to the k-th message whose role is tool or document",
    ]);
  });

  it("refuses unknown roles, more than 500 roles, none, and roles that are not a list", () => {
    const body = fixture(IN_TOOL);
    body.context.messageRoles = ["system", "function", "tool"];
    expect(issues(body)).toEqual([
      "context.messageRoles.1: must be system, developer, user, assistant, tool or document (the role of each message the detector saw)",
    ]);
    body.context.messageRoles = Array.from({ length: 501 }, (_, i) => (i === 2 ? "tool" : "user"));
    expect(issues(body)).toEqual([
      "context.messageRoles: at most 500 message roles (one per message sent to the detector)",
    ]);
    body.context.messageRoles = body.context.messageRoles.slice(0, 500);
    expect(normalise(body).severity).toBe("high");
    body.context.messageRoles = [];
    expect(issues(body)).toEqual([
      "context.messageRoles: send at least one message role, or leave messageRoles out",
    ]);
    body.context.messageRoles = "system,user,tool";
    expect(issues(body)).toEqual(["context.messageRoles: Invalid input: expected array, received string"]);
  });

  it("keeps a reference with Slack mrkdwn verbatim in poisonedDocument", () => {
    const body = fixture(IN_TOOL);
    body.context.documentRefs = ["<!channel> *bold* s3://support-kb-docs/kb/x.html"];
    expect(normalise(body).details.poisonedDocument).toBe("<!channel> *bold* s3://support-kb-docs/kb/x.html");
  });
});
