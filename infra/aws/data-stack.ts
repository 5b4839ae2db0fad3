import { CfnOutput, Stack, type StackProps } from "aws-cdk-lib";
import type { Construct } from "constructs";
import type { SecretName } from "../../functions/shared/env.js";
import { AuditBucket } from "./constructs/audit-bucket.js";
import { IncidentTables } from "./constructs/incident-tables.js";
import { SecretStore } from "./constructs/secret-store.js";

export interface DataStackProps extends StackProps {
  readonly secretNames: readonly SecretName[];
  /** Names the secrets' parameters: `/quell/<environmentName>/<NAME>`. */
  readonly environmentName: string;
  /** How long each exported audit chain head is locked (Object Lock, governance mode). */
  readonly auditRetentionDays: number;
}

/**
 * Everything stateful: the tables, the audit bucket, and the names of the secrets' SecureString parameters (which an operator
 * sets; the stack outputs the command for each). Deploys rarely; the logic stack references it.
 */
export class DataStack extends Stack {
  readonly tables: IncidentTables;
  readonly secrets: SecretStore;
  readonly audit: AuditBucket;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    this.tables = new IncidentTables(this, "Tables");
    this.secrets = new SecretStore(this, "Secrets", {
      names: props.secretNames,
      environmentName: props.environmentName,
    });
    this.audit = new AuditBucket(this, "Audit", {
      retentionDays: props.auditRetentionDays,
      environmentName: props.environmentName,
    });
    new CfnOutput(this, "IncidentsTableName", { value: this.tables.incidents.tableName });
    new CfnOutput(this, "AuditBucketName", {
      value: this.audit.bucket.bucketName,
      description:
        "verify-audit --aws --table <IncidentsTableName> --bucket <this> checks the chains against it",
    });
  }
}
