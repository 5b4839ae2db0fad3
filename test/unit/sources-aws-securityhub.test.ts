import { describe, expect, it } from "vitest";
import { guardduty } from "../../functions/sources/aws/guardduty.js";
import { guardDutyTypeOfAsff, securityhub } from "../../functions/sources/aws/securityhub.js";
import { eventSourceByName } from "../../functions/sources/index.js";
import { assertRobust, fixture, normalise, schemaIssues, setPath } from "../fixtures/aws/support.js";

const ASFF = "securityhub/asff-guardduty-bedrock-invocation-logging-disabled.json";
const OCSF = "securityhub/ocsf-v2-guardduty-anomalous-sagemaker-invocation.json";

type Finding = Record<string, unknown>;
const asffFinding = (event: Record<string, unknown>): Finding =>
  (event.detail as { findings: Finding[] }).findings[0] as Finding;

/** An ASFF control failure (Security Hub CSPM) on a Bedrock AgentCore runtime. */
function controlFailure(): Record<string, unknown> {
  const event = fixture(ASFF);
  const id =
    "arn:aws:securityhub:us-east-1:111122223333:security-control/BedrockAgentCore.1/finding/5d1c0b9a-8e7f-4a6b-9c5d-4e3f2a1b0c9d";
  (event.detail as { findings: Finding[] }).findings = [
    {
      SchemaVersion: "2018-10-08",
      Id: id,
      ProductArn: "arn:aws:securityhub:us-east-1::product/aws/securityhub",
      ProductName: "Security Hub",
      GeneratorId: "security-control/BedrockAgentCore.1",
      AwsAccountId: "111122223333",
      Region: "us-east-1",
      Types: ["Software and Configuration Checks/Industry and Regulatory Standards"],
      CreatedAt: "2026-10-01T00:00:00.000Z",
      UpdatedAt: "2026-11-20T10:00:00.000Z",
      Severity: { Label: "HIGH", Normalized: 70 },
      Title: "Bedrock AgentCore runtimes should be configured to use a VPC",
      Description: "This control checks whether an AgentCore runtime runs in a VPC.",
      Resources: [
        {
          Type: "Other",
          Id: "arn:aws:bedrock-agentcore:us-east-1:111122223333:runtime/support-agent-7Qx2",
          Partition: "aws",
          Region: "us-east-1",
        },
      ],
      Compliance: { Status: "FAILED", SecurityControlId: "BedrockAgentCore.1" },
      Workflow: { Status: "NEW" },
      RecordState: "ACTIVE",
    },
  ];
  return event;
}

describe("aws.securityhub: ASFF (Security Hub Findings - Imported)", () => {
  it("is registered for both detail-types", () => {
    expect(eventSourceByName("aws.securityhub")).toBe(securityhub);
    expect(securityhub.detailTypes).toEqual(["Security Hub Findings - Imported", "Findings Imported V2"]);
  });

  it("GuardDuty BedrockLoggingDisabled via Security Hub: guardrail_tampering, medium (Label), keyed by the GuardDuty finding id", () => {
    const [alert, ...rest] = normalise(securityhub, fixture(ASFF));
    expect(rest).toEqual([]);
    expect(alert).toMatchObject({
      id: "alr_unit0001",
      source: "aws.securityhub",
      type: "guardrail_tampering",
      severity: "medium",
      status: "firing",
      dedupKey: "guardduty:b81f5c2d0e7a4936a8c1d5e9f2b0c7a4",
      occurredAt: "2026-11-18T02:44:09.731Z",
      sourceIds: { findingId: "b81f5c2d0e7a4936a8c1d5e9f2b0c7a4" },
      details: {
        format: "asff",
        product: "GuardDuty",
        findingType: "DefenseEvasion:IAMUser/BedrockLoggingDisabled",
        asffSeverityLabel: "MEDIUM",
        severityRule: null,
        api: "DeleteModelInvocationLoggingConfiguration",
        remoteIp: "203.0.113.45",
        principalType: "IAMUser",
        count: 1,
        posture: false,
      },
    });
    expect(alert?.entities).toEqual([
      { kind: "account", id: "111122223333", provider: "aws" },
      { kind: "access_key", id: "AKIAEXAMPLEM3D8LOGX2", provider: "aws" },
      { kind: "principal", id: "arn:aws:iam::111122223333:user/contractor-llm-eval", provider: "aws" },
      { kind: "ip", id: "203.0.113.45", provider: "aws" },
    ]);
  });

  it("R4: the Security Hub copy of a GuardDuty finding has the raw finding's dedup key", () => {
    const raw = fixture("guardduty/ai-anomalous-model-invocation-iamuser-key.json");
    setPath(raw, "detail.id", "b81f5c2d0e7a4936a8c1d5e9f2b0c7a4");
    setPath(raw, "detail.type", "DefenseEvasion:IAMUser/BedrockLoggingDisabled");
    const [fromGuardDuty] = normalise(guardduty, raw);
    const [fromSecurityHub] = normalise(securityhub, fixture(ASFF));
    expect(fromSecurityHub?.dedupKey).toBe(fromGuardDuty?.dedupKey);
    expect(fromSecurityHub?.type).toBe(fromGuardDuty?.type);
  });

  it("R2 applies to ASFF copies too: AnomalousModelInvocation LOW by an IAM user is high", () => {
    const event = fixture(ASFF);
    const finding = asffFinding(event);
    finding.Types = ["TTPs/Impact/Impact:IAMUser-AnomalousModelInvocation"];
    finding.Severity = { Label: "LOW", Normalized: 20 };
    const [alert] = normalise(securityhub, event);
    expect(alert).toMatchObject({
      type: "llmjacking",
      severity: "high",
      details: { severityRule: "R2: at least high for an IAM user key" },
    });
  });

  it("reads the GuardDuty type from the last segment of Types", () => {
    expect(guardDutyTypeOfAsff(["TTPs/Defense Evasion/DefenseEvasion:IAMUser-BedrockLoggingDisabled"])).toBe(
      "DefenseEvasion:IAMUser/BedrockLoggingDisabled",
    );
    expect(guardDutyTypeOfAsff(["TTPs/Impact/Impact:IAMUser-PromptInjection.Direct"])).toBe(
      "Impact:IAMUser/PromptInjection.Direct",
    );
    expect(guardDutyTypeOfAsff(["Software and Configuration Checks"])).toBeUndefined();
  });

  it.each([
    ["INFORMATIONAL", "info"],
    ["LOW", "low"],
    ["MEDIUM", "medium"],
    ["HIGH", "high"],
    ["CRITICAL", "critical"],
  ])("R1: Label %s is %s (Normalized ignored when Label is present)", (label, severity) => {
    const event = fixture(ASFF);
    asffFinding(event).Severity = { Label: label, Normalized: 99 };
    expect(normalise(securityhub, event)[0]?.severity).toBe(severity);
  });

  it("falls back to the deprecated Normalized only without Label", () => {
    const event = fixture(ASFF);
    asffFinding(event).Severity = { Normalized: 75 };
    expect(normalise(securityhub, event)[0]?.severity).toBe("high");
  });

  it("several findings in one event become several alerts with their own ids", () => {
    const event = fixture(ASFF);
    const findings = (event.detail as { findings: Finding[] }).findings;
    const second = controlFailure();
    findings.push(asffFinding(second));
    const alerts = normalise(securityhub, event);
    expect(alerts.map((alert) => alert.id)).toEqual(["alr_unit0001", "alr_unit0001.1"]);
    expect(alerts.map((alert) => alert.dedupKey)).toEqual([
      "guardduty:b81f5c2d0e7a4936a8c1d5e9f2b0c7a4",
      `securityhub:${asffFinding(second).Id}`,
    ]);
  });

  it("a control failure on an AI resource is `other`, marked AI posture, keyed by its ASFF Id", () => {
    const [alert] = normalise(securityhub, controlFailure());
    expect(alert).toMatchObject({
      type: "other",
      severity: "high",
      status: "update",
      dedupKey:
        "securityhub:arn:aws:securityhub:us-east-1:111122223333:security-control/BedrockAgentCore.1/finding/5d1c0b9a-8e7f-4a6b-9c5d-4e3f2a1b0c9d",
      tags: { owasp: [], atlas: [] },
      details: {
        posture: true,
        aiPosture: true,
        controlId: "BedrockAgentCore.1",
        complianceStatus: "FAILED",
      },
    });
    expect(alert?.title).toBe("Security Hub: Bedrock AgentCore runtimes should be configured to use a VPC");
  });

  it("a passed control, an archived record or a resolved workflow resolves", () => {
    const passed = controlFailure();
    (asffFinding(passed).Compliance as Finding).Status = "PASSED";
    expect(normalise(securityhub, passed)[0]?.status).toBe("resolved");
    const archived = fixture(ASFF);
    asffFinding(archived).RecordState = "ARCHIVED";
    expect(normalise(securityhub, archived)[0]?.status).toBe("resolved");
    const resolved = fixture(ASFF);
    asffFinding(resolved).Workflow = { Status: "RESOLVED" };
    expect(normalise(securityhub, resolved)[0]?.status).toBe("resolved");
  });

  it("a later import of the same GuardDuty finding is an update with the same key", () => {
    const event = fixture(ASFF);
    asffFinding(event).UpdatedAt = "2026-11-18T03:44:09.731Z";
    (asffFinding(event).ProductFields as Record<string, string>)["aws/guardduty/service/count"] = "4";
    const [alert] = normalise(securityhub, event);
    expect(alert).toMatchObject({
      status: "update",
      dedupKey: "guardduty:b81f5c2d0e7a4936a8c1d5e9f2b0c7a4",
      details: { count: 4 },
    });
  });
});

describe("aws.securityhub: OCSF (Findings Imported V2)", () => {
  it("GuardDuty AnomalousModelInvocation on SageMaker: llmjacking, Low raised to high (R2), keyed by uid_alt", () => {
    const [alert, ...rest] = normalise(securityhub, fixture(OCSF));
    expect(rest).toEqual([]);
    expect(alert).toMatchObject({
      type: "llmjacking",
      severity: "high",
      status: "firing",
      dedupKey: "guardduty:4a3b2c1d0e9f48a7b6c5d4e3f2a1b0c9",
      occurredAt: "2026-11-19T11:20:05.118Z",
      details: {
        format: "ocsf",
        classUid: 2004,
        severityId: 2,
        severityRule: "R2: at least high for an IAM user key",
        findingType: "Impact:IAMUser/AnomalousModelInvocation",
        api: "InvokeEndpoint",
        apiServiceName: "sagemaker.amazonaws.com",
        count: 58,
        // The endpoint it names, as the ARN the inventory and the rollback-model playbook know it by.
        assetId: "arn:aws:sagemaker:us-east-1:111122223333:endpoint/llama3-8b-chat-prod",
      },
    });
    expect(alert?.entities).toEqual([
      { kind: "account", id: "111122223333", provider: "aws" },
      { kind: "access_key", id: "AKIAEXAMPLEX5C1EVAL9", provider: "aws" },
      { kind: "principal", id: "arn:aws:iam::111122223333:user/ci-eval-runner", provider: "aws" },
      { kind: "ip", id: "203.0.113.88", provider: "aws" },
      { kind: "model", id: "llama3-8b-chat-prod", provider: "aws" },
    ]);
  });

  it.each([
    [1, "info"],
    [3, "medium"],
    [4, "high"],
    [5, "critical"],
    [6, "critical"],
    [0, "medium"],
    [99, "medium"],
  ])("R1: severity_id %s is %s for a non-AI finding", (severityId, severity) => {
    const event = fixture(OCSF);
    const finding = (event.detail as { findings: Finding[] }).findings[0] as Finding;
    (finding.finding_info as Finding).types = ["Recon:EC2/PortProbeUnprotectedPort"];
    finding.severity_id = severityId;
    expect(normalise(securityhub, event)[0]).toMatchObject({ type: "other", severity });
  });

  it("status_id Resolved or activity Close resolves; activity Update is an update", () => {
    const resolved = fixture(OCSF);
    setPath(resolved, "detail.findings.0.status_id", 4);
    expect(normalise(securityhub, resolved)[0]?.status).toBe("resolved");
    const closed = fixture(OCSF);
    setPath(closed, "detail.findings.0.activity_id", 3);
    expect(normalise(securityhub, closed)[0]?.status).toBe("resolved");
    const updated = fixture(OCSF);
    setPath(updated, "detail.findings.0.activity_id", 2);
    expect(normalise(securityhub, updated)[0]?.status).toBe("update");
  });

  it("without uid_alt, the finding id comes from the finding ARN", () => {
    const event = fixture(OCSF);
    setPath(event, "detail.findings.0.finding_info.uid_alt", undefined);
    expect(normalise(securityhub, event)[0]?.dedupKey).toBe("guardduty:4a3b2c1d0e9f48a7b6c5d4e3f2a1b0c9");
  });
});

describe("aws.securityhub refuses what it cannot trust", () => {
  it("the bad samples: an empty findings array", () => {
    expect(schemaIssues(securityhub, fixture("bad/aws.securityhub--findings-empty-array.json"))).toEqual([
      { path: "detail.findings", message: expect.stringContaining(">=1 items") },
    ]);
  });

  it("the bad samples: findings as an object", () => {
    expect(
      schemaIssues(securityhub, fixture("bad/aws.securityhub--findings-is-object-not-array.json")),
    ).toEqual([
      { path: "detail.findings", message: expect.stringContaining("expected array, received object") },
    ]);
  });

  it.each([
    [ASFF, "detail.findings.0.Severity", { Label: "SEVERE" }, "detail.findings.0.Severity.Label"],
    [ASFF, "detail.findings.0.Severity", "MEDIUM", "detail.findings.0.Severity"],
    [ASFF, "detail.findings.0.Severity", {}, "detail.findings.0.Severity"],
    [ASFF, "detail.findings.0.Id", undefined, "detail.findings.0.Id"],
    [ASFF, "detail.findings.0.UpdatedAt", "2099-13-01T00:00:00Z", "detail.findings.0.UpdatedAt"],
    [ASFF, "detail.findings.0.Resources", [], "detail.findings.0.Resources"],
    [ASFF, "detail.findings.0.ProductFields", { count: 1 }, "detail.findings.0.ProductFields.count"],
    [ASFF, "detail.findings.0.Title", "x".repeat(257), "detail.findings.0.Title"],
    [OCSF, "detail.findings.0.severity_id", "2", "detail.findings.0.severity_id"],
    [OCSF, "detail.findings.0.severity_id", 7, "detail.findings.0.severity_id"],
    [OCSF, "detail.findings.0.time", 0, "detail.findings.0.time"],
    [OCSF, "detail.findings.0.finding_info.uid", undefined, "detail.findings.0.finding_info.uid"],
    [OCSF, "detail.findings.0.cloud.account.uid", "1111", "detail.findings.0.cloud.account.uid"],
    [OCSF, "detail-type", "Findings Imported V3", "detail-type"],
  ])("%s: %s = %j is refused at %s", (name, path, value, issuePath) => {
    const event = fixture(name);
    setPath(event, path, value);
    expect(schemaIssues(securityhub, event).map((issue) => issue.path)).toContain(issuePath);
  });

  it("times outside the window are refused by normalize", () => {
    const event = fixture(OCSF);
    setPath(event, "detail.findings.0.time", Date.parse("2027-01-01T00:00:00Z"));
    expect(() => normalise(securityhub, event)).toThrow(/outside the accepted time window/);
  });

  it("property: mutated findings give canonical alerts or a schema refusal, nothing else", async () => {
    const tally = await assertRobust(securityhub, [ASFF, OCSF]);
    expect(tally.refused).toBeGreaterThan(0);
    expect(tally.accepted).toBeGreaterThan(0);
  });

  it("names no asset when a finding names two different SageMaker endpoints (which one would be rolled back?)", () => {
    const raw = fixture(OCSF);
    const findings = (raw.detail as { findings: { resources?: unknown[] }[] }).findings;
    const finding = findings[0] as { resources?: unknown[] };
    finding.resources = [
      ...(finding.resources ?? []),
      {
        type: "AWS::SageMaker::Endpoint",
        uid: "arn:aws:sagemaker:us-east-1:111122223333:endpoint/other-endpoint",
      },
    ];
    const [alert] = normalise(securityhub, raw);
    expect(alert?.details.assetId).toBeUndefined();
  });
});
