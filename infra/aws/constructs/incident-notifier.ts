import { Duration } from "aws-cdk-lib";
import type { ITable } from "aws-cdk-lib/aws-dynamodb";
import { type IEventBus, Rule } from "aws-cdk-lib/aws-events";
import { LambdaFunction } from "aws-cdk-lib/aws-events-targets";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import { Construct } from "constructs";
import { EnvNames } from "../../../functions/shared/env.js";
import { QUELL_EVENT } from "../../../functions/shared/quell-events.js";
import { coreFunctions } from "../catalog.js";
import type { QuellConfig } from "../config.js";
import { QuellFunction, type SecretLookup } from "./quell-function.js";

/** What the notifier does to the incident table: it only reads incidents and approvals (GetItem). */
export const NOTIFIER_TABLE_ACTIONS = ["dynamodb:GetItem"] as const;

export interface IncidentNotifierProps {
  readonly table: ITable;
  readonly secretLookup: SecretLookup;
  readonly config: QuellConfig;
  /** Quell's bus, where the recorder and the Slack function publish incident events. */
  readonly bus: IEventBus;
}

/**
 * Slack, kept up to date off the hot path: a rule on Quell's bus sends every incident timeline event to the
 * notifier, which re-renders decided and expired cards and posts progress in the incident's thread.
 */
export class IncidentNotifier extends Construct {
  readonly notifier: QuellFunction;
  readonly rule: Rule;

  constructor(scope: Construct, id: string, { table, secretLookup, config, bus }: IncidentNotifierProps) {
    super(scope, id);
    const spec = coreFunctions.notifier;
    this.notifier = new QuellFunction(this, "Notifier", {
      entry: spec.entry,
      description: spec.description,
      timeout: Duration.seconds(spec.timeoutSeconds),
      environment: {
        [EnvNames.tableName]: table.tableName,
        ...(config.slackChannel ? { [EnvNames.slackChannel]: config.slackChannel } : {}),
        ...(config.slackApiUrl ? { [EnvNames.slackApiUrl]: config.slackApiUrl } : {}),
      },
      secrets: spec.secrets,
      secretLookup,
      asyncInvoked: true,
    });
    this.notifier.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: [...NOTIFIER_TABLE_ACTIONS], resources: [table.tableArn] }),
    );

    this.rule = new Rule(this, "IncidentTimelineEvent", {
      eventBus: bus,
      description: "Quell: every incident timeline event goes to the Slack notifier",
      eventPattern: { source: [QUELL_EVENT.source], detailType: [QUELL_EVENT.detailType] },
    });
    this.rule.addTarget(
      new LambdaFunction(this.notifier.fn, {
        // Events EventBridge could not deliver land in the same queue as events the notifier failed on.
        deadLetterQueue: this.notifier.failureQueue,
        retryAttempts: 8,
        maxEventAge: Duration.hours(24),
      }),
    );
  }
}
