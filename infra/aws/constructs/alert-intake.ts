import { Duration, Stack } from "aws-cdk-lib";
import type { ITable } from "aws-cdk-lib/aws-dynamodb";
import { CfnRule, EventBus, type IEventBus, Rule } from "aws-cdk-lib/aws-events";
import { LambdaFunction } from "aws-cdk-lib/aws-events-targets";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { FunctionUrl } from "aws-cdk-lib/aws-lambda";
import { Construct } from "constructs";
import { ALERT_RECEIVED } from "../../../functions/ingest/core.js";
import { EnvNames } from "../../../functions/shared/env.js";
import { GUARDRAIL_ADMINS_ENV } from "../../../functions/sources/aws/bedrock.js";
import { awsEventRules, coreFunctions } from "../catalog.js";
import type { QuellConfig } from "../config.js";
import { pascal } from "../paths.js";
import type { PlaybookMachine } from "./playbook-machines.js";
import { publicFunctionUrl } from "./public-function-url.js";
import { QuellFunction, type SecretLookup } from "./quell-function.js";
import { TriageConfiguration } from "./triage-configuration.js";

/** What ingest may do to the incident table, and to which partitions only. */
export const INGEST_TABLE_ACTIONS = [
  "dynamodb:PutItem",
  "dynamodb:UpdateItem",
  "dynamodb:GetItem",
  "dynamodb:DeleteItem",
] as const;
export const INGEST_PARTITIONS = ["REJECT#*", "REPLAY#*"] as const;

export interface AlertIntakeProps {
  readonly table: ITable;
  readonly secretLookup: SecretLookup;
  readonly config: QuellConfig;
  readonly machines: readonly PlaybookMachine[];
}

/**
 * The way in: the ingest Function URL (signatures are verified in the handler), the Quell event bus, and
 * triage, which the bus invokes for every accepted alert and which starts playbooks. The bus also carries
 * Quell's own incident events (see IncidentNotifier). AWS sources (GuardDuty, Security Hub, CloudWatch,
 * CloudTrail) reach triage directly, by one rule per registered event source on the account's default bus, each
 * narrowed to the events about AI its adapter declares (`detailPattern`).
 */
export class AlertIntake extends Construct {
  readonly bus: EventBus;
  readonly ingest: QuellFunction;
  readonly ingestUrl: FunctionUrl;
  readonly triage: QuellFunction;
  readonly triageRule: Rule;
  /** The triage part of the team configuration, in AppConfig: triage and ingest read it at run time. */
  readonly triageConfiguration: TriageConfiguration;
  /** The account's default event bus, where AWS services put their events. */
  readonly defaultBus: IEventBus;
  /** One rule per AWS event source (`eventSources`), by its EventBridge `source`, on the default bus. */
  readonly awsEventRules: ReadonlyMap<string, Rule>;

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
    // Ingest keeps only refused requests (REJECT#<day>: one by one, or counted per minute) and the signatures of
    // deliveries it accepted (REPLAY#<hash>: a conditional claim, marked published, released on failure);
    // everything else travels on the bus. It may touch no other item of the table.
    this.ingest.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: [...INGEST_TABLE_ACTIONS],
        resources: [table.tableArn],
        conditions: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": [...INGEST_PARTITIONS] } },
      }),
    );
    // Auth NONE: GitHub and generic senders cannot sign AWS requests; they sign the body, and the handler
    // verifies that signature in constant time before anything else happens. A flood runs at most the reserved
    // concurrency at once and costs no database write per request: unauthenticated refusals are tallied per
    // minute (functions/ingest/refusal-counter.ts).
    this.ingestUrl = publicFunctionUrl(this.ingest, config.ingestReservedConcurrency);

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
        // Read by the aws.bedrock adapter when triage normalises a CloudTrail event; unset when empty, which
        // the adapter reads as nobody allow-listed (app.ts warns at synth).
        ...(config.guardrailAdmins.length > 0
          ? { [GUARDRAIL_ADMINS_ENV]: config.guardrailAdmins.join(",") }
          : {}),
      },
      secrets: triage.secrets,
      secretLookup,
      asyncInvoked: true,
    });
    table.grantReadWriteData(this.triage);
    this.triageConfiguration = new TriageConfiguration(this, "TriageConfiguration", {
      triage: config.triage,
      environmentName: config.environmentName,
    });
    // Ingest reads the GitHub allow-list from it; triage everything else.
    this.triageConfiguration.grantRead(this.ingest);
    this.triageConfiguration.grantRead(this.triage);
    if (machines.length > 0) {
      this.triage.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ["states:StartExecution"],
          resources: machines.map((machine) => machine.stateMachine.stateMachineArn),
        }),
      );
    }

    // Every rule into triage retries for a day, then leaves the event in the stack's failure queue, where
    // triage's own failures land too (redrive sends it back to its TARGET_ARN).
    const toTriage = () =>
      new LambdaFunction(this.triage.fn, {
        deadLetterQueue: this.triage.failureQueue,
        retryAttempts: 8,
        maxEventAge: Duration.hours(24),
      });

    this.triageRule = new Rule(this, "AlertReceived", {
      eventBus: this.bus,
      description: "Quell: every accepted alert goes to triage",
      eventPattern: { source: [ALERT_RECEIVED.source], detailType: [ALERT_RECEIVED.detailType] },
    });
    this.triageRule.addTarget(toTriage());

    // AWS services put their events on the default bus, and only AWS may put events whose source starts
    // with "aws.", so these rules need no signature check: triage takes the raw event (toAlertReceived).
    this.defaultBus = EventBus.fromEventBusName(this, "DefaultBus", "default");
    const rules = new Map<string, Rule>();
    const ruleSettings = { cloudwatchAlarmNamePrefixes: config.cloudwatchAlarmNamePrefixes };
    for (const spec of awsEventRules(ruleSettings)) {
      const rule = new Rule(this, `${pascal(spec.source)}Events`, {
        eventBus: this.defaultBus,
        description: `Quell: ${spec.source} events (${spec.detailTypes.join(", ")}) go to triage`.slice(
          0,
          512,
        ),
        // Only what Quell acts on or records for AI (each adapter's detailPattern); triage still checks it all.
        eventPattern: {
          source: [spec.source],
          detailType: [...spec.detailTypes],
          detail: { ...spec.detail },
        },
      });
      rule.addTarget(toTriage());
      if (spec.allCloudTrailManagementEvents) {
        // Read-only management events delivered by CloudTrail (ListFoundationModels,
        // GetFoundationModelAvailability) reach only rules in state ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS.
        // The L2 Rule of aws-cdk-lib 2.276 offers only `enabled` (ENABLED or DISABLED), so this sets the L1
        // CfnRule's State (the escape hatch).
        const cfnRule = rule.node.defaultChild;
        if (!(cfnRule instanceof CfnRule)) throw new Error(`${rule.node.path} has no CfnRule`);
        cfnRule.state = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS";
      }
      rules.set(spec.source, rule);
    }
    this.awsEventRules = rules;
  }
}
