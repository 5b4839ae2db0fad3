import { describe, expect, it } from "vitest";
import {
  bedrock,
  createBedrockCloudTrailAdapter,
  GUARDRAIL_ADMINS_ENV,
  guardrailAdminsFrom,
  principalArnsOf,
  WATCHED_EVENT_NAMES,
} from "../../functions/sources/aws/bedrock.js";
import { eventSourceByName } from "../../functions/sources/index.js";
import { assertRobust, fixture, normalise, receipt, schemaIssues, setPath } from "../fixtures/aws/support.js";

const UPDATE = "bedrock/cloudtrail-updateguardrail-unexpected-principal.json";
const LIST = "bedrock/cloudtrail-listfoundationmodels-enumeration-new-ip.json";
const AVAILABILITY = "bedrock/cloudtrail-getfoundationmodelavailability-enumeration-new-ip.json";

/** The allow-list the reference samples assume. */
const ENV = {
  [GUARDRAIL_ADMINS_ENV]:
    "arn:aws:iam::111122223333:role/GuardrailAdmins, arn:aws:iam::111122223333:role/ci-deployer",
};
const adapter = createBedrockCloudTrailAdapter({ guardrailAdmins: () => guardrailAdminsFrom(ENV) });

const only = (event: unknown, using = adapter) => {
  const alerts = normalise(using, event);
  expect(alerts).toHaveLength(1);
  return alerts[0] as NonNullable<(typeof alerts)[0]>;
};

/** The UpdateGuardrail sample, made by a session of the GuardrailAdmins role. */
function byAdminSession(): Record<string, unknown> {
  const event = fixture(UPDATE);
  setPath(event, "detail.userIdentity", {
    type: "AssumedRole",
    principalId: "AROAEXAMPLEADMIN12345:alice",
    arn: "arn:aws:sts::111122223333:assumed-role/GuardrailAdmins/alice",
    accountId: "111122223333",
    accessKeyId: "ASIAEXAMPLEADMIN0001",
    sessionContext: {
      sessionIssuer: {
        type: "Role",
        principalId: "AROAEXAMPLEADMIN12345",
        arn: "arn:aws:iam::111122223333:role/GuardrailAdmins",
        accountId: "111122223333",
        userName: "GuardrailAdmins",
      },
    },
  });
  return event;
}

describe("aws.bedrock: AWS API Call via CloudTrail → canonical alert", () => {
  it("is registered under its EventBridge source and names the calls its rule should match", () => {
    expect(eventSourceByName("aws.bedrock")).toBe(bedrock);
    expect(bedrock.detailTypes).toEqual(["AWS API Call via CloudTrail"]);
    expect(WATCHED_EVENT_NAMES).toEqual([
      "UpdateGuardrail",
      "DeleteGuardrail",
      "ListFoundationModels",
      "GetFoundationModelAvailability",
      "PutUseCaseForModelAccess",
    ]);
  });

  it("UpdateGuardrail by a principal outside the allow-list: guardrail_tampering, high", () => {
    const alert = only(fixture(UPDATE));
    expect(alert).toMatchObject({
      source: "aws.bedrock",
      type: "guardrail_tampering",
      severity: "high",
      status: "firing",
      dedupKey: "cloudtrail:d2c1b0a9-8f7e-4d6c-9b5a-4e3d2c1b0a9f",
      occurredAt: "2026-11-18T02:41:09.000Z",
      sourceIds: { cloudTrailEventId: "d2c1b0a9-8f7e-4d6c-9b5a-4e3d2c1b0a9f" },
      title:
        "UpdateGuardrail on guardrail q7x2k9m4w1ba by arn:aws:iam::111122223333:user/contractor-llm-eval, not a guardrail admin",
      details: {
        eventName: "UpdateGuardrail",
        allowListed: false,
        guardrailId: "q7x2k9m4w1ba",
        guardrailArn: "arn:aws:bedrock:us-east-1:111122223333:guardrail/q7x2k9m4w1ba",
        guardrailVersion: "DRAFT",
        promptAttackInputStrength: "NONE",
        filtersConfig: "PROMPT_ATTACK:NONE/NONE,HATE:LOW/LOW,MISCONDUCT:LOW/LOW",
        accessKeyId: "AKIAEXAMPLEM3D8LOGX2",
        sourceIPAddress: "203.0.113.45",
        succeeded: true,
      },
    });
    expect(alert.entities).toEqual([
      { kind: "account", id: "111122223333", provider: "aws" },
      { kind: "principal", id: "arn:aws:iam::111122223333:user/contractor-llm-eval", provider: "aws" },
      { kind: "access_key", id: "AKIAEXAMPLEM3D8LOGX2", provider: "aws" },
      { kind: "ip", id: "203.0.113.45", provider: "aws" },
      {
        kind: "guardrail",
        id: "arn:aws:bedrock:us-east-1:111122223333:guardrail/q7x2k9m4w1ba",
        provider: "aws",
      },
    ]);
  });

  it("DeleteGuardrail by a principal outside the allow-list is tampering too; a refused call is medium", () => {
    const event = fixture(UPDATE);
    setPath(event, "detail.eventName", "DeleteGuardrail");
    setPath(event, "detail.requestParameters", { guardrailIdentifier: "q7x2k9m4w1ba" });
    setPath(event, "detail.responseElements", null);
    expect(only(event)).toMatchObject({
      type: "guardrail_tampering",
      severity: "high",
      details: { guardrailId: "q7x2k9m4w1ba", guardrailArn: null },
    });
    setPath(event, "detail.errorCode", "AccessDeniedException");
    expect(only(event)).toMatchObject({
      type: "guardrail_tampering",
      severity: "medium",
      details: { succeeded: false, errorCode: "AccessDeniedException" },
    });
  });

  it("a change by an allow-listed role session is `other`, with a detail saying so", () => {
    const alert = only(byAdminSession());
    expect(alert).toMatchObject({
      type: "other",
      severity: "info",
      details: {
        allowListed: true,
        allowListedAs: "arn:aws:iam::111122223333:role/GuardrailAdmins",
        note: expect.stringContaining("guardrail-admin allow-list"),
        roleArn: "arn:aws:iam::111122223333:role/GuardrailAdmins",
      },
    });
  });

  it("the same change is tampering when the allow-list is empty (the registered adapter without the variable)", () => {
    const none = createBedrockCloudTrailAdapter({ guardrailAdmins: () => guardrailAdminsFrom({}) });
    expect(only(byAdminSession(), none).type).toBe("guardrail_tampering");
  });

  it("reads the allow-list from the environment it is given: trims, ignores what is not an IAM ARN", () => {
    expect([
      ...guardrailAdminsFrom({
        [GUARDRAIL_ADMINS_ENV]:
          " arn:aws:iam::111122223333:role/GuardrailAdmins ,,*, arn:aws:iam::111122223333:user/ops/bob,arn:aws:sts::111122223333:assumed-role/X/y,arn:aws:iam::1:role/short",
      }),
    ]).toEqual(["arn:aws:iam::111122223333:role/GuardrailAdmins", "arn:aws:iam::111122223333:user/ops/bob"]);
    expect(guardrailAdminsFrom({}).size).toBe(0);
  });

  it("an assumed-role session without sessionContext is matched through its role", () => {
    expect(
      principalArnsOf({
        type: "AssumedRole",
        arn: "arn:aws:sts::111122223333:assumed-role/ci-deployer/run-42",
      }),
    ).toEqual([
      "arn:aws:sts::111122223333:assumed-role/ci-deployer/run-42",
      "arn:aws:iam::111122223333:role/ci-deployer",
    ]);
  });

  it.each([
    [LIST, "ListFoundationModels"],
    [AVAILABILITY, "GetFoundationModelAvailability"],
  ])(
    "%s: a model-enumeration signal that triage may make a precursor, one key per principal and IP",
    (name, eventName) => {
      const alert = only(fixture(name));
      expect(alert).toMatchObject({
        type: "llmjacking",
        severity: "medium",
        status: "firing",
        dedupKey:
          "bedrock-enumeration:111122223333:arn:aws:iam::111122223333:user/svc-docs-indexer:203.0.113.45",
        tags: { owasp: ["LLM10:2025"], atlas: ["AML.T0012"] },
        details: {
          eventName,
          signal: "model_enumeration",
          enumerator: "arn:aws:iam::111122223333:user/svc-docs-indexer",
          accessKeyId: "AKIAEXAMPLEQ7N2LLMJK",
          sourceIPAddress: "203.0.113.45",
        },
      });
      expect(alert.entities).toContainEqual({
        kind: "access_key",
        id: "AKIAEXAMPLEQ7N2LLMJK",
        provider: "aws",
      });
    },
  );

  it("an assumed role's calls share one enumerator (the role) whatever the session; long keys are hashed", () => {
    const event = fixture(LIST);
    setPath(event, "detail.userIdentity", {
      type: "AssumedRole",
      principalId: "AROAEXAMPLEROLE:run-42",
      arn: "arn:aws:sts::111122223333:assumed-role/ci-deployer/run-42",
      accountId: "111122223333",
      accessKeyId: "ASIAEXAMPLESESSION42",
      sessionContext: {
        sessionIssuer: {
          type: "Role",
          principalId: "AROAEXAMPLEROLE",
          arn: "arn:aws:iam::111122223333:role/ci-deployer",
          accountId: "111122223333",
          userName: "ci-deployer",
        },
      },
    });
    expect(only(event)).toMatchObject({
      dedupKey: "bedrock-enumeration:111122223333:arn:aws:iam::111122223333:role/ci-deployer:203.0.113.45",
      details: { enumerator: "arn:aws:iam::111122223333:role/ci-deployer" },
    });
    setPath(
      event,
      "detail.userIdentity.sessionContext.sessionIssuer.arn",
      `arn:aws:iam::111122223333:role/${"r".repeat(250)}`,
    );
    expect(only(event).dedupKey).toMatch(/^bedrock-enumeration:[0-9a-f]{64}$/);
  });

  it("GetFoundationModelAvailability names the model; PutUseCaseForModelAccess is enumeration too", () => {
    expect(only(fixture(AVAILABILITY)).entities).toContainEqual({
      kind: "model",
      id: "anthropic.claude-3-opus-20240229-v1:0",
      provider: "aws",
    });
    const event = fixture(LIST);
    setPath(event, "detail.eventName", "PutUseCaseForModelAccess");
    expect(only(event)).toMatchObject({ type: "llmjacking", severity: "medium" });
  });

  it("other Bedrock calls are `other`, info; a service name in sourceIPAddress is not an IP entity", () => {
    const event = fixture(LIST);
    setPath(event, "detail.eventName", "CreateGuardrail");
    setPath(event, "detail.sourceIPAddress", "AWS Internal");
    const alert = only(event);
    expect(alert).toMatchObject({ type: "other", severity: "info" });
    expect(alert.entities.some((entity) => entity.kind === "ip")).toBe(false);
  });
});

describe("aws.bedrock refuses what it cannot trust", () => {
  it("the bad samples: 1970 times are refused by the schema, both named", () => {
    const issues = schemaIssues(adapter, fixture("bad/aws.bedrock--cloudtrail-eventtime-epoch-1970.json"));
    expect(issues.map((issue) => issue.path)).toEqual(["time", "detail.eventTime"]);
    expect(issues[0]?.message).toContain("before 2016-01-01");
  });

  it("a time more than a year before the receipt is refused by normalize", () => {
    const late = { ...receipt, receivedAt: "2028-01-01T00:00:00.000Z" };
    expect(() => adapter.normalize(adapter.schema.parse(fixture(UPDATE)), late)).toThrow(
      /outside the accepted time window/,
    );
  });

  it.each([
    ["detail.eventID", undefined, "detail.eventID"],
    ["detail.eventID", "id with spaces", "detail.eventID"],
    ["detail.eventName", "Update Guardrail", "detail.eventName"],
    ["detail.eventSource", "iam.amazonaws.com", "detail.eventSource"],
    ["detail.userIdentity", "root", "detail.userIdentity"],
    ["detail.userIdentity.type", undefined, "detail.userIdentity.type"],
    ["detail.requestParameters.guardrailIdentifier", 42, "detail.requestParameters.guardrailIdentifier"],
    ["detail.readOnly", "false", "detail.readOnly"],
    ["detail.eventTime", "2026-11-18 02:41:09", "detail.eventTime"],
    ["source", "aws.bedrock-agent", "source"],
  ])("%s = %j is refused at %s", (path, value, issuePath) => {
    const event = fixture(UPDATE);
    setPath(event, path, value);
    expect(schemaIssues(adapter, event).map((issue) => issue.path)).toContain(issuePath);
  });

  it("property: mutated CloudTrail events give canonical alerts or a schema refusal, nothing else", async () => {
    const tally = await assertRobust(adapter, [UPDATE, LIST, AVAILABILITY]);
    expect(tally.refused).toBeGreaterThan(0);
    expect(tally.accepted).toBeGreaterThan(0);
  });
});
