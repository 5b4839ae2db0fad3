import { describe, expect, it } from "vitest";
import { ENDPOINT_DEPLOYMENT_SIGNAL, sagemaker } from "../../functions/sources/aws/sagemaker.js";
import { eventSourceByName } from "../../functions/sources/index.js";
import { assertRobust, fixture, normalise, schemaIssues, setPath } from "../fixtures/aws/support.js";

const UPDATE = "sagemaker/cloudtrail-updateendpoint-ranker.json";
const CREATE = "sagemaker/cloudtrail-createendpoint-ranker.json";
const RANKER_ARN = "arn:aws:sagemaker:us-east-1:111122223333:endpoint/support-chat-ranker";

const only = (event: unknown) => {
  const alerts = normalise(sagemaker, event);
  expect(alerts).toHaveLength(1);
  return alerts[0] as NonNullable<(typeof alerts)[0]>;
};

describe("aws.sagemaker CloudTrail: the deployments Quell learns an endpoint's history from", () => {
  it("is registered as an event source", () => {
    expect(eventSourceByName("aws.sagemaker")).toBe(sagemaker);
  });

  it("makes UpdateEndpoint an info record of the configuration put live, by the role behind the session", () => {
    const alert = only(fixture(UPDATE));
    expect(alert).toMatchObject({
      source: "aws.sagemaker",
      type: "model_integrity_change",
      severity: "info",
      status: "firing",
      occurredAt: "2026-11-24T10:20:41.000Z",
      dedupKey: "cloudtrail:d5e6f7a8-b9c0-4d1e-8f2a-3b4c5d6e7f80",
      title:
        "SageMaker endpoint support-chat-ranker now deploys configuration support-chat-ranker-cfg-2026-11-30 (UpdateEndpoint by arn:aws:iam::111122223333:role/ml-release-pipeline)",
    });
    expect(alert.details).toMatchObject({
      signal: ENDPOINT_DEPLOYMENT_SIGNAL,
      assetId: RANKER_ARN,
      endpointName: "support-chat-ranker",
      endpointConfigName: "support-chat-ranker-cfg-2026-11-30",
      deployedBy: "arn:aws:iam::111122223333:role/ml-release-pipeline",
      succeeded: true,
    });
    expect(alert.entities).toContainEqual(expect.objectContaining({ kind: "model", id: RANKER_ARN }));
  });

  it("names the endpoint by ARN from its name when the response has none (CreateEndpoint as recorded)", () => {
    const event = fixture(CREATE);
    setPath(event, "detail.responseElements", null);
    const alert = only(event);
    expect(alert.details).toMatchObject({
      eventName: "CreateEndpoint",
      assetId: RANKER_ARN,
      endpointConfigName: "support-chat-ranker-cfg-2026-10-01",
    });
  });

  it("keeps a refused call as refused: it put nothing live", () => {
    const event = fixture(UPDATE);
    setPath(event, "detail.errorCode", "ValidationException");
    const alert = only(event);
    expect(alert.details).toMatchObject({ succeeded: false, errorCode: "ValidationException" });
    expect(alert.title).toMatch(/^Refused UpdateEndpoint/);
  });

  it("keeps another SageMaker call (an unfiltered rule) as not AI: no signal, nothing learnt", () => {
    const event = fixture(UPDATE);
    setPath(event, "detail.eventName", "DeleteEndpoint");
    setPath(event, "detail.requestParameters", { endpointName: "support-chat-ranker" });
    const alert = only(event);
    expect(alert.type).toBe("other");
    expect(alert.details.signal).toBeUndefined();
    expect(alert.details.note).toBe("DeleteEndpoint is not one of the SageMaker calls Quell learns from");
  });

  it("refuses another service's call, a malformed API name and a malformed endpoint name, naming the field", () => {
    const bedrock = fixture(UPDATE);
    setPath(bedrock, "detail.eventSource", "bedrock.amazonaws.com");
    expect(schemaIssues(sagemaker, bedrock).map((issue) => issue.path)).toContain("detail.eventSource");
    const other = fixture(UPDATE);
    setPath(other, "detail.eventName", "Delete Endpoint");
    expect(schemaIssues(sagemaker, other).map((issue) => issue.path)).toContain("detail.eventName");
    const name = fixture(UPDATE);
    setPath(name, "detail.requestParameters.endpointConfigName", "../x");
    expect(schemaIssues(sagemaker, name)).toContainEqual({
      path: "detail.requestParameters.endpointConfigName",
      message: "must be a SageMaker endpoint name",
    });
  });

  it("never throws on mutated events: each is normalised or refused with a clear error", async () => {
    const tally = await assertRobust(sagemaker, [UPDATE, CREATE], 200);
    expect(tally.accepted + tally.refused + tally.outOfWindow).toBeGreaterThan(0);
  });
});
