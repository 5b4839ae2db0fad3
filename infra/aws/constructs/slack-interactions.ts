import { Duration, Stack } from "aws-cdk-lib";
import type { ITable } from "aws-cdk-lib/aws-dynamodb";
import type { IEventBus } from "aws-cdk-lib/aws-events";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { FunctionUrl } from "aws-cdk-lib/aws-lambda";
import { Construct } from "constructs";
import { EnvNames } from "../../../functions/shared/env.js";
import { coreFunctions } from "../catalog.js";
import type { QuellConfig } from "../config.js";
import type { PlaybookMachine } from "./playbook-machines.js";
import { publicFunctionUrl } from "./public-function-url.js";
import { QuellFunction, type SecretLookup } from "./quell-function.js";

export interface SlackInteractionsProps {
  readonly table: ITable;
  readonly secretLookup: SecretLookup;
  readonly config: QuellConfig;
  readonly machines: readonly PlaybookMachine[];
  /** Quell's bus: decisions are published there as incident events. */
  readonly bus: IEventBus;
}

/** The Slack interactivity endpoint: approve/deny clicks resume (or fail) the waiting playbook task. */
export class SlackInteractions extends Construct {
  readonly slack: QuellFunction;
  readonly url: FunctionUrl;

  constructor(
    scope: Construct,
    id: string,
    { table, secretLookup, config, machines, bus }: SlackInteractionsProps,
  ) {
    super(scope, id);
    const spec = coreFunctions.slack;
    this.slack = new QuellFunction(this, "Slack", {
      entry: spec.entry,
      description: spec.description,
      timeout: Duration.seconds(spec.timeoutSeconds),
      environment: {
        [EnvNames.tableName]: table.tableName,
        [EnvNames.approvers]: config.approvers.join(","),
        [EnvNames.playbookArns]: Stack.of(this).toJsonString(
          Object.fromEntries(machines.map((machine) => [machine.name, machine.stateMachine.stateMachineArn])),
        ),
        ...(config.slackApiUrl ? { [EnvNames.slackApiUrl]: config.slackApiUrl } : {}),
      },
      secrets: spec.secrets,
      secretLookup,
    });
    table.grantReadWriteData(this.slack);
    this.slack.publishesTo(bus);
    if (machines.length > 0) {
      // Task tokens are answered against the state machine that issued them: exactly these machines.
      // `/quell dry-run` starts a playbook as a rehearsal; Undo (button or `/quell undo`) the undo machine.
      this.slack.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ["states:SendTaskSuccess", "states:SendTaskFailure", "states:StartExecution"],
          resources: machines.map((machine) => machine.stateMachine.stateMachineArn),
        }),
      );
    }
    // Auth NONE: Slack cannot sign AWS requests; it signs the body with the signing secret, and the
    // handler verifies that signature (and its timestamp) in constant time before acting; a refused request
    // writes nothing. A flood runs at most the reserved concurrency at once.
    this.url = publicFunctionUrl(this.slack, config.slackReservedConcurrency);
  }
}
