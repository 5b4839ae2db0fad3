import { describe, expect, it } from "vitest";
import { ValidationError } from "../../functions/shared/errors.js";
import { guardduty } from "../../functions/sources/aws/guardduty.js";
import { eventSourceByName } from "../../functions/sources/index.js";
import {
  assertRobust,
  fixture,
  fixtureText,
  NOW,
  normalise,
  receipt,
  schemaIssues,
  setPath,
} from "../fixtures/aws/support.js";

const ANOMALOUS = "guardduty/ai-anomalous-model-invocation-iamuser-key.json";
const COST = "guardduty/ai-cost-harvesting-same-leaked-key.json";
const PROMPT = "guardduty/ai-prompt-injection-direct-guardrail-intervened.json";
const PORT_PROBE = "guardduty/non-ai-recon-ec2-portprobe-unprotected-port.json";

const only = (event: unknown) => {
  const alerts = normalise(guardduty, event);
  expect(alerts).toHaveLength(1);
  return alerts[0] as NonNullable<(typeof alerts)[0]>;
};

describe("aws.guardduty: GuardDuty Finding → canonical alert", () => {
  it("is registered under its EventBridge source, for its one detail-type", () => {
    expect(eventSourceByName("aws.guardduty")).toBe(guardduty);
    expect(guardduty.detailTypes).toEqual(["GuardDuty Finding"]);
  });

  it("AnomalousModelInvocation by an IAM user key: llmjacking, raised from low to high (R2), firing", () => {
    const alert = only(fixture(ANOMALOUS));
    expect(alert).toMatchObject({
      id: "alr_unit0001",
      source: "aws.guardduty",
      sourceIds: {
        eventId: "8f3a2c1e-6b4d-4e9f-a1c7-2d5e8b0f4a19",
        findingId: "e2c9b8a1f4d3476e9a0b1c2d3e4f5a6b",
        deliveryId: "evt-1",
      },
      type: "llmjacking",
      severity: "high",
      status: "firing",
      occurredAt: "2026-11-18T02:16:03.912Z",
      receivedAt: NOW,
      dedupKey: "guardduty:e2c9b8a1f4d3476e9a0b1c2d3e4f5a6b",
      tags: { owasp: ["LLM10:2025"], atlas: ["AML.T0012"] },
    });
    expect(alert.title).toBe(
      "GuardDuty Impact:IAMUser/AnomalousModelInvocation: Anomalous Amazon Bedrock model invocations were made by IAM user svc-docs-indexer.",
    );
    expect(alert.entities).toEqual([
      { kind: "account", id: "111122223333", provider: "aws" },
      { kind: "access_key", id: "AKIAEXAMPLEQ7N2LLMJK", provider: "aws" },
      { kind: "principal", id: "arn:aws:iam::111122223333:user/svc-docs-indexer", provider: "aws" },
      { kind: "ip", id: "203.0.113.45", provider: "aws" },
      { kind: "model", id: "anthropic.claude-3-5-sonnet-20240620-v1:0", provider: "aws" },
      { kind: "model", id: "anthropic.claude-3-opus-20240229-v1:0", provider: "aws" },
    ]);
    expect(alert.details).toMatchObject({
      findingType: "Impact:IAMUser/AnomalousModelInvocation",
      aiFinding: true,
      guardDutySeverity: 2,
      severityRule: "R2: at least high for an IAM user key",
      accessKeyId: "AKIAEXAMPLEQ7N2LLMJK",
      userName: "svc-docs-indexer",
      userType: "IAMUser",
      remoteIp: "203.0.113.45",
      remoteAsn: "64500",
      api: "InvokeModel",
      count: 41,
      archived: false,
      modelIds: "anthropic.claude-3-5-sonnet-20240620-v1:0,anthropic.claude-3-opus-20240229-v1:0",
    });
  });

  it("CostHarvesting of the same key: llmjacking high, its own finding key, the attack sequence kept", () => {
    const alert = only(fixture(COST));
    expect(alert).toMatchObject({
      type: "llmjacking",
      severity: "high",
      dedupKey: "guardduty:7b1d0e9c3a5f4c28b6e1d4a7f0c93e52",
      details: {
        attackSequenceArn:
          "arn:aws:guardduty:us-east-1:111122223333:detector/5ab4c7e19d2f48a6b0c3e8f71d92a6c4/finding/a9e8d7c6b5a44f3e8d2c1b0a9f8e7d6c",
        api: "InvokeModelWithResponseStream",
        count: 312,
      },
    });
    // GuardDuty updated the finding after creating it (updatedAt > createdAt): a re-publication.
    expect(alert.status).toBe("update");
    expect(alert.entities).toContainEqual({
      kind: "access_key",
      id: "AKIAEXAMPLEQ7N2LLMJK",
      provider: "aws",
    });
  });

  it("PromptInjection.Direct: prompt_injection at least medium, with its guardrail details", () => {
    const alert = only(fixture(PROMPT));
    expect(alert).toMatchObject({
      type: "prompt_injection",
      severity: "medium",
      dedupKey: "guardduty:3f6e1a0b9c8d47e2a5b4c3d2e1f0a9b8",
      tags: { owasp: ["LLM01:2025"], atlas: ["AML.T0051"] },
      details: {
        severityRule: "R2: at least medium for a direct prompt injection",
        guardrailArn: "arn:aws:bedrock:us-east-1:111122223333:guardrail/q7x2k9m4w1ba",
        guardrailId: "q7x2k9m4w1ba",
        guardrailVersion: "3",
        guardrailAction: "GUARDRAIL_INTERVENED",
        guardrailSource: "INPUT",
        contentPolicyFilters: "PROMPT_ATTACK:HIGH:BLOCKED",
        topFilterConfidence: "HIGH",
        userType: "AssumedRole",
      },
    });
    expect(alert.entities).toEqual(
      expect.arrayContaining([
        { kind: "access_key", id: "ASIAEXAMPLEJ4R8PCHAT", provider: "aws" },
        { kind: "principal", id: "arn:aws:iam::111122223333:role/support-chat-app-role", provider: "aws" },
        {
          kind: "guardrail",
          id: "arn:aws:bedrock:us-east-1:111122223333:guardrail/q7x2k9m4w1ba",
          provider: "aws",
        },
      ]),
    );
  });

  it("a non-AI finding (port probe) is `other`, low, without taxonomy tags", () => {
    const alert = only(fixture(PORT_PROBE));
    expect(alert).toMatchObject({
      type: "other",
      severity: "low",
      dedupKey: "guardduty:0d1c2b3a49584766a5b4c3d2e1f00f1e",
      tags: { owasp: [], atlas: [] },
      details: {
        aiFinding: false,
        findingType: "Recon:EC2/PortProbeUnprotectedPort",
        actionType: "PORT_PROBE",
      },
    });
    expect(alert.entities).toContainEqual({ kind: "ip", id: "203.0.113.101", provider: "aws" });
  });

  it.each([
    [1.0, "low"],
    [3.9, "low"],
    [4.0, "medium"],
    [6.9, "medium"],
    [7.0, "high"],
    [8.9, "high"],
    [9.0, "critical"],
    [10, "critical"],
  ])("R1: a non-AI finding of severity %s is %s", (score, severity) => {
    const event = fixture(PORT_PROBE);
    setPath(event, "detail.severity", score);
    expect(only(event).severity).toBe(severity);
  });

  it("R2 floors: medium for a role's anomalous invocations; a GuardDuty severity above the floor wins", () => {
    const roleKey = fixture(ANOMALOUS);
    setPath(roleKey, "detail.resource.accessKeyDetails.userType", "AssumedRole");
    expect(only(roleKey).severity).toBe("medium");
    const root = fixture(COST);
    setPath(root, "detail.resource.accessKeyDetails.userType", "Root");
    expect(only(root)).toMatchObject({
      severity: "high",
      details: { severityRule: "R2: at least high for a root key" },
    });
    const critical = fixture(ANOMALOUS);
    setPath(critical, "detail.severity", 9.5);
    expect(only(critical)).toMatchObject({ severity: "critical", details: { severityRule: null } });
  });

  it("BedrockLoggingDisabled raw from GuardDuty is guardrail_tampering, no floor", () => {
    const event = fixture(ANOMALOUS);
    setPath(event, "detail.type", "DefenseEvasion:IAMUser/BedrockLoggingDisabled");
    setPath(event, "detail.severity", 5);
    expect(only(event)).toMatchObject({ type: "guardrail_tampering", severity: "medium" });
  });

  it("a re-published finding (same id, higher count, updated later) is an update of the same alert", () => {
    const first = only(fixture(ANOMALOUS));
    const again = fixture(ANOMALOUS);
    setPath(again, "id", "0f0e0d0c-6b4d-4e9f-a1c7-2d5e8b0f4a19");
    setPath(again, "detail.service.count", 57);
    setPath(again, "detail.updatedAt", "2026-11-18T02:31:03.000Z");
    const update = only(again);
    expect(update).toMatchObject({ status: "update", dedupKey: first.dedupKey, details: { count: 57 } });
    expect(update.occurredAt).toBe("2026-11-18T02:31:03.000Z");
  });

  it("an archived finding is resolved", () => {
    const event = fixture(ANOMALOUS);
    setPath(event, "detail.service.archived", true);
    expect(only(event)).toMatchObject({ status: "resolved", details: { archived: true } });
  });

  it("reads the deprecated single guardrailArn when guardrails[] is absent", () => {
    const event = fixture(PROMPT);
    setPath(event, "detail.resource.bedrockGuardrailDetails.guardrails", undefined);
    setPath(
      event,
      "detail.resource.bedrockGuardrailDetails.guardrailArn",
      "arn:aws:bedrock:us-east-1:111122223333:guardrail/zz9",
    );
    setPath(event, "detail.resource.bedrockGuardrailDetails.guardrailVersion", "DRAFT");
    expect(only(event).details).toMatchObject({ guardrailId: "zz9", guardrailVersion: "DRAFT" });
  });

  it("bounds and cleans a hostile title; the raw description stays in details, bounded", () => {
    const event = fixture(ANOMALOUS);
    setPath(event, "detail.title", `Hello ${"A".repeat(1000)}`);
    setPath(event, "detail.description", `evil\u202E\u0000${"B".repeat(5000)}`);
    const alert = only(event);
    expect(alert.title.length).toBeLessThanOrEqual(300);
    expect(alert.title.endsWith("…")).toBe(true);
    expect(String(alert.details.description).length).toBeLessThanOrEqual(2048);
    expect(String(alert.details.description).startsWith("evil\u202E\u0000")).toBe(true);
    // Control and bidi characters are refused outright where a title is built from them.
    setPath(event, "detail.title", "Hello \u202Eevil");
    expect(schemaIssues(guardduty, event)).toContainEqual(
      expect.objectContaining({ path: "detail.title", message: expect.stringContaining("bidi") }),
    );
  });
});

describe("aws.guardduty refuses what it cannot trust", () => {
  it("the bad samples: severity, count and archived as strings are type errors, never coerced", () => {
    const issues = schemaIssues(
      guardduty,
      fixture("bad/aws.guardduty--severity-count-archived-as-strings.json"),
    );
    expect(issues.map((issue) => issue.path).sort()).toEqual([
      "detail.service.archived",
      "detail.service.count",
      "detail.severity",
    ]);
    expect(issues.every((issue) => /expected (number|boolean), received string/.test(issue.message))).toBe(
      true,
    );
  });

  it("the bad samples: a finding without id and type", () => {
    const issues = schemaIssues(guardduty, fixture("bad/aws.guardduty--missing-detail-id-and-type.json"));
    expect(issues.map((issue) => issue.path).sort()).toEqual(["detail.id", "detail.type"]);
  });

  it("the bad samples: an envelope without detail", () => {
    const issues = schemaIssues(guardduty, fixture("bad/eventbridge--missing-detail.json"));
    expect(issues).toEqual([{ path: "detail", message: expect.stringContaining("expected object") }]);
  });

  it("the bad samples: truncated JSON never reaches the adapter", () => {
    expect(() => JSON.parse(fixtureText("bad/aws.guardduty--truncated-json.json"))).toThrow(SyntaxError);
  });

  it.each([
    ["detail.type", "Impact IAMUser AnomalousModelInvocation", "detail.type"],
    ["detail.type", "x".repeat(101), "detail.type"],
    ["detail.id", "../../etc/passwd", "detail.id"],
    ["detail.severity", 11, "detail.severity"],
    ["detail.service.count", 1.5, "detail.service.count"],
    ["detail.accountId", "11112222333", "detail.accountId"],
    ["detail.createdAt", "2026-02-31T00:00:00Z", "detail.createdAt"],
    ["detail.updatedAt", "yesterday", "detail.updatedAt"],
    ["time", "1970-01-01T00:00:00Z", "time"],
    ["detail-type", "GuardDuty Findings", "detail-type"],
    [
      "detail.resource.accessKeyDetails.accessKeyId",
      "AKIA EXAMPLE",
      "detail.resource.accessKeyDetails.accessKeyId",
    ],
    [
      "detail.service.action.awsApiCallAction.remoteIpDetails.ipAddressV4",
      "999.1.1.1",
      "detail.service.action.awsApiCallAction.remoteIpDetails.ipAddressV4",
    ],
  ])("%s = %j is refused at %s", (path, value, issuePath) => {
    const event = fixture(ANOMALOUS);
    setPath(event, path, value);
    expect(schemaIssues(guardduty, event).map((issue) => issue.path)).toContain(issuePath);
  });

  it("times more than a day ahead of or a year behind the receipt are refused by normalize, naming them", () => {
    const event = fixture(ANOMALOUS);
    setPath(event, "detail.updatedAt", "2026-11-27T00:00:00Z");
    const parsed = guardduty.schema.parse(event);
    expect(() => guardduty.normalize(parsed, receipt)).toThrow(ValidationError);
    try {
      guardduty.normalize(parsed, receipt);
    } catch (error) {
      expect((error as ValidationError).issues).toEqual([
        {
          path: "detail.updatedAt",
          message: expect.stringContaining("more than 1 day after the receipt time"),
        },
      ]);
    }
    const late = { ...receipt, receivedAt: "2027-11-19T00:00:00.000Z" };
    expect(() => guardduty.normalize(guardduty.schema.parse(fixture(ANOMALOUS)), late)).toThrow(
      /outside the accepted time window/,
    );
    // Inside the window on both sides: accepted.
    expect(
      normalise(guardduty, fixture(ANOMALOUS), { ...receipt, receivedAt: "2026-11-17T03:00:00.000Z" }),
    ).toHaveLength(1);
  });

  it("passes unknown fields through and ignores __proto__ and constructor keys", () => {
    const event = JSON.parse(
      fixtureText(ANOMALOUS).replace(
        '"schemaVersion": "2.0",',
        '"schemaVersion": "2.0", "__proto__": {"polluted": true}, "constructor": {"prototype": {"isAdmin": true}}, "futureField": 1,',
      ),
    );
    const parsed = guardduty.schema.parse(event) as { detail: Record<string, unknown> };
    expect(parsed.detail.futureField).toBe(1);
    expect(only(event).type).toBe("llmjacking");
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });

  it("property: mutated findings give canonical alerts or a schema refusal, nothing else", async () => {
    const tally = await assertRobust(guardduty, [ANOMALOUS, COST, PROMPT, PORT_PROBE]);
    expect(tally.accepted + tally.refused + tally.outOfWindow).toBe(300);
    expect(tally.refused).toBeGreaterThan(0);
    expect(tally.accepted).toBeGreaterThan(0);
  });

  it("names the SageMaker endpoint a call touched (affectedResources) as details.assetId, by its ARN", () => {
    const event = fixture(ANOMALOUS);
    setPath(event, "detail.service.action.awsApiCallAction.affectedResources", {
      "AWS::SageMaker::Endpoint": "Support-Chat-Ranker",
    });
    const [alert] = normalise(guardduty, event);
    expect(alert?.details.assetId).toBe(
      "arn:aws:sagemaker:us-east-1:111122223333:endpoint/support-chat-ranker",
    );
    const none = normalise(guardduty, fixture(ANOMALOUS))[0];
    expect(none?.details.assetId).toBeUndefined();
  });
});
