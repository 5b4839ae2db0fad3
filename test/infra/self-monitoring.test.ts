import { App, Duration, Stack } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { FunctionUrlAuthType } from "aws-cdk-lib/aws-lambda";
import { DefinitionBody, Pass, StateMachine } from "aws-cdk-lib/aws-stepfunctions";
import { AwsSolutionsChecks } from "cdk-nag";
import { beforeAll, describe, expect, it } from "vitest";
import { QuellFunction } from "../../infra/aws/constructs/quell-function.js";
import { SelfMonitoring } from "../../infra/aws/constructs/self-monitoring.js";
import { compiledMachines } from "../../playbooks/machines.js";
import {
  type CfnTemplate,
  logicalIdOf,
  type SynthesizedQuell,
  synthQuell,
  TEST_CONFIG,
} from "./quell-app.js";

/** Issue 12, self-monitoring: an alarm on every DLQ, state machine, function and Function URL, to one topic. */

let quell: SynthesizedQuell;
beforeAll(() => {
  quell = synthQuell();
});

type Resource = CfnTemplate["Resources"][string];
interface AlarmProps {
  MetricName: string;
  Namespace: string;
  Dimensions: { Name: string; Value: unknown }[];
  Threshold: number;
  ComparisonOperator: string;
  TreatMissingData: string;
  AlarmActions: unknown[];
  OKActions: unknown[];
  AlarmDescription: string;
  Statistic: string;
}

const FOURTEEN_DAYS = 14 * 24 * 3600;
const THREE_DAYS = 3 * 24 * 3600;

const resourcesOf = (template: CfnTemplate, type: string): [string, Resource][] =>
  Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
const alarmsIn = (template: CfnTemplate) =>
  resourcesOf(template, "AWS::CloudWatch::Alarm").map(
    ([, alarm]) => alarm.Properties as unknown as AlarmProps,
  );
const topicId = (template: CfnTemplate) => {
  const topics = resourcesOf(template, "AWS::SNS::Topic");
  expect(topics).toHaveLength(1);
  return topics[0]?.[0] ?? "";
};

/** The alarms on `metric` whose one dimension `dimension` is `value` (a Ref or GetAtt of the watched resource). */
const alarmsOn = (template: CfnTemplate, metric: string, dimension: string, value: unknown) =>
  alarmsIn(template).filter(
    (alarm) =>
      alarm.MetricName === metric &&
      alarm.Dimensions.length === 1 &&
      alarm.Dimensions[0]?.Name === dimension &&
      JSON.stringify(alarm.Dimensions[0]?.Value) === JSON.stringify(value),
  );

/** Exactly one alarm on the metric of the resource, ≥ threshold, missing data fine, alarm and OK to the topic. */
function expectOneAlarm(
  template: CfnTemplate,
  metric: string,
  dimension: string,
  value: unknown,
  threshold: number,
): AlarmProps {
  const found = alarmsOn(template, metric, dimension, value);
  expect(found, `${metric} alarm on ${JSON.stringify(value)}`).toHaveLength(1);
  const alarm = found[0] as AlarmProps;
  const topic = { Ref: topicId(template) };
  expect(alarm).toMatchObject({
    Threshold: threshold,
    ComparisonOperator: "GreaterThanOrEqualToThreshold",
    TreatMissingData: "notBreaching",
    AlarmActions: [topic],
    OKActions: [topic],
  });
  expect(alarm.AlarmDescription).toMatch(/^Quell: .{80,}/);
  return alarm;
}

describe("self-monitoring alarms in the synthesized logic stack", () => {
  it("has an Errors and a Throttles alarm on every Lambda function of the stack", () => {
    const functions = resourcesOf(quell.raw.logic, "AWS::Lambda::Function");
    // Every core function and one per action: a new action is watched without an edit to the construct.
    expect(functions.length).toBeGreaterThanOrEqual(
      quell.logic.actions.node.findAll().filter((c) => c instanceof QuellFunction).length + 5,
    );
    for (const [id] of functions) {
      expect(expectOneAlarm(quell.raw.logic, "Errors", "FunctionName", { Ref: id }, 1).Namespace).toBe(
        "AWS/Lambda",
      );
      expectOneAlarm(quell.raw.logic, "Throttles", "FunctionName", { Ref: id }, 1);
    }
  });

  it("has failed, timed-out and aborted alarms on every state machine (each playbook and undo)", () => {
    const machines = resourcesOf(quell.raw.logic, "AWS::StepFunctions::StateMachine");
    expect(machines).toHaveLength(compiledMachines().length);
    for (const [id] of machines) {
      for (const metric of ["ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted"]) {
        expect(expectOneAlarm(quell.raw.logic, metric, "StateMachineArn", { Ref: id }, 1).Namespace).toBe(
          "AWS/States",
        );
      }
    }
  });

  it("keeps every dead letter 14 days and alarms on any dead letter and on one 3 days old", () => {
    const queues = resourcesOf(quell.raw.logic, "AWS::SQS::Queue");
    expect(queues.map(([id]) => id).sort()).toEqual(
      [quell.logic.intake.triage, quell.logic.notifier.notifier]
        .map((fn) => logicalIdOf(fn.deadLetterQueue as never))
        .sort(),
    );
    for (const [id, queue] of queues) {
      expect(queue.Properties?.MessageRetentionPeriod).toBe(FOURTEEN_DAYS);
      const name = { "Fn::GetAtt": [id, "QueueName"] };
      expectOneAlarm(quell.raw.logic, "ApproximateNumberOfMessagesVisible", "QueueName", name, 1);
      const age = expectOneAlarm(
        quell.raw.logic,
        "ApproximateAgeOfOldestMessage",
        "QueueName",
        name,
        THREE_DAYS,
      );
      expect(age.Threshold).toBeLessThan(FOURTEEN_DAYS / 2);
      expect(age.AlarmDescription).toContain("npm run quell -- redrive --aws");
    }
  });

  it("alarms on the 5xx answers of the ingest and Slack Function URLs", () => {
    for (const fn of [quell.logic.intake.ingest, quell.logic.slack.slack]) {
      expectOneAlarm(quell.raw.logic, "Url5xxCount", "FunctionName", { Ref: logicalIdOf(fn.fn) }, 1);
    }
    expect(alarmsIn(quell.raw.logic).filter((alarm) => alarm.MetricName === "Url5xxCount")).toHaveLength(2);
  });

  it("has no alarm that points anywhere but the topic", () => {
    const topic = { Ref: topicId(quell.raw.logic) };
    const alarms = alarmsIn(quell.raw.logic);
    expect(alarms.length).toBeGreaterThan(30);
    for (const alarm of alarms) {
      expect(alarm.AlarmActions).toEqual([topic]);
      expect(alarm.OKActions).toEqual([topic]);
    }
  });

  it("encrypts the topic with its own rotated key that CloudWatch may use, refuses plain HTTP, and subscribes the configured emails", () => {
    const template = Template.fromJSON(quell.raw.logic);
    const [keyId] = resourcesOf(quell.raw.logic, "AWS::KMS::Key")[0] ?? [];
    template.hasResourceProperties("AWS::SNS::Topic", { KmsMasterKeyId: { "Fn::GetAtt": [keyId, "Arn"] } });
    template.hasResourceProperties("AWS::KMS::Key", {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: "Allow",
            Principal: { Service: "cloudwatch.amazonaws.com" },
            Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
          }),
        ]),
      },
    });
    const policies = resourcesOf(quell.raw.logic, "AWS::SNS::TopicPolicy");
    expect(policies).toHaveLength(1);
    const document = policies[0]?.[1].Properties?.PolicyDocument as
      | { Statement: Record<string, unknown>[] }
      | undefined;
    const statements = document?.Statement ?? [];
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: "Deny",
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: "Allow",
        Action: "sns:Publish",
        Principal: { Service: "cloudwatch.amazonaws.com" },
      }),
    );
    const subscriptions = resourcesOf(quell.raw.logic, "AWS::SNS::Subscription").map(([, s]) => s.Properties);
    expect(subscriptions).toEqual(
      TEST_CONFIG.alarmEmails.map((email) =>
        expect.objectContaining({
          Protocol: "email",
          Endpoint: email,
          TopicArn: { Ref: topicId(quell.raw.logic) },
        }),
      ),
    );
  });

  it("outputs the topic ARN and a redrive command per dead-letter queue", () => {
    const outputs = quell.raw.logic.Outputs ?? {};
    expect(outputs.AlarmTopicArn?.Value).toEqual({ Ref: topicId(quell.raw.logic) });
    const redrives = Object.keys(outputs).filter((name) => name.startsWith("Redrive"));
    expect(redrives).toHaveLength(resourcesOf(quell.raw.logic, "AWS::SQS::Queue").length);
    const triage = JSON.stringify(outputs[`Redrive${"IntakeTriage"}`]?.Value);
    expect(triage).toContain("npm run quell -- redrive --aws --queue ");
    expect(triage).toContain(logicalIdOf(quell.logic.intake.triage.deadLetterQueue as never));
    expect(triage).toContain(logicalIdOf(quell.logic.intake.triage.fn));
  });
});

describe("SelfMonitoring on a stack of its own", () => {
  /** A stack with one asynchronously invoked function and one state machine, built before the monitoring. */
  function smallStack(alarmEmails: readonly string[]) {
    const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
    const stack = new Stack(app, "Watched", { env: { account: "123456789012", region: "eu-west-1" } });
    const fn = new QuellFunction(stack, "NewAction", {
      entry: "functions/recorder/handler.ts",
      description: "a function added later",
      timeout: Duration.seconds(10),
      secretLookup: {
        parameterName: () => {
          throw new Error("no secrets here");
        },
      },
      asyncInvoked: true,
    });
    fn.fn.addFunctionUrl({ authType: FunctionUrlAuthType.AWS_IAM });
    new StateMachine(stack, "NewPlaybook", {
      definitionBody: DefinitionBody.fromChainable(new Pass(stack, "Do")),
    });
    const monitoring = new SelfMonitoring(stack, "Monitoring", { alarmEmails });
    return {
      app,
      stack,
      fn,
      monitoring,
      template: app.synth().getStackByName("Watched").template as CfnTemplate,
    };
  }

  it("watches a function, its DLQ and URL, and a state machine it was never told about", () => {
    const { template, fn, monitoring } = smallStack([]);
    const fnRef = { Ref: logicalIdOf(fn.fn) };
    expectOneAlarm(template, "Errors", "FunctionName", fnRef, 1);
    expectOneAlarm(template, "Throttles", "FunctionName", fnRef, 1);
    expectOneAlarm(template, "Url5xxCount", "FunctionName", fnRef, 1);
    const queueName = { "Fn::GetAtt": [logicalIdOf(fn.deadLetterQueue as never), "QueueName"] };
    expectOneAlarm(template, "ApproximateNumberOfMessagesVisible", "QueueName", queueName, 1);
    expectOneAlarm(template, "ApproximateAgeOfOldestMessage", "QueueName", queueName, THREE_DAYS);
    const [machineId] = resourcesOf(template, "AWS::StepFunctions::StateMachine")[0] ?? [];
    for (const metric of ["ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted"]) {
      expectOneAlarm(template, metric, "StateMachineArn", { Ref: machineId }, 1);
    }
    expect(monitoring.alarms).toHaveLength(8);
    expect(alarmsIn(template)).toHaveLength(8);
  });

  it("subscribes nobody when the configuration names no email, and passes cdk-nag", () => {
    const { app, template } = smallStack([]);
    expect(resourcesOf(template, "AWS::SNS::Subscription")).toEqual([]);
    const violations = new AwsSolutionsChecks(undefined, { verbose: true })
      .validateScope(app)
      .violations.filter((violation) =>
        violation.violatingResources.some((resource) =>
          (resource.constructPath ?? "").includes("/Monitoring/"),
        ),
      )
      .map((violation) => violation.ruleName);
    expect(violations).toEqual([]);
  });
});
