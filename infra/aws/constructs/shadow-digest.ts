import { Duration } from "aws-cdk-lib";
import type { ITable } from "aws-cdk-lib/aws-dynamodb";
import { Rule, Schedule } from "aws-cdk-lib/aws-events";
import { LambdaFunction } from "aws-cdk-lib/aws-events-targets";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import { Construct } from "constructs";
import { SHADOW_DIGEST_HOUR_UTC } from "../../../functions/shadow-digest/core.js";
import { EnvNames } from "../../../functions/shared/env.js";
import { coreFunctions } from "../catalog.js";
import type { QuellConfig } from "../config.js";
import { QuellFunction, type SecretLookup } from "./quell-function.js";

/**
 * What the digest does to the incident table: it lists incidents (Scan, as `/quell stats` does) and reads each
 * shadow one's timeline (Query). It writes nothing.
 */
export const SHADOW_DIGEST_TABLE_ACTIONS = ["dynamodb:Scan", "dynamodb:Query"] as const;

export interface ShadowDigestProps {
  readonly table: ITable;
  readonly secretLookup: SecretLookup;
  readonly config: QuellConfig;
}

/**
 * The daily digest of shadow playbooks (functions/shadow-digest): a schedule rule invokes it every day at 09:00
 * UTC; it posts, in the default channel, what each shadow playbook would have done in the last 24 hours.
 */
export class ShadowDigest extends Construct {
  readonly digest: QuellFunction;
  readonly rule: Rule;

  constructor(scope: Construct, id: string, { table, secretLookup, config }: ShadowDigestProps) {
    super(scope, id);
    const spec = coreFunctions.shadowDigest;
    this.digest = new QuellFunction(this, "Digest", {
      entry: spec.entry,
      description: spec.description,
      timeout: Duration.seconds(spec.timeoutSeconds),
      environment: {
        [EnvNames.tableName]: table.tableName,
        [EnvNames.slackChannel]: config.slackChannel,
        ...(config.slackApiUrl ? { [EnvNames.slackApiUrl]: config.slackApiUrl } : {}),
      },
      secrets: spec.secrets,
      secretLookup,
      asyncInvoked: true,
    });
    this.digest.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: [...SHADOW_DIGEST_TABLE_ACTIONS], resources: [table.tableArn] }),
    );
    this.rule = new Rule(this, "Daily", {
      description: "Quell: the daily digest of what shadow playbooks would have done",
      schedule: Schedule.cron({ minute: "0", hour: String(SHADOW_DIGEST_HOUR_UTC) }),
    });
    this.rule.addTarget(
      new LambdaFunction(this.digest.fn, {
        deadLetterQueue: this.digest.failureQueue,
        retryAttempts: 4,
        maxEventAge: Duration.hours(6),
      }),
    );
  }
}
