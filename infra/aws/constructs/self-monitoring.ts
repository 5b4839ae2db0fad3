import { CfnOutput, Duration, RemovalPolicy, Stack } from "aws-cdk-lib";
import { Alarm, ComparisonOperator, type IMetric, Stats, TreatMissingData } from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import { PolicyStatement, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Key } from "aws-cdk-lib/aws-kms";
import { FunctionUrl } from "aws-cdk-lib/aws-lambda";
import { Topic } from "aws-cdk-lib/aws-sns";
import { EmailSubscription } from "aws-cdk-lib/aws-sns-subscriptions";
import { StateMachine } from "aws-cdk-lib/aws-stepfunctions";
import { Construct, type IConstruct } from "constructs";
import { DEAD_LETTER_RETENTION, QuellFunction } from "./quell-function.js";

/** A dead letter this old raises an alarm: 11 days before SQS deletes it (DEAD_LETTER_RETENTION, 14 days). */
export const DEAD_LETTER_AGE_ALARM = Duration.days(3);

const PERIOD = Duration.minutes(5);

export interface SelfMonitoringProps {
  /** Subscribed to the alarm topic by email (each address confirms the subscription once). */
  readonly alarmEmails: readonly string[];
}

/** What an alarm watches, why it matters and what to do, as one description. */
interface AlarmSpec {
  readonly id: string;
  readonly metric: IMetric;
  readonly threshold: number;
  readonly description: string;
}

/** A construct's path below its stack as an id: `Intake/Triage` -> `IntakeTriage`. */
function pathId(construct: IConstruct): string {
  const stack = Stack.of(construct);
  return construct.node.scopes
    .slice(stack.node.scopes.length)
    .map((scope) => scope.node.id.replace(/[^A-Za-z0-9]/g, ""))
    .join("");
}

/** The path below the stack as people read it in the console: `Intake/Triage`. */
const pathOf = (construct: IConstruct) => construct.node.path.slice(Stack.of(construct).node.path.length + 1);

/**
 * Quell watching itself: an SNS topic (encrypted with its own key, which CloudWatch may use; HTTPS only) that
 * the configuration's addresses are subscribed to, and an alarm, with an OK notice too, on every dead-letter
 * queue's depth and age, every state machine's failed, timed-out and aborted executions, every function's errors
 * and throttles, and every Function URL's 5xx answers.
 *
 * Everything is found by walking the stack's construct tree (QuellFunction, StateMachine, FunctionUrl), so a new
 * action or playbook is watched without an edit here. Build it last in the stack: what is added after it is not
 * seen (test/infra checks that every function, queue and machine of the template has its alarms).
 */
export class SelfMonitoring extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, { alarmEmails }: SelfMonitoringProps) {
    super(scope, id);
    const stack = Stack.of(this);

    // CloudWatch cannot publish to a topic encrypted with the AWS managed key (aws/sns): its key policy cannot
    // let CloudWatch use it. So the topic has a key of its own that CloudWatch may encrypt with.
    const key = new Key(this, "TopicKey", {
      description: "Quell: encrypts the topic of Quell's own alarms",
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    key.grant(new ServicePrincipal("cloudwatch.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey*");

    this.topic = new Topic(this, "Topic", {
      displayName: "Quell alarms",
      masterKey: key,
      enforceSSL: true,
    });
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
    const functions = constructs.filter((c): c is QuellFunction => c instanceof QuellFunction);
    for (const fn of functions) {
      if (fn.deadLetterQueue) this.watchDeadLetters(fn);
      this.watchFunction(fn);
      if (fn.node.findAll().some((child) => child instanceof FunctionUrl)) this.watchFunctionUrl(fn);
    }
    for (const machine of constructs.filter((c): c is StateMachine => c instanceof StateMachine)) {
      this.watchStateMachine(machine);
    }

    new CfnOutput(stack, "AlarmTopicArn", {
      value: this.topic.topicArn,
      description:
        "Quell's own alarms: subscribe an email address or a Slack channel (README, self-monitoring)",
    });
  }

  private watchDeadLetters(fn: QuellFunction): void {
    const queue = fn.deadLetterQueue;
    if (!queue) return;
    const id = pathId(fn);
    const what = `${pathOf(fn)} (${pathOf(queue)})`;
    const redrive = `npm run quell -- redrive --aws --queue <queue url> --function <function name> (the stack output Redrive${id} is the whole command)`;
    this.alarm({
      id: `${id}DeadLetters`,
      metric: queue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: Stats.MAXIMUM }),
      threshold: 1,
      description:
        `Quell: events wait in the dead-letter queue of ${what}: the function failed on them after every retry, ` +
        "so their alerts or notices went nowhere. Read the function's logs for the error (the message attributes " +
        `carry it too), fix the cause, then redrive: ${redrive}. Dead letters are deleted after ${DEAD_LETTER_RETENTION.toDays()} days.`,
    });
    this.alarm({
      id: `${id}DeadLettersAge`,
      metric: queue.metricApproximateAgeOfOldestMessage({ period: PERIOD, statistic: Stats.MAXIMUM }),
      threshold: DEAD_LETTER_AGE_ALARM.toSeconds(),
      description:
        `Quell: the oldest dead letter of ${what} is ${DEAD_LETTER_AGE_ALARM.toDays()} days old; SQS deletes it at ` +
        `${DEAD_LETTER_RETENTION.toDays()} days and the event is then lost. Redrive now, or read it and decide it ` +
        `can go: ${redrive}.`,
    });
    new CfnOutput(Stack.of(this), `Redrive${id}`, {
      value: `npm run quell -- redrive --aws --queue ${queue.queueUrl} --function ${fn.fn.functionName}`,
      description: `Deliver the dead letters of ${pathOf(fn)} again (add --dry-run to list them first)`,
    });
  }

  private watchFunction(fn: QuellFunction): void {
    const id = pathId(fn);
    this.alarm({
      id: `${id}Errors`,
      metric: fn.fn.metricErrors({ period: PERIOD, statistic: Stats.SUM }),
      threshold: 1,
      description:
        `Quell: the function ${pathOf(fn)} failed (Errors). Its log group has the error line ("level":"ERROR" or ` +
        "the runtime's report). A playbook step that failed is on the incident's timeline; an event the bus " +
        "delivered is retried, then lands in the dead-letter queue (its own alarm). Fix the cause; redrive if needed.",
    });
    this.alarm({
      id: `${id}Throttles`,
      metric: fn.fn.metricThrottles({ period: PERIOD, statistic: Stats.SUM }),
      threshold: 1,
      description:
        `Quell: Lambda throttled the function ${pathOf(fn)}: the account's (or its reserved) concurrency is used up. ` +
        "Asynchronous events are retried, webhooks answered 429 or 5xx. Check what else uses the account's " +
        "concurrency (Lambda console, ConcurrentExecutions) and ask for a higher quota if Quell needs it.",
    });
  }

  private watchStateMachine(machine: StateMachine): void {
    const id = pathId(machine);
    const name = pathOf(machine);
    const outcomes = [
      ["Failed", machine.metricFailed({ period: PERIOD, statistic: Stats.SUM }), "failed"],
      ["TimedOut", machine.metricTimedOut({ period: PERIOD, statistic: Stats.SUM }), "timed out"],
      ["Aborted", machine.metricAborted({ period: PERIOD, statistic: Stats.SUM }), "was stopped (aborted)"],
    ] as const;
    for (const [suffix, metric, what] of outcomes) {
      this.alarm({
        id: `${id}Executions${suffix}`,
        metric,
        threshold: 1,
        description:
          `Quell: an execution of the playbook state machine ${name} ${what}, so its incident may be left ` +
          "half-handled. Open the execution in the Step Functions console (its name is the incident id), read " +
          "the incident (Slack thread or the timeline), then rerun with /quell rerun or handle it by hand.",
      });
    }
  }

  /** A function serving a Function URL (ingest, Slack): a 5xx is a sender told to retry, not a Lambda error. */
  private watchFunctionUrl(fn: QuellFunction): void {
    this.alarm({
      id: `${pathId(fn)}Url5xx`,
      metric: fn.fn.metric("Url5xxCount", { period: PERIOD, statistic: Stats.SUM }),
      threshold: 1,
      description:
        `Quell: the Function URL of ${pathOf(fn)} answered 5xx: a webhook sender (or Slack) was told to retry ` +
        'and some give up. Read the function\'s logs (ingest logs "ingest failed" with the error: the bus or the ' +
        "table did not answer); check the function's Errors and Throttles alarms.",
    });
  }

  private alarm({ id, metric, threshold, description }: AlarmSpec): void {
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
