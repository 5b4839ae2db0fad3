import { describe, expect, it } from "vitest";
import { ValidationError } from "../../functions/shared/errors.js";
import { cloudwatch, isBedrockTokenMetric } from "../../functions/sources/aws/cloudwatch.js";
import { eventSourceByName } from "../../functions/sources/index.js";
import { assertRobust, fixture, normalise, receipt, schemaIssues, setPath } from "../fixtures/aws/support.js";

const ALARM = "cloudwatch/bedrock-token-spend-alarm.json";
const OK = "cloudwatch/bedrock-token-spend-alarm-ok.json";
const ARN = "arn:aws:cloudwatch:us-east-1:111122223333:alarm:bedrock-prod-claude35-input-tokens-5m-high";

const only = (event: unknown) => {
  const alerts = normalise(cloudwatch, event);
  expect(alerts).toHaveLength(1);
  return alerts[0] as NonNullable<(typeof alerts)[0]>;
};

describe("aws.cloudwatch: CloudWatch Alarm State Change → canonical alert", () => {
  it("is registered under its EventBridge source", () => {
    expect(eventSourceByName("aws.cloudwatch")).toBe(cloudwatch);
    expect(cloudwatch.detailTypes).toEqual(["CloudWatch Alarm State Change"]);
  });

  it("ALARM on AWS/Bedrock InputTokenCount: token_spend_anomaly, medium without a severity tag, firing", () => {
    const alert = only(fixture(ALARM));
    expect(alert).toMatchObject({
      source: "aws.cloudwatch",
      type: "token_spend_anomaly",
      severity: "medium",
      status: "firing",
      dedupKey: `cloudwatch:${ARN}`,
      occurredAt: "2026-11-18T02:15:41.220Z",
      title: "Bedrock token spend: CloudWatch alarm bedrock-prod-claude35-input-tokens-5m-high is ALARM",
      sourceIds: { alarmArn: ARN, stateTimestamp: "2026-11-18T02:15:41.220+0000" },
      details: {
        alarmName: "bedrock-prod-claude35-input-tokens-5m-high",
        alarmArn: ARN,
        state: "ALARM",
        previousState: "OK",
        metricNamespace: "AWS/Bedrock",
        metricName: "InputTokenCount",
        modelId: "anthropic.claude-3-5-sonnet-20240620-v1:0",
        severityTag: null,
      },
    });
    expect(alert.entities).toEqual([
      { kind: "account", id: "111122223333", provider: "aws" },
      { kind: "model", id: "anthropic.claude-3-5-sonnet-20240620-v1:0", provider: "aws" },
    ]);
  });

  it("OK resolves the same alarm's alert (same dedup key)", () => {
    const alert = only(fixture(OK));
    expect(alert).toMatchObject({
      type: "token_spend_anomaly",
      status: "resolved",
      dedupKey: `cloudwatch:${ARN}`,
      details: { state: "OK", previousState: "ALARM" },
    });
  });

  it("INSUFFICIENT_DATA only annotates: an update", () => {
    const event = fixture(ALARM);
    setPath(event, "detail.state.value", "INSUFFICIENT_DATA");
    expect(only(event)).toMatchObject({ status: "update", dedupKey: `cloudwatch:${ARN}` });
  });

  it.each([
    ["critical", "critical"],
    ["High", "high"],
    ["warning", "medium"],
    ["low", "low"],
    ["info", "info"],
    ["sev-unknown", "medium"],
  ])("R1: alarm tag severity=%s is %s", (tag, severity) => {
    const event = fixture(ALARM);
    setPath(event, "detail.alarmTags", { severity: tag, app: "support-chat" });
    expect(only(event)).toMatchObject({ severity, details: { severityTag: tag, app: "support-chat" } });
  });

  it("an alarm on another metric is `other`", () => {
    const event = fixture(ALARM);
    setPath(event, "detail.configuration.metrics.0.metricStat.metric.namespace", "AWS/EC2");
    setPath(event, "detail.configuration.metrics.0.metricStat.metric.name", "CPUUtilization");
    expect(only(event)).toMatchObject({
      type: "other",
      title: "CloudWatch alarm bedrock-prod-claude35-input-tokens-5m-high is ALARM",
    });
    const invocations = fixture(ALARM);
    setPath(invocations, "detail.configuration.metrics.0.metricStat.metric.name", "Invocations");
    expect(only(invocations).type).toBe("other");
  });

  it("knows the Bedrock token metrics", () => {
    for (const name of [
      "InputTokenCount",
      "OutputTokenCount",
      "CacheReadInputTokenCount",
      "EstimatedTPMQuotaUsage",
    ])
      expect(isBedrockTokenMetric("AWS/Bedrock", name)).toBe(true);
    expect(isBedrockTokenMetric("AWS/Bedrock", "InvocationLatency")).toBe(false);
    expect(isBedrockTokenMetric("Custom/Bedrock", "InputTokenCount")).toBe(false);
  });

  it("a composite alarm (no metrics) is accepted as `other`", () => {
    const event = fixture(ALARM);
    setPath(event, "detail.configuration", { alarmRule: "ALARM(a) OR ALARM(b)" });
    expect(only(event)).toMatchObject({ type: "other", details: { composite: true, metricName: null } });
  });
});

describe("aws.cloudwatch refuses what it cannot trust", () => {
  it("the bad samples: state PANIC is not a state", () => {
    expect(schemaIssues(cloudwatch, fixture("bad/aws.cloudwatch--state-value-invalid-enum.json"))).toEqual([
      { path: "detail.state.value", message: expect.stringContaining('"OK"|"ALARM"|"INSUFFICIENT_DATA"') },
    ]);
  });

  it("the bad samples: a 2099 alarm passes the schema (no clock there) and normalize refuses it, naming both times", () => {
    const event = fixture("bad/aws.cloudwatch--time-far-future-2099.json");
    const parsed = cloudwatch.schema.parse(event);
    let refused: unknown;
    try {
      cloudwatch.normalize(parsed, receipt);
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(ValidationError);
    expect((refused as ValidationError).issues.map((issue) => issue.path)).toEqual([
      "time",
      "detail.state.timestamp",
    ]);
  });

  it("the bad samples: a GuardDuty detail under source aws.cloudwatch fails this schema", () => {
    const paths = schemaIssues(cloudwatch, fixture("bad/eventbridge--detail-type-source-mismatch.json")).map(
      (issue) => issue.path,
    );
    expect(paths).toEqual(expect.arrayContaining(["detail-type", "detail.alarmName", "detail.state"]));
  });

  it.each([
    ["resources", [], "resources"],
    ["resources", ["arn:aws:sns:us-east-1:111122223333:topic"], "resources"],
    ["detail.state.timestamp", "18/11/26 02:15", "detail.state.timestamp"],
    ["detail.state.value", "alarm", "detail.state.value"],
    ["detail.state", "ALARM", "detail.state"],
    ["detail.alarmName", "bad\u0000name", "detail.alarmName"],
    ["detail.alarmName", "x".repeat(256), "detail.alarmName"],
    ["detail.alarmTags", { severity: 5 }, "detail.alarmTags.severity"],
    ["detail.configuration.metrics", {}, "detail.configuration.metrics"],
    ["account", 111122223333, "account"],
  ])("%s = %j is refused at %s", (path, value, issuePath) => {
    const event = fixture(ALARM);
    setPath(event, path, value);
    expect(schemaIssues(cloudwatch, event).map((issue) => issue.path)).toContain(issuePath);
  });

  it("property: mutated alarms give canonical alerts or a schema refusal, nothing else", async () => {
    const tally = await assertRobust(cloudwatch, [ALARM, OK]);
    expect(tally.refused).toBeGreaterThan(0);
    expect(tally.accepted).toBeGreaterThan(0);
  });
});
