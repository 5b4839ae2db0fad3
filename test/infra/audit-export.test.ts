import { Match } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { coreFunctions } from "../../infra/aws/catalog.js";
import { logicalIdOf, type SynthesizedQuell, synthQuell, TEST_CONFIG, TEST_ENV } from "./quell-app.js";

/**
 * Issue 16, the audit chain on AWS: the incident table streams new images, the exporter takes only chain heads
 * from it and may only put and get objects under heads/ of an Object Lock bucket (governance mode, the configured
 * retention) that outlives the stack.
 */

let quell: SynthesizedQuell;
beforeAll(() => {
  quell = synthQuell();
});

const BUCKET = `quell-audit-${TEST_ENV.account}-${TEST_ENV.region}-test`;

type Statement = { Effect: string; Action: string | string[]; Resource: unknown };
const list = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** Every statement of every policy of the stack's roles, as JSON text, with the role it belongs to. */
const statements = (): { role: string; statement: Statement }[] =>
  [quell.raw.logic, quell.raw.data].flatMap((template) =>
    Object.values(template.Resources)
      .filter((r) => r.Type === "AWS::IAM::Policy")
      .flatMap((policy) =>
        list(policy.Properties?.Roles as { Ref: string }[]).flatMap((role) =>
          (
            (policy.Properties?.PolicyDocument as { Statement?: Statement[] } | undefined)?.Statement ?? []
          ).map((statement) => ({ role: role.Ref, statement })),
        ),
      ),
  );

describe("the audit bucket (data stack)", () => {
  it("locks every object in governance mode for the configured days, versioned, private, TLS only, kept", () => {
    quell.dataTemplate.hasResource("AWS::S3::Bucket", {
      DeletionPolicy: "Retain",
      UpdateReplacePolicy: "Retain",
      Properties: {
        BucketName: BUCKET,
        ObjectLockEnabled: true,
        ObjectLockConfiguration: {
          ObjectLockEnabled: "Enabled",
          Rule: { DefaultRetention: { Mode: "GOVERNANCE", Days: TEST_CONFIG.auditRetentionDays } },
        },
        VersioningConfiguration: { Status: "Enabled" },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        BucketEncryption: Match.anyValue(),
      },
    });
    quell.dataTemplate.hasResourceProperties("AWS::S3::BucketPolicy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
        ]),
      },
    });
    quell.dataTemplate.hasOutput("AuditBucketName", Match.anyValue());
  });

  it("sits beside a table that streams new images", () => {
    quell.dataTemplate.hasResourceProperties("AWS::DynamoDB::Table", {
      KeySchema: [
        { AttributeName: "pk", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" },
      ],
      StreamSpecification: { StreamViewType: "NEW_IMAGE" },
    });
  });
});

describe("the audit exporter (logic stack)", () => {
  const exporter = () => quell.logic.auditExport.exporter;

  it("is the catalog's function, told the bucket's name", () => {
    expect(coreFunctions.auditExport.entry).toBe("functions/audit-export/handler.ts");
    const fn = quell.raw.logic.Resources[logicalIdOf(exporter().fn)];
    const variables = (fn?.Properties?.Environment as { Variables?: Record<string, string> } | undefined)
      ?.Variables;
    expect(variables?.QUELL_AUDIT_BUCKET).toBe(BUCKET);
  });

  it("reads the table's stream filtered to chain heads, retries halving, and gives up to the failure queue", () => {
    quell.logicTemplate.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      FunctionName: { Ref: logicalIdOf(exporter().fn) },
      StartingPosition: "TRIM_HORIZON",
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
      FunctionResponseTypes: ["ReportBatchItemFailures"],
      FilterCriteria: {
        Filters: [{ Pattern: JSON.stringify({ dynamodb: { Keys: { sk: { S: ["CHAIN"] } } } }) }],
      },
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
  });

  it("may put and get objects under heads/ and nothing else of S3; no other Quell role may write there or unlock", () => {
    const roleId = logicalIdOf(exporter().role);
    const s3 = statements().filter(
      ({ statement }) =>
        JSON.stringify(statement.Action).includes('"s3:') ||
        JSON.stringify(statement.Action).includes('"s3:*'),
    );
    const mine = s3.filter(({ role }) => role === roleId);
    expect(mine.map(({ statement }) => statement)).toEqual([
      {
        Effect: "Allow",
        Action: ["s3:PutObject", "s3:GetObject"],
        Resource: { "Fn::Join": ["", ["arn:", { Ref: "AWS::Partition" }, `:s3:::${BUCKET}/heads/*`]] },
      },
    ]);
    // Actions that move documents in any bucket (bedrock-kb.*) are denied every S3 call on the audit buckets.
    const denied = (role: string) =>
      statements().some(
        ({ role: owner, statement }) =>
          owner === role &&
          statement.Effect === "Deny" &&
          list(statement.Action).join() === "s3:*" &&
          JSON.stringify(statement.Resource).includes(":s3:::quell-audit-*/*"),
      );
    const writers = statements().filter(
      ({ statement }) =>
        statement.Effect === "Allow" &&
        list(statement.Action).some((action) =>
          ["s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObject", "s3:*"].includes(action),
        ),
    );
    expect(writers.length).toBeGreaterThan(1);
    for (const { role } of writers.filter(({ role }) => role !== roleId))
      expect(denied(role), role).toBe(true);
    const everyAction = statements().flatMap(({ statement }) => list(statement.Action));
    for (const forbidden of [
      "s3:BypassGovernanceRetention",
      "s3:PutObjectRetention",
      "s3:PutBucketObjectLockConfiguration",
    ]) {
      expect(everyAction, forbidden).not.toContain(forbidden);
    }
  });
});
