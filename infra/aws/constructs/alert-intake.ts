import { Duration, Stack } from "aws-cdk-lib";
import type { ITable } from "aws-cdk-lib/aws-dynamodb";
import { EventBus, Rule } from "aws-cdk-lib/aws-events";
import { LambdaFunction } from "aws-cdk-lib/aws-events-targets";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import { type FunctionUrl, FunctionUrlAuthType } from "aws-cdk-lib/aws-lambda";
import { Construct } from "constructs";
import { ALERT_RECEIVED } from "../../../functions/ingest/core.js";
import { EnvNames } from "../../../functions/shared/env.js";
import { coreFunctions } from "../catalog.js";
import type { QuellConfig } from "../config.js";
import type { PlaybookMachine } from "./playbook-machines.js";
import { QuellFunction, type SecretLookup } from "./quell-function.js";

export interface AlertIntakeProps {
  readonly table: ITable;
  readonly secretLookup: SecretLookup;
  readonly config: QuellConfig;
  readonly machines: readonly PlaybookMachine[];
}

/**
 * The way in: the ingest Function URL (signatures are verified in the handler), the Quell event bus, and
 * triage, which the bus invokes for every accepted alert and which starts playbooks. The bus also carries
 * Quell's own incident events (see IncidentNotifier).
 */
export class AlertIntake extends Construct {
  readonly bus: EventBus;
  readonly ingest: QuellFunction;
  readonly ingestUrl: FunctionUrl;
  readonly triage: QuellFunction;
  readonly triageRule: Rule;

  constructor(scope: Construct, id: string, { table, secretLookup, config, machines }: AlertIntakeProps) {
    super(scope, id);
    this.bus = new EventBus(this, "Bus", {
      description: "Quell: accepted alerts on their way to triage, and Quell's own incident events",
    });

    const ingest = coreFunctions.ingest;
    this.ingest = new QuellFunction(this, "Ingest", {
      entry: ingest.entry,
      description: ingest.description,
      timeout: Duration.seconds(ingest.timeoutSeconds),
      environment: { [EnvNames.tableName]: table.tableName },
      secrets: ingest.secrets,
      secretLookup,
    });
    this.ingest.publishesTo(this.bus);
    // Ingest only records rejected deliveries; everything else travels on the bus.
    this.ingest.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ["dynamodb:PutItem"], resources: [table.tableArn] }),
    );
    // Auth NONE: GitHub and generic senders cannot sign AWS requests; they sign the body, and the handler
    // verifies that signature in constant time before anything else happens.
    this.ingestUrl = this.ingest.fn.addFunctionUrl({ authType: FunctionUrlAuthType.NONE });

    const triage = coreFunctions.triage;
    this.triage = new QuellFunction(this, "Triage", {
      entry: triage.entry,
      description: triage.description,
      timeout: Duration.seconds(triage.timeoutSeconds),
      environment: {
        [EnvNames.tableName]: table.tableName,
        [EnvNames.playbookArns]: Stack.of(this).toJsonString(
          Object.fromEntries(machines.map((machine) => [machine.name, machine.stateMachine.stateMachineArn])),
        ),
        [EnvNames.dedupWindowSeconds]: String(config.dedupWindowSeconds),
      },
      secrets: triage.secrets,
      secretLookup,
      asyncInvoked: true,
    });
    table.grantReadWriteData(this.triage);
    if (machines.length > 0) {
      this.triage.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ["states:StartExecution"],
          resources: machines.map((machine) => machine.stateMachine.stateMachineArn),
        }),
      );
    }

    this.triageRule = new Rule(this, "AlertReceived", {
      eventBus: this.bus,
      description: "Quell: every accepted alert goes to triage",
      eventPattern: { source: [ALERT_RECEIVED.source], detailType: [ALERT_RECEIVED.detailType] },
    });
    this.triageRule.addTarget(
      new LambdaFunction(this.triage.fn, {
        // Events EventBridge could not deliver land in the same queue as events triage failed on.
        deadLetterQueue: this.triage.deadLetterQueue,
        retryAttempts: 8,
        maxEventAge: Duration.hours(24),
      }),
    );
  }
}
