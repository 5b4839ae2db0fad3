import { Duration, RemovalPolicy, Stack } from "aws-cdk-lib";
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectLockRetention } from "aws-cdk-lib/aws-s3";
import { Construct } from "constructs";
import { acknowledge } from "../nag.js";

const ACCESS_LOG_REASON =
  "The audit bucket holds only chain heads, written once by the audit exporter (If-None-Match) and locked by " +
  "Object Lock; what it proves does not rest on who read it. CloudTrail data events log its object API calls " +
  "where an account records them; a second bucket of access logs would itself need the same guarantees.";

/**
 * The audit bucket's name, the same from either stack (`quell-audit-<account>-<region>-<environment>`, at most 56
 * characters): the logic stack's exporter names it without a cross-stack reference, so its one wildcard grant
 * (heads/*) is written as the ARN it is.
 */
export const auditBucketName = (scope: Construct, environmentName: string): string => {
  const stack = Stack.of(scope);
  return `quell-audit-${stack.account}-${stack.region}-${environmentName.toLowerCase()}`;
};

/**
 * The bucket the audit exporter writes incident chain heads to (functions/audit-export): versioned, Object Lock in
 * governance mode with a default retention, so no head can be changed or removed before it ends without
 * s3:BypassGovernanceRetention, which no Quell role holds. Kept when the stack is deleted.
 */
export class AuditBucket extends Construct {
  readonly bucket: Bucket;

  constructor(
    scope: Construct,
    id: string,
    props: { readonly retentionDays: number; readonly environmentName: string },
  ) {
    super(scope, id);
    this.bucket = new Bucket(this, "Heads", {
      bucketName: auditBucketName(this, props.environmentName),
      versioned: true,
      objectLockEnabled: true,
      objectLockDefaultRetention: ObjectLockRetention.governance(Duration.days(props.retentionDays)),
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(this.bucket, "AwsSolutions-S1", ACCESS_LOG_REASON);
  }
}
