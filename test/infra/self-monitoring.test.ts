import { App, Duration, Stack } from "aws-cdk-lib";
import { FunctionUrlAuthType } from "aws-cdk-lib/aws-lambda";
import { DefinitionBody, Pass, StateMachine } from "aws-cdk-lib/aws-stepfunctions";
import { AwsSolutionsChecks } from "cdk-nag";
import type { IConstruct } from "constructs";
import { beforeAll, describe, expect, it } from "vitest";
import { FailureQueue } from "../../infra/aws/constructs/failure-queue.js";
import { QuellFunction } from "../../infra/aws/constructs/quell-function.js";
import { ENDED_WITHOUT_FINISHING, SelfMonitoring } from "../../infra/aws/constructs/self-monitoring.js";
import {
  type CfnTemplate,
  logicalIdOf,
  type SynthesizedQuell,
  synthQuell,
  TEST_CONFIG,
} from "./quell-app.js";

/**
 * Issue 12, self-monitoring within the idle budget: one failure queue for every asynchronous delivery, at most
 * four alarms, a free EventBridge rule for failed, timed-out and aborted executions, one unencrypted (SSL-only)
 * topic that carries nothing sensitive. The idle cost itself: test/infra/idle-cost.test.ts.
 */

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
  AlarmDescription: unknown;
}
interface Target {
  Arn: unknown;
  DeadLetterConfig?: { Arn: unknown };
  InputTransformer?: { InputPathsMap: Record<string, string>; InputTemplate: string };
}

const FOURTEEN_DAYS = 14 * 24 * 3600;
const THREE_DAYS = 3 * 24 * 3600;

const resourcesOf = (template: CfnTemplate, type: string): [string, Resource][] =>
  Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
const propsOf = <T>(resource: Resource | undefined) => (resource?.Properties ?? {}) as T;
const alarmsIn = (template: CfnTemplate) =>
  resourcesOf(template, "AWS::CloudWatch::Alarm").map(([, alarm]) => propsOf<AlarmProps>(alarm));
const onlyOne = (template: CfnTemplate, type: string): [string, Resource] => {
  const found = resourcesOf(template, type);
  expect(found, type).toHaveLength(1);
  return found[0] as [string, Resource];
};
const topicRef = (template: CfnTemplate) => ({ Ref: onlyOne(template, "AWS::SNS::Topic")[0] });
const queueId = (template: CfnTemplate) => onlyOne(template, "AWS::SQS::Queue")[0];
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** A CloudFormation string as text: literal parts kept, each Ref or GetAtt as `<Id>`. */
function text(value: unknown): string {
  if (typeof value === "string") return value;
  const node = value as Record<string, unknown>;
  if ("Ref" in node) return `<${String(node.Ref)}>`;
  if ("Fn::GetAtt" in node) return `<${(node["Fn::GetAtt"] as string[]).join(".")}>`;
  const join = node["Fn::Join"] as [string, unknown[]] | undefined;
  if (join) return join[1].map(text).join(join[0]);
  throw new Error(`not a string: ${JSON.stringify(value)}`);
}

/** Exactly one alarm on the metric of the resource, ≥ threshold, missing data fine, alarm and OK to the topic. */
function expectOneAlarm(
  template: CfnTemplate,
  metric: string,
  dimension: string,
  value: unknown,
  threshold: number,
): AlarmProps {
  const found = alarmsIn(template).filter(
    (alarm) =>
      alarm.MetricName === metric &&
      alarm.Dimensions.length === 1 &&
      alarm.Dimensions[0]?.Name === dimension &&
      same(alarm.Dimensions[0]?.Value, value),
  );
  expect(found, `${metric} alarm on ${JSON.stringify(value)}`).toHaveLength(1);
  const alarm = found[0] as AlarmProps;
  const topic = topicRef(template);
  expect(alarm).toMatchObject({
    Threshold: threshold,
    ComparisonOperator: "GreaterThanOrEqualToThreshold",
    TreatMissingData: "notBreaching",
    AlarmActions: [topic],
    OKActions: [topic],
  });
  const description = text(alarm.AlarmDescription);
  expect(description).toMatch(/^Quell: .{80,}/);
  // CloudFormation's limit, with room for each reference (a queue URL) to resolve to 150 characters.
  expect(description.replace(/<[A-Za-z0-9.]+>/g, "x".repeat(150)).length).toBeLessThanOrEqual(1024);
  return alarm;
}

/** The targets of every rule of the template, with the rule's id. */
const ruleTargets = (template: CfnTemplate) =>
  resourcesOf(template, "AWS::Events::Rule").flatMap(([id, rule]) =>
    (propsOf<{ Targets?: Target[] }>(rule).Targets ?? []).map((target) => ({ rule: id, target })),
  );

describe("self-monitoring of the synthesized logic stack", () => {
  it("has four alarms: failures waiting, failures 3 days old, ingest URL 5xx, Slack URL 5xx", () => {
    const logic = quell.raw.logic;
    expect(alarmsIn(logic)).toHaveLength(4);
    expect(quell.logic.monitoring.alarms).toHaveLength(4);
    const queueName = { "Fn::GetAtt": [queueId(logic), "QueueName"] };
    const waiting = expectOneAlarm(logic, "ApproximateNumberOfMessagesVisible", "QueueName", queueName, 1);
    const aging = expectOneAlarm(logic, "ApproximateAgeOfOldestMessage", "QueueName", queueName, THREE_DAYS);
    expect(aging.Threshold).toBeLessThan(FOURTEEN_DAYS / 2);
    for (const alarm of [waiting, aging]) {
      expect(alarm.Namespace).toBe("AWS/SQS");
      expect(text(alarm.AlarmDescription)).toContain(
        `npm run quell -- redrive --aws --queue <${queueId(logic)}>`,
      );
    }
    for (const fn of [quell.logic.intake.ingest, quell.logic.slack.slack]) {
      const alarm = expectOneAlarm(logic, "Url5xxCount", "FunctionName", { Ref: logicalIdOf(fn.fn) }, 1);
      expect(alarm.Namespace).toBe("AWS/Lambda");
    }
    expect(resourcesOf(logic, "AWS::Lambda::Url")).toHaveLength(2);
  });

  it("sends every asynchronous function's failures to the one failure queue: no dead-letter queue is left", () => {
    const logic = quell.raw.logic;
    const queue = queueId(logic);
    expect(propsOf<Record<string, unknown>>(logic.Resources[queue])).toMatchObject({
      MessageRetentionPeriod: FOURTEEN_DAYS,
      SqsManagedSseEnabled: true,
    });
    const queueArn = { "Fn::GetAtt": [queue, "Arn"] };
    for (const [, fn] of resourcesOf(logic, "AWS::Lambda::Function")) {
      expect(fn.Properties?.DeadLetterConfig).toBeUndefined();
    }

    // Every function a rule invokes is asynchronous, and each has the queue as its on-failure destination.
    const invokedByRules = new Set(
      ruleTargets(logic)
        .map(({ target }) => target.Arn as { "Fn::GetAtt"?: [string, string] })
        .filter((arn) => logic.Resources[arn["Fn::GetAtt"]?.[0] ?? ""]?.Type === "AWS::Lambda::Function")
        .map((arn) => arn["Fn::GetAtt"]?.[0]),
    );
    const asyncFunctions = quell.logic.node
      .findAll()
      .filter((c): c is QuellFunction => c instanceof QuellFunction && c.failureQueue !== undefined);
    expect(asyncFunctions.map((fn) => logicalIdOf(fn.fn)).sort()).toEqual([...invokedByRules].sort());
    expect(asyncFunctions.map((fn) => fn.node.path)).toEqual(
      expect.arrayContaining([quell.logic.intake.triage.node.path, quell.logic.notifier.notifier.node.path]),
    );
    const configs = resourcesOf(logic, "AWS::Lambda::EventInvokeConfig").map(([, c]) => c.Properties ?? {});
    expect(configs).toHaveLength(asyncFunctions.length);
    for (const fn of asyncFunctions) {
      expect(fn.failureQueue).toBe(FailureQueue.find(quell.logic)?.queue);
      expect(configs).toContainEqual({
        FunctionName: { Ref: logicalIdOf(fn.fn) },
        Qualifier: "$LATEST",
        MaximumRetryAttempts: 2,
        MaximumEventAgeInSeconds: 6 * 3600,
        DestinationConfig: { OnFailure: { Destination: queueArn } },
      });
    }

    // Every rule that invokes a function leaves what it could not deliver in the same queue.
    const toFunctions = ruleTargets(logic).filter(({ target }) =>
      invokedByRules.has((target.Arn as { "Fn::GetAtt"?: string[] })["Fn::GetAtt"]?.[0]),
    );
    expect(toFunctions.length).toBeGreaterThanOrEqual(2);
    for (const { rule, target } of toFunctions)
      expect(target.DeadLetterConfig, rule).toEqual({ Arn: queueArn });
  });

  it("refuses plain HTTP on the failure queue", () => {
    const [, policy] = onlyOne(quell.raw.logic, "AWS::SQS::QueuePolicy");
    const statements = propsOf<{ PolicyDocument: { Statement: Record<string, unknown>[] } }>(policy)
      .PolicyDocument.Statement;
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
    );
  });

  it("tells the topic about failed, timed-out and aborted executions of every state machine, in one free rule", () => {
    const logic = quell.raw.logic;
    const machines = resourcesOf(logic, "AWS::StepFunctions::StateMachine").map(([id]) => ({ Ref: id }));
    expect(machines).toHaveLength(quell.logic.playbooks.machines.length);
    // The rules on Step Functions' events that reach the topic (the execution watch has its own, to a function).
    const rules = resourcesOf(logic, "AWS::Events::Rule").filter(
      ([, rule]) =>
        // A schedule rule (the shadow digest's) has no pattern.
        same(propsOf<{ EventPattern?: { source: string[] } }>(rule).EventPattern?.source, ["aws.states"]) &&
        (propsOf<{ Targets?: Target[] }>(rule).Targets ?? []).some((t) => same(t.Arn, topicRef(logic))),
    );
    expect(rules.map(([id]) => id)).toEqual(quell.logic.monitoring.executionRules.map(logicalIdOf));
    expect(rules).toHaveLength(1);
    const props = propsOf<{
      EventBusName: unknown;
      EventPattern: Record<string, unknown>;
      Targets: Target[];
      State: string;
    }>(rules[0]?.[1]);
    expect(props.EventBusName).toBe("default");
    expect(props.State).toBe("ENABLED");
    expect(props.EventPattern).toEqual({
      source: ["aws.states"],
      "detail-type": ["Step Functions Execution Status Change"],
      detail: { status: ["FAILED", "TIMED_OUT", "ABORTED"], stateMachineArn: machines },
    });
    expect(props.Targets).toHaveLength(1);
    const [target] = props.Targets;
    expect(target?.Arn).toEqual(topicRef(logic));
    // Only these fields of the event reach the topic: never the execution's input, output, error or cause.
    expect(Object.values(target?.InputTransformer?.InputPathsMap ?? {}).sort()).toEqual([
      "$.detail.executionArn",
      "$.detail.name",
      "$.detail.stateMachineArn",
      "$.detail.status",
      "$.region",
    ]);
    const template = target?.InputTransformer?.InputTemplate ?? "";
    expect(JSON.parse(template)).toMatch(/^Quell: a playbook execution ended <detail-status> .*incident id/);
    expect(template).toContain(
      "https://<region>.console.aws.amazon.com/states/home?region=<region>#/v2/executions/details/<detail-executionArn>",
    );
    expect(ENDED_WITHOUT_FINISHING).toEqual(["FAILED", "TIMED_OUT", "ABORTED"]);
  });

  it("leaves the topic unencrypted (no KMS key anywhere), SSL only, publishable by this account's alarms and the rule only", () => {
    const logic = quell.raw.logic;
    const [, topic] = onlyOne(logic, "AWS::SNS::Topic");
    expect(topic.Properties?.KmsMasterKeyId).toBeUndefined();
    expect(resourcesOf(logic, "AWS::KMS::Key")).toEqual([]);
    expect(resourcesOf(quell.raw.data, "AWS::KMS::Key")).toEqual([]);
    const [, policy] = onlyOne(logic, "AWS::SNS::TopicPolicy");
    const statements = propsOf<{ PolicyDocument: { Statement: Record<string, unknown>[] } }>(policy)
      .PolicyDocument.Statement;
    const allows = statements.filter((statement) => statement.Effect === "Allow");
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
    );
    expect(allows).toHaveLength(2);
    const cloudwatch = allows.find((s) => same(s.Principal, { Service: "cloudwatch.amazonaws.com" }));
    expect(cloudwatch).toMatchObject({ Action: "sns:Publish", Resource: topicRef(logic) });
    const condition = cloudwatch?.Condition as Record<string, Record<string, unknown>>;
    expect(text(condition.ArnLike?.["aws:SourceArn"])).toBe(
      "arn:<AWS::Partition>:cloudwatch:eu-west-1:123456789012:alarm:*",
    );
    expect(condition.StringEquals).toEqual({ "aws:SourceAccount": "123456789012" });
    const rule = logicalIdOf(quell.logic.monitoring.executionRules[0] as IConstruct);
    expect(allows.find((s) => same(s.Principal, { Service: "events.amazonaws.com" }))).toMatchObject({
      Action: "sns:Publish",
      Resource: topicRef(logic),
      Condition: { ArnEquals: { "aws:SourceArn": { "Fn::GetAtt": [rule, "Arn"] } } },
    });
    const subscriptions = resourcesOf(logic, "AWS::SNS::Subscription").map(([, s]) => s.Properties);
    expect(subscriptions).toEqual(
      TEST_CONFIG.alarmEmails.map((email) =>
        expect.objectContaining({ Protocol: "email", Endpoint: email, TopicArn: topicRef(logic) }),
      ),
    );
  });

  it("outputs the topic ARN and the one redrive command", () => {
    const outputs = quell.raw.logic.Outputs ?? {};
    expect(outputs.AlarmTopicArn?.Value).toEqual(topicRef(quell.raw.logic));
    expect(Object.keys(outputs).filter((name) => name.startsWith("Redrive"))).toEqual(["RedriveCommand"]);
    expect(text(outputs.RedriveCommand?.Value)).toBe(
      `npm run quell -- redrive --aws --queue <${queueId(quell.raw.logic)}>`,
    );
  });
});

describe("SelfMonitoring on a stack of its own", () => {
  const noSecrets = {
    parameterName: () => {
      throw new Error("no secrets here");
    },
  };

  /** Functions and machines it was never told about, built before the monitoring. */
  function smallStack(alarmEmails: readonly string[], machineCount = 1) {
    const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
    const stack = new Stack(app, "Watched", { env: { account: "123456789012", region: "eu-west-1" } });
    const fn = new QuellFunction(stack, "NewAction", {
      entry: "functions/recorder/handler.ts",
      description: "a function added later",
      timeout: Duration.seconds(10),
      secretLookup: noSecrets,
      asyncInvoked: true,
    });
    fn.fn.addFunctionUrl({ authType: FunctionUrlAuthType.AWS_IAM });
    const other = new QuellFunction(stack, "AnotherAsync", {
      entry: "functions/recorder/handler.ts",
      description: "another asynchronous function",
      timeout: Duration.seconds(10),
      secretLookup: noSecrets,
      asyncInvoked: true,
    });
    for (let i = 0; i < machineCount; i += 1) {
      new StateMachine(stack, `NewPlaybook${i}`, {
        definitionBody: DefinitionBody.fromChainable(new Pass(stack, `Do${i}`)),
      });
    }
    const monitoring = new SelfMonitoring(stack, "Monitoring", { alarmEmails });
    return {
      app,
      fn,
      other,
      monitoring,
      template: app.synth().getStackByName("Watched").template as CfnTemplate,
    };
  }

  it("watches functions, a URL and a state machine it was never told about, through one shared queue", () => {
    const { template, fn, other, monitoring } = smallStack([]);
    expect(fn.failureQueue).toBeDefined();
    expect(other.failureQueue).toBe(fn.failureQueue);
    const queueName = { "Fn::GetAtt": [queueId(template), "QueueName"] };
    expectOneAlarm(template, "ApproximateNumberOfMessagesVisible", "QueueName", queueName, 1);
    expectOneAlarm(template, "ApproximateAgeOfOldestMessage", "QueueName", queueName, THREE_DAYS);
    expectOneAlarm(template, "Url5xxCount", "FunctionName", { Ref: logicalIdOf(fn.fn) }, 1);
    expect(monitoring.alarms).toHaveLength(3);
    expect(alarmsIn(template)).toHaveLength(3);
    const [machineId] = onlyOne(template, "AWS::StepFunctions::StateMachine");
    expect(monitoring.executionRules).toHaveLength(1);
    const rule = propsOf<{ EventPattern: { detail: { stateMachineArn: unknown } } }>(
      template.Resources[logicalIdOf(monitoring.executionRules[0] as IConstruct)],
    );
    expect(rule.EventPattern.detail.stateMachineArn).toEqual([{ Ref: machineId }]);
  });

  it("splits the machines over rules of ten, so an event pattern stays within EventBridge's 2,048 characters", () => {
    const { template, monitoring } = smallStack([], 23);
    expect(monitoring.executionRules).toHaveLength(3);
    const listed = monitoring.executionRules.map(
      (rule) =>
        propsOf<{ EventPattern: { detail: { stateMachineArn: unknown[] } } }>(
          template.Resources[logicalIdOf(rule)],
        ).EventPattern.detail.stateMachineArn,
    );
    expect(listed.map((arns) => arns.length)).toEqual([10, 10, 3]);
    const machines = resourcesOf(template, "AWS::StepFunctions::StateMachine").map(([id]) => ({ Ref: id }));
    expect(listed.flat()).toEqual(machines);
    // Resolved, an ARN is at most ~130 characters: ten of them and the rest of the pattern fit.
    expect(10 * 130 + 300).toBeLessThan(2048);
    expect(resourcesOf(template, "AWS::CloudWatch::Alarm")).toHaveLength(3);
  });

  it("has no failure queue and no queue alarms when nothing is asynchronous", () => {
    const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
    const stack = new Stack(app, "Sync", { env: { account: "123456789012", region: "eu-west-1" } });
    new QuellFunction(stack, "Sync", {
      entry: "functions/recorder/handler.ts",
      description: "invoked synchronously",
      timeout: Duration.seconds(10),
      secretLookup: noSecrets,
    });
    const monitoring = new SelfMonitoring(stack, "Monitoring", { alarmEmails: [] });
    const template = app.synth().getStackByName("Sync").template as CfnTemplate;
    expect(resourcesOf(template, "AWS::SQS::Queue")).toEqual([]);
    expect(monitoring.alarms).toEqual([]);
    expect(template.Outputs?.RedriveCommand).toBeUndefined();
  });

  it("subscribes nobody when the configuration names no email, and passes cdk-nag", () => {
    const { app, template } = smallStack([]);
    expect(resourcesOf(template, "AWS::SNS::Subscription")).toEqual([]);
    const violations = new AwsSolutionsChecks(undefined, { verbose: true })
      .validateScope(app)
      .violations.filter((violation) =>
        violation.violatingResources.some((resource) =>
          /\/(Monitoring|FailureQueue)\//.test(resource.constructPath ?? ""),
        ),
      )
      .map((violation) => violation.ruleName);
    expect(violations).toEqual([]);
  });
});
