import { ArnFormat, Duration, Stack } from "aws-cdk-lib";
import type { ITable } from "aws-cdk-lib/aws-dynamodb";
import { EventBus, type IEventBus, Rule } from "aws-cdk-lib/aws-events";
import { LambdaFunction } from "aws-cdk-lib/aws-events-targets";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import { Construct } from "constructs";
import { ENDED_UNFINISHED, EXECUTION_STATUS_CHANGE } from "../../../functions/execution-watch/event.js";
import { EnvNames } from "../../../functions/shared/env.js";
import { coreFunctions } from "../catalog.js";
import { acknowledge, wildcardResourceFinding } from "../nag.js";
import type { PlaybookMachine } from "./playbook-machines.js";
import { QuellFunction, type SecretLookup } from "./quell-function.js";

/**
 * What the watch does to the incident table: reads the incident's partition (Query), an undo's run (GetItem),
 * keeps the interruption and a timeline entry (PutItem), expires approvals and moves the incident (UpdateItem).
 */
export const EXECUTION_WATCH_TABLE_ACTIONS = [
  "dynamodb:GetItem",
  "dynamodb:PutItem",
  "dynamodb:Query",
  "dynamodb:UpdateItem",
] as const;

export interface ExecutionWatchProps {
  readonly table: ITable;
  readonly secretLookup: SecretLookup;
  /** Every playbook machine and the undo machine: the rule matches their executions only. */
  readonly machines: readonly PlaybookMachine[];
  /** Quell's bus: the watch tells Slack (through the notifier) what it recorded. */
  readonly bus: IEventBus;
}

/**
 * The AWS counterpart of the local runtime's recovery: a rule on the account's default bus sends each of Quell's
 * executions that failed, timed out or was aborted to the execution watch, which marks its incident
 * `interrupted` (or its undo failed) so nothing waits for it for ever (functions/execution-watch).
 */
export class ExecutionWatch extends Construct {
  readonly watch: QuellFunction;
  readonly rule: Rule;

  constructor(scope: Construct, id: string, { table, secretLookup, machines, bus }: ExecutionWatchProps) {
    super(scope, id);
    const spec = coreFunctions.executionWatch;
    const stack = Stack.of(this);
    this.watch = new QuellFunction(this, "ExecutionWatch", {
      entry: spec.entry,
      description: spec.description,
      timeout: Duration.seconds(spec.timeoutSeconds),
      environment: {
        [EnvNames.tableName]: table.tableName,
        [EnvNames.playbookArns]: stack.toJsonString(
          Object.fromEntries(machines.map((machine) => [machine.name, machine.stateMachine.stateMachineArn])),
        ),
      },
      secrets: spec.secrets,
      secretLookup,
      asyncInvoked: true,
    });
    this.watch.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: [...EXECUTION_WATCH_TABLE_ACTIONS], resources: [table.tableArn] }),
    );
    this.watch.publishesTo(bus);
    // The input an event left out (too large for EventBridge): of Quell's own executions only. An execution's
    // ARN is `…:execution:<machine>:<name>`: the machine's executions are all its names.
    const executions = machines.map((machine) =>
      stack.formatArn({
        service: "states",
        resource: "execution",
        resourceName: `${machine.stateMachine.stateMachineName}:*`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
    );
    this.watch.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ["states:DescribeExecution"], resources: executions }),
    );
    for (const arn of executions) {
      acknowledge(
        this.watch.role,
        wildcardResourceFinding(this.watch.role, arn),
        "states:DescribeExecution on the executions of one of Quell's own state machines (any execution name: " +
          "the incident's, a rerun's or an undo's); nothing else of Step Functions is readable",
      );
    }

    // Step Functions puts its status changes on the account's default bus; only AWS may use an `aws.` source.
    this.rule = new Rule(this, "ExecutionEnded", {
      eventBus: EventBus.fromEventBusName(this, "DefaultBus", "default"),
      description: "Quell: its playbook and undo executions that failed, timed out or were aborted",
      eventPattern: {
        source: [EXECUTION_STATUS_CHANGE.source],
        detailType: [EXECUTION_STATUS_CHANGE.detailType],
        detail: {
          status: [...ENDED_UNFINISHED],
          stateMachineArn: machines.map((machine) => machine.stateMachine.stateMachineArn),
        },
      },
    });
    this.rule.addTarget(
      new LambdaFunction(this.watch.fn, {
        // Events EventBridge could not deliver land where the function's failed invocations do.
        deadLetterQueue: this.watch.failureQueue,
        retryAttempts: 8,
        maxEventAge: Duration.hours(24),
      }),
    );
  }
}
