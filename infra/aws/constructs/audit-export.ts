import { Duration, Stack } from "aws-cdk-lib";
import type { ITable } from "aws-cdk-lib/aws-dynamodb";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import { FilterCriteria, FilterRule, StartingPosition } from "aws-cdk-lib/aws-lambda";
import { DynamoEventSource, SqsDlq } from "aws-cdk-lib/aws-lambda-event-sources";
import { Construct } from "constructs";
import { CHAIN_HEAD_SORT_KEY } from "../../../functions/shared/audit-chain.js";
import { EnvNames } from "../../../functions/shared/env.js";
import { coreFunctions } from "../catalog.js";
import { acknowledge, wildcardResourceFinding } from "../nag.js";
import { FailureQueue } from "./failure-queue.js";
import { QuellFunction, type SecretLookup } from "./quell-function.js";

export interface AuditExportProps {
  /** The incident table, with its stream of new images. */
  readonly table: ITable;
  /** The audit bucket (data stack), by its name: no cross-stack reference (audit-bucket.ts). */
  readonly bucketName: string;
  readonly secretLookup: SecretLookup;
}

/** Where heads go in the bucket: the exporter may write (and read back) there and nowhere else. */
const HEADS = "heads/*";

/**
 * The audit exporter (functions/audit-export): the incident table's stream, filtered to chain heads before Lambda
 * is invoked (a timeline write costs one invocation per batch, other writes none), writes each incident's newest
 * head to the audit bucket. It may put and get objects under heads/ and nothing else: no delete, no retention
 * change, no bypass of governance mode. Batches it gives up on (after retries, halving a failing batch) go to the
 * stack's failure queue, whose alarm calls a human; a later head of the same incident covers the ones skipped.
 */
export class AuditExport extends Construct {
  readonly exporter: QuellFunction;

  constructor(scope: Construct, id: string, { table, bucketName, secretLookup }: AuditExportProps) {
    super(scope, id);
    const spec = coreFunctions.auditExport;
    this.exporter = new QuellFunction(this, "Exporter", {
      entry: spec.entry,
      description: spec.description,
      timeout: Duration.seconds(spec.timeoutSeconds),
      environment: { [EnvNames.auditBucket]: bucketName },
      secrets: spec.secrets,
      secretLookup,
    });
    const heads = Stack.of(this).formatArn({
      service: "s3",
      region: "",
      account: "",
      resource: bucketName,
      resourceName: HEADS,
    });
    this.exporter.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ["s3:PutObject", "s3:GetObject"], resources: [heads] }),
    );
    acknowledge(
      this.exporter.role,
      wildcardResourceFinding(this.exporter.role, heads),
      "s3:PutObject and s3:GetObject on the audit bucket's heads/ prefix: one object per incident and place, " +
        "written once (If-None-Match) and read back only to compare a redelivered head",
    );
    acknowledge(
      this.exporter.role,
      "AwsSolutions-IAM5[Resource::*]",
      "X-Ray's PutTraceSegments and PutTelemetryRecords, and dynamodb:ListStreams, which Lambda's stream poller " +
        "calls and which takes no resource; the stream's records are readable only on the incident table's stream",
    );
    this.exporter.fn.addEventSource(
      new DynamoEventSource(table, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(5),
        bisectBatchOnError: true,
        retryAttempts: 10,
        reportBatchItemFailures: true,
        onFailure: new SqsDlq(FailureQueue.of(this).queue),
        filters: [
          FilterCriteria.filter({
            dynamodb: { Keys: { sk: { S: FilterRule.isEqual(CHAIN_HEAD_SORT_KEY) } } },
          }),
        ],
      }),
    );
  }
}
