import { describe, expect, it } from "vitest";
import {
  type AlertReceived,
  type IngestDeps,
  type IngestRequest,
  ingestEvents,
} from "../../functions/ingest/core.js";
import type { Rejection } from "../../functions/shared/store.js";
import { normalize } from "../../functions/triage/core.js";
import { fixture, fixtureText, NOW } from "../fixtures/aws/support.js";
import { admitEveryone, noDeliverySeen } from "./ingest-doubles.js";

const TOKEN = "unit-events-token";

const request = (body: string, token = TOKEN): IngestRequest => ({
  method: "POST",
  source: "events",
  headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
  rawBody: new TextEncoder().encode(body),
});

function fakes() {
  const published: AlertReceived[] = [];
  const rejections: Rejection[] = [];
  let next = 0;
  const deps: IngestDeps = {
    secret: async (name) => (name === "QUELL_EVENTS_TOKEN" ? TOKEN : undefined),
    publish: async (event) => {
      published.push(event);
    },
    recordRejection: async (rejection) => {
      rejections.push(rejection);
    },
    countRefusal: async (refusal) => {
      rejections.push(refusal);
    },
    admit: admitEveryone,
    deliveries: noDeliverySeen,
    clock: () => new Date(NOW),
    newId: (prefix) => `${prefix}_unit${String(++next).padStart(4, "0")}`,
    maxBodyBytes: 256 * 1024,
  };
  return { deps, published, rejections };
}

const VALID = [
  "guardduty/ai-anomalous-model-invocation-iamuser-key.json",
  "guardduty/ai-cost-harvesting-same-leaked-key.json",
  "guardduty/ai-prompt-injection-direct-guardrail-intervened.json",
  "guardduty/non-ai-recon-ec2-portprobe-unprotected-port.json",
  "securityhub/asff-guardduty-bedrock-invocation-logging-disabled.json",
  "securityhub/ocsf-v2-guardduty-anomalous-sagemaker-invocation.json",
  "cloudwatch/bedrock-token-spend-alarm.json",
  "cloudwatch/bedrock-token-spend-alarm-ok.json",
  "bedrock/cloudtrail-updateguardrail-unexpected-principal.json",
  "bedrock/cloudtrail-listfoundationmodels-enumeration-new-ip.json",
];

type Refusal = { error: { code: string; message: string; issues?: { path: string; message: string }[] } };

describe("POST /events with the AWS sources registered", () => {
  it("accepts every valid sample in one request, and triage normalises what was published", async () => {
    const { deps, published, rejections } = fakes();
    const body = `[${VALID.map((name) => fixtureText(name)).join(",")}]`;
    const response = await ingestEvents(request(body), deps);
    expect(response.status).toBe(202);
    expect((response.body.alertIds as string[]).length).toBe(VALID.length);
    expect(rejections).toEqual([]);
    const types = published.flatMap((event) => normalize(event).map((alert) => alert.type));
    expect(types).toEqual([
      "llmjacking",
      "llmjacking",
      "prompt_injection",
      "other",
      "guardrail_tampering",
      "llmjacking",
      "token_spend_anomaly",
      "token_spend_anomaly",
      "guardrail_tampering",
      "llmjacking",
    ]);
    expect(published[0]).toMatchObject({
      source: "aws.guardduty",
      deliveryId: "8f3a2c1e-6b4d-4e9f-a1c7-2d5e8b0f4a19",
    });
  });

  it.each([
    [
      "an unknown source, naming it and the known ones",
      "bad/eventbridge--unknown-source-aws-quantumledger.json",
      "[0].source",
      'unknown EventBridge source "aws.quantumledger"; known: aws.bedrock, aws.cloudwatch, aws.guardduty, aws.sagemaker, aws.securityhub',
    ],
    [
      "a detail-type its source does not send",
      "bad/eventbridge--detail-type-source-mismatch.json",
      "[0].detail-type",
      'aws.cloudwatch sends CloudWatch Alarm State Change, not "GuardDuty Finding"',
    ],
    [
      "an envelope without detail",
      "bad/eventbridge--missing-detail.json",
      "[0].detail",
      "Invalid input: expected record, received undefined",
    ],
  ])("refuses %s with 422", async (_name, file, path, message) => {
    const { deps, published, rejections } = fakes();
    const response = await ingestEvents(request(fixtureText(file)), deps);
    expect(response.status).toBe(422);
    expect((response.body as Refusal).error.issues).toContainEqual({ path, message });
    expect(published).toEqual([]);
    expect(rejections).toHaveLength(1);
  });

  it.each([
    [
      "bad/aws.guardduty--severity-count-archived-as-strings.json",
      ["[0].detail.severity", "[0].detail.service.archived", "[0].detail.service.count"],
    ],
    ["bad/aws.guardduty--missing-detail-id-and-type.json", ["[0].detail.id", "[0].detail.type"]],
    ["bad/aws.securityhub--findings-empty-array.json", ["[0].detail.findings"]],
    ["bad/aws.securityhub--findings-is-object-not-array.json", ["[0].detail.findings"]],
    ["bad/aws.cloudwatch--state-value-invalid-enum.json", ["[0].detail.state.value"]],
    ["bad/aws.bedrock--cloudtrail-eventtime-epoch-1970.json", ["[0].time", "[0].detail.eventTime"]],
  ])("refuses %s with 422, naming the wrong fields", async (file, paths) => {
    const { deps, published } = fakes();
    const response = await ingestEvents(request(fixtureText(file)), deps);
    expect(response.status).toBe(422);
    expect((response.body as Refusal).error.issues?.map((issue) => issue.path)).toEqual(paths);
    expect(published).toEqual([]);
  });

  it("refuses truncated JSON with 400", async () => {
    const { deps, rejections } = fakes();
    const response = await ingestEvents(request(fixtureText("bad/aws.guardduty--truncated-json.json")), deps);
    expect(response.status).toBe(400);
    expect((response.body as Refusal).error.code).toBe("invalid_json");
    expect(rejections).toHaveLength(1);
  });

  it("one bad envelope refuses the whole array, naming its index", async () => {
    const { deps, published } = fakes();
    const body = `[${fixtureText(VALID[0] as string)},${fixtureText("bad/aws.cloudwatch--state-value-invalid-enum.json")}]`;
    const response = await ingestEvents(request(body), deps);
    expect(response.status).toBe(422);
    expect((response.body as Refusal).error.issues?.map((issue) => issue.path)).toEqual([
      "[1].detail.state.value",
    ]);
    expect(published).toEqual([]);
  });

  it("refuses the 2099 alarm at the door, naming the field and the window, and publishes nothing", async () => {
    const { deps, published } = fakes();
    const response = await ingestEvents(
      request(fixtureText("bad/aws.cloudwatch--time-far-future-2099.json")),
      deps,
    );
    expect(response.status).toBe(422);
    expect(JSON.stringify(response.body)).toMatch(
      /\[0\]\.[a-z.]*time[^"]*".*more than 1 day after the receipt time/i,
    );
    expect(published).toEqual([]);
  });

  it("refuses a wrong token with 401", async () => {
    const { deps, published } = fakes();
    const response = await ingestEvents(request(JSON.stringify(fixture(VALID[0] as string)), "nope"), deps);
    expect(response.status).toBe(401);
    expect(published).toEqual([]);
  });
});
