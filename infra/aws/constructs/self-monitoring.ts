import { CfnOutput, Duration, Stack } from "aws-cdk-lib";
import { Alarm, ComparisonOperator, type IMetric, Stats, TreatMissingData } from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import { EventBus, EventField, Rule, RuleTargetInput } from "aws-cdk-lib/aws-events";
import { PolicyStatement, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { FunctionUrl } from "aws-cdk-lib/aws-lambda";
import { Topic } from "aws-cdk-lib/aws-sns";
import { EmailSubscription } from "aws-cdk-lib/aws-sns-subscriptions";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import { StateMachine } from "aws-cdk-lib/aws-stepfunctions";
import { Construct, type IConstruct } from "constructs";
import { acknowledge } from "../nag.js";
import { FAILURE_RETENTION, FailureQueue } from "./failure-queue.js";
import { QuellFunction } from "./quell-function.js";

/** A failed delivery this old raises an alarm: 11 days before SQS deletes it (FAILURE_RETENTION, 14 days). */
export const FAILURE_AGE_ALARM = Duration.days(3);

/** The execution outcomes that leave an incident half-handled (Step Functions Execution Status Change). */
export const ENDED_WITHOUT_FINISHING = ["FAILED", "TIMED_OUT", "ABORTED"] as const;

/**
 * State machine ARNs per execution rule: an event pattern may hold 2,048 characters (EventBridge's default
 * quota) and an ARN up to ~130, so a stack with more machines gets a second rule (rules cost nothing).
 */
export const MACHINES_PER_RULE = 10;

/** The redrive command, as the stack output `RedriveCommand` and the failure alarms' descriptions give it. */
export const REDRIVE_COMMAND = "npm run quell -- redrive --aws --queue";

export const SNS2_REASON =
  "Not encrypted at rest on purpose: CloudWatch alarms and EventBridge cannot publish to a topic encrypted " +
  "with the AWS managed key aws/sns, and a customer managed key costs $1 a month, twice Quell's whole idle " +
  "budget ($0.50). Nothing sensitive is published: alarm names, states and descriptions, and for a playbook " +
  "execution only its status, name (the incident id), state machine ARN and a console link (the input " +
  "transformer selects those fields; never the execution's input, output, error or cause, never alert " +
  "content or secrets). The topic refuses plain HTTP (SNS3) and only this account's alarms and Quell's own " +
  "rules may publish.";

const PERIOD = Duration.minutes(5);

export interface SelfMonitoringProps {
  /** Subscribed to the topic by email (each address confirms the subscription once). */
  readonly alarmEmails: readonly string[];
}

/** The path below the stack as people read it in the console: `Intake/Ingest`. */
const pathOf = (construct: IConstruct) => construct.node.path.slice(Stack.of(construct).node.path.length + 1);

/** `Intake/Ingest` -> `IntakeIngest`. */
const pathId = (construct: IConstruct) => pathOf(construct).replace(/[^A-Za-z0-9]/g, "");

/**
 * Quell watching itself within an idle budget: one SNS topic the configuration's addresses are subscribed to,
 * fed by at most four CloudWatch alarms ($0.10 a month each) and by free EventBridge rules:
 * - the stack's FailureQueue (every asynchronous function's failed invocations, every rule's undeliverable
 *   events): one alarm on any message waiting, one on a message 3 days old (SQS deletes it at 14);
 * - every Function URL (ingest, Slack): one alarm on 5xx answers;
 * - every state machine (each playbook, undo): an EventBridge rule on Step Functions' own status-change events
 *   for FAILED, TIMED_OUT and ABORTED executions, with a readable message and a console link, at no cost.
 * An action's failure shows up as its execution's failure (or on the incident timeline when the playbook
 * catches it); throttled asynchronous invocations are retried by Lambda and reach the failure queue after their
 * maximum event age; a throttled Function URL answers 429 to its caller (README, self-monitoring).
 *
 * Everything is found by walking the stack's construct tree, so a new function, URL or playbook is watched
 * without an edit here. Build it last in the stack: what is added after it is not seen.
 */
export class SelfMonitoring extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];
  /** The rules that tell the topic about executions that ended without finishing (one per 10 machines). */
  readonly executionRules: Rule[] = [];

  constructor(scope: Construct, id: string, { alarmEmails }: SelfMonitoringProps) {
    super(scope, id);
    const stack = Stack.of(this);

    this.topic = new Topic(this, "Topic", { displayName: "Quell alarms", enforceSSL: true });
    acknowledge(this.topic, "AwsSolutions-SNS2", SNS2_REASON);
    // The topic policy replaces SNS's default one: say that this account's alarms may publish.
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal("cloudwatch.amazonaws.com")],
        actions: ["sns:Publish"],
        resources: [this.topic.topicArn],
        conditions: {
          ArnLike: {
            "aws:SourceArn": `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:*`,
          },
          StringEquals: { "aws:SourceAccount": stack.account },
        },
      }),
    );
    for (const email of alarmEmails) this.topic.addSubscription(new EmailSubscription(email));

    const constructs = stack.node.findAll();
    const failures = FailureQueue.find(this);
    if (failures) this.watchFailures(failures.queue);
    for (const fn of constructs.filter((c): c is QuellFunction => c instanceof QuellFunction)) {
      if (fn.node.findAll().some((child) => child instanceof FunctionUrl)) this.watchFunctionUrl(fn);
    }
    this.watchExecutions(constructs.filter((c): c is StateMachine => c instanceof StateMachine));

    new CfnOutput(stack, "AlarmTopicArn", {
      value: this.topic.topicArn,
      description:
        "Quell's own alarms: subscribe an email address or a Slack channel (README, self-monitoring)",
    });
  }

  private watchFailures(queue: IQueue): void {
    const redrive = `${REDRIVE_COMMAND} ${queue.queueUrl}`;
    this.alarm({
      id: "FailuresWaiting",
      metric: queue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: Stats.MAXIMUM }),
      threshold: 1,
      description:
        "Quell: a delivery failed for good and waits in Quell's failure queue: a function failed on an event " +
        "after Lambda's retries (or was throttled past its maximum event age), or EventBridge could not deliver " +
        "an event to it, so an alert was not triaged or a Slack notice not posted. List them with " +
        `${redrive} --dry-run (each line names the function and the error; its log group has the rest), fix ` +
        `the cause, then redrive without --dry-run. They are deleted after ${FAILURE_RETENTION.toDays()} days.`,
    });
    this.alarm({
      id: "FailuresAging",
      metric: queue.metricApproximateAgeOfOldestMessage({ period: PERIOD, statistic: Stats.MAXIMUM }),
      threshold: FAILURE_AGE_ALARM.toSeconds(),
      description:
        `Quell: the oldest failed delivery in Quell's failure queue is ${FAILURE_AGE_ALARM.toDays()} days old; ` +
        `SQS deletes it at ${FAILURE_RETENTION.toDays()} days and the event is then lost. Redrive now (${redrive}), ` +
        "or read it (--dry-run) and decide it can go.",
    });
    new CfnOutput(Stack.of(this), "RedriveCommand", {
      value: redrive,
      description:
        "Deliver Quell's failed deliveries again, each to the function it failed in (add --dry-run to list them)",
    });
  }

  /** A function serving a Function URL (ingest, Slack): a 5xx is a sender told to retry, not a Lambda error. */
  private watchFunctionUrl(fn: QuellFunction): void {
    this.alarm({
      id: `${pathId(fn)}Url5xx`,
      metric: fn.fn.metric("Url5xxCount", { period: PERIOD, statistic: Stats.SUM }),
      threshold: 1,
      description:
        `Quell: the Function URL of ${pathOf(fn)} answered 5xx: a webhook sender (or Slack) was told to retry ` +
        'and some give up. Read the function\'s log group ("level":"ERROR" lines; ingest logs "ingest failed" ' +
        "with the error: the bus or the table did not answer) and fix the cause. A flood beyond the reserved " +
        "concurrency is answered 429, not 5xx.",
    });
  }

  /**
   * Step Functions puts an event on the default bus whenever an execution changes status (free, no setup); a
   * rule per ten machines sends the ones that ended without finishing to the topic, as one readable line made of
   * the event's status, execution name, machine ARN and region only.
   */
  private watchExecutions(machines: readonly StateMachine[]): void {
    if (machines.length === 0) return;
    const status = EventField.fromPath("$.detail.status");
    const name = EventField.fromPath("$.detail.name");
    const machine = EventField.fromPath("$.detail.stateMachineArn");
    const execution = EventField.fromPath("$.detail.executionArn");
    const region = EventField.fromPath("$.region");
    const message = RuleTargetInput.fromText(
      `Quell: a playbook execution ended ${status} and its incident may be half-handled. ` +
        `Execution ${name} (its name is the incident id) of the state machine ${machine}. ` +
        `Open it: https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${execution} ` +
        "- read the failed step there and the incident's Slack thread, fix the cause, then /quell rerun or act by hand.",
    );
    const defaultBus = EventBus.fromEventBusName(this, "DefaultBus", "default");
    for (let first = 0; first < machines.length; first += MACHINES_PER_RULE) {
      const group = machines.slice(first, first + MACHINES_PER_RULE);
      const index = first / MACHINES_PER_RULE;
      const rule = new Rule(this, index === 0 ? "ExecutionsEnded" : `ExecutionsEnded${index + 1}`, {
        eventBus: defaultBus,
        description: "Quell: a playbook execution failed, timed out or was stopped: tell the alarm topic",
        eventPattern: {
          source: ["aws.states"],
          detailType: ["Step Functions Execution Status Change"],
          detail: {
            status: [...ENDED_WITHOUT_FINISHING],
            stateMachineArn: group.map((m) => m.stateMachineArn),
          },
        },
      });
      // The topic itself as the target, with a policy statement for this rule only (the SnsTopic target would
      // let any rule of any account publish).
      rule.addTarget({ bind: () => ({ arn: this.topic.topicArn, input: message }) });
      this.topic.addToResourcePolicy(
        new PolicyStatement({
          principals: [new ServicePrincipal("events.amazonaws.com")],
          actions: ["sns:Publish"],
          resources: [this.topic.topicArn],
          conditions: { ArnEquals: { "aws:SourceArn": rule.ruleArn } },
        }),
      );
      this.executionRules.push(rule);
    }
  }

  private alarm({
    id,
    metric,
    threshold,
    description,
  }: {
    id: string;
    metric: IMetric;
    threshold: number;
    description: string;
  }): void {
    const alarm = new Alarm(this, id, {
      metric,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // These metrics are sparse: no data means nothing failed, not that something is wrong.
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: description.slice(0, 1024),
    });
    const action = new SnsAction(this.topic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    this.alarms.push(alarm);
  }
}
