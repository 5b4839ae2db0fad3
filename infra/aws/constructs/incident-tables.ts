import { RemovalPolicy } from "aws-cdk-lib";
import { AttributeType, BillingMode, StreamViewType, Table, TableEncryption } from "aws-cdk-lib/aws-dynamodb";
import { Construct } from "constructs";

/**
 * The incident table (incidents, timelines, approvals, dedup keys, rejects; `pk`/`sk`, TTL `expiresAt`; a stream
 * of new images for the audit exporter) and
 * the Powertools idempotency table of the actions (`id`, TTL `expiration`).
 */
export class IncidentTables extends Construct {
  readonly incidents: Table;
  readonly idempotency: Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.incidents = new Table(this, "Incidents", {
      partitionKey: { name: "pk", type: AttributeType.STRING },
      sortKey: { name: "sk", type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: "expiresAt",
      // The audit exporter reads the chain heads' new images (functions/audit-export).
      stream: StreamViewType.NEW_IMAGE,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.idempotency = new Table(this, "Idempotency", {
      partitionKey: { name: "id", type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: "expiration",
      // Records live minutes to hours (Powertools expiry); losing them on stack deletion loses nothing.
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }
}
