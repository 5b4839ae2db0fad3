import { beforeAll, describe, expect, it } from "vitest";
import { EXECUTION_STATUS_CHANGE } from "../../functions/execution-watch/event.js";
import { coreFunctions } from "../../infra/aws/catalog.js";
import { compiledMachines } from "../../playbooks/machines.js";
import { matchesPattern } from "../event-pattern/matcher.js";
import { fixture } from "../fixtures/aws/support.js";
import { type CfnTemplate, logicalIdOf, type SynthesizedQuell, synthQuell } from "./quell-app.js";

/**
 * The execution watch as synthesized: the rule on the default bus takes exactly Step Functions' failed, timed-out
 * and aborted executions of Quell's machines, and the function may do exactly what settling an incident needs.
 */

let quell: SynthesizedQuell;
beforeAll(() => {
  quell = synthQuell();
});

type Statement = { Effect: string; Action: string | string[]; Resource: unknown };
const list = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];
const sorted = (values: Iterable<string>) => [...new Set(values)].sort();

/** A CloudFormation value as one string: `Ref` -> `<Id>`, `Fn::GetAtt` -> `<Id.Attr>`, joins joined. */
function flat(value: unknown): string {
  if (typeof value === "string") return value;
  const node = value as Record<string, unknown>;
  if ("Ref" in node) return `<${String(node.Ref)}>`;
  if ("Fn::GetAtt" in node) return `<${(node["Fn::GetAtt"] as string[]).join(".")}>`;
  if ("Fn::Join" in node) {
    const [separator, parts] = node["Fn::Join"] as [string, unknown[]];
    return parts.map(flat).join(separator);
  }
  if ("Fn::ImportValue" in node) {
    // Follow it into the data stack's export, so a table compares by its producer resource.
    const name = node["Fn::ImportValue"];
    const output = Object.values(quell.raw.data.Outputs ?? {}).find(
      (candidate) => candidate.Export?.Name === name,
    );
    if (!output) throw new Error(`no export ${String(name)} in the data stack`);
    return flat(output.Value);
  }
  return JSON.stringify(value);
}

const resource = (template: CfnTemplate, id: string) => {
  const found = template.Resources[id];
  if (!found) throw new Error(`no resource ${id}`);
  return found;
};
const watch = () => quell.logic.executionWatch;
const machines = () => quell.logic.playbooks.machines;

/** Every Allow statement on the watch's role (its policies). */
function statements(): Statement[] {
  const roleId = logicalIdOf(watch().watch.role);
  return Object.values(quell.raw.logic.Resources)
    .filter((r) => r.Type === "AWS::IAM::Policy")
    .filter((policy) =>
      list(policy.Properties?.Roles as { Ref: string }[]).some((role) => role.Ref === roleId),
    )
    .flatMap(
      (policy) =>
        (policy.Properties?.PolicyDocument as { Statement: Statement[] } | undefined)?.Statement ?? [],
    )
    .filter((statement) => statement.Effect === "Allow");
}
// The on-failure destination grants SendMessage on the failure queue only (FailureQueue.onFailure).
const FAILURE_QUEUE = ["sqs:SendMessage"];
const resourcesFor = (action: string) =>
  sorted(
    statements()
      .filter((statement) => list(statement.Action).includes(action))
      .flatMap((statement) => list(statement.Resource).map(flat)),
  );

describe("execution watch (synthesized)", () => {
  it("is a catalog function, asynchronously invoked, with the failure queue", () => {
    expect(coreFunctions.executionWatch.entry).toBe("functions/execution-watch/handler.ts");
    expect(watch().watch.failureQueue).toBeDefined();
  });

  it("has a rule on the default bus for the failed, timed-out and aborted executions of every Quell machine", () => {
    const rule = resource(quell.raw.logic, logicalIdOf(watch().rule)).Properties ?? {};
    expect(rule.EventBusName).toBe("default");
    const machineRefs = machines().map((machine) => `<${logicalIdOf(machine.stateMachine)}>`);
    // Every playbook and the undo machine, nothing else.
    expect(machines().map((machine) => machine.name)).toEqual(
      compiledMachines().map((machine) => machine.name),
    );
    const pattern = rule.EventPattern as { detail: { stateMachineArn: unknown[] } };
    expect({
      ...pattern,
      detail: { ...pattern.detail, stateMachineArn: pattern.detail.stateMachineArn.map(flat) },
    }).toEqual({
      source: [EXECUTION_STATUS_CHANGE.source],
      "detail-type": [EXECUTION_STATUS_CHANGE.detailType],
      detail: { status: ["FAILED", "TIMED_OUT", "ABORTED"], stateMachineArn: machineRefs },
    });
    const [target, ...others] = rule.Targets as Record<string, unknown>[];
    expect(others).toEqual([]);
    expect(flat(target?.Arn)).toBe(`<${logicalIdOf(watch().watch.fn)}.Arn>`);
    expect(target?.RetryPolicy).toMatchObject({ MaximumRetryAttempts: 8 });
    const failures = watch().watch.failureQueue;
    if (!failures) throw new Error("the watch has no failure queue");
    expect(flat((target?.DeadLetterConfig as { Arn: unknown } | undefined)?.Arn)).toBe(
      `<${logicalIdOf(failures)}.Arn>`,
    );
  });

  it("its pattern takes the documented event of a Quell machine, and not a success nor another machine's", () => {
    const rule = resource(quell.raw.logic, logicalIdOf(watch().rule)).Properties ?? {};
    const pattern = structuredClone(rule.EventPattern) as { detail: { stateMachineArn: unknown[] } };
    pattern.detail.stateMachineArn = pattern.detail.stateMachineArn.map(flat);
    const [first] = machines();
    if (!first) throw new Error("no machine");
    const event = fixture("stepfunctions/execution-failed-recorder.json") as {
      detail: Record<string, unknown>;
    };
    event.detail.stateMachineArn = `<${logicalIdOf(first.stateMachine)}>`;
    expect(matchesPattern(pattern, event)).toBe(true);
    for (const status of ["TIMED_OUT", "ABORTED"]) {
      expect(matchesPattern(pattern, { ...event, detail: { ...event.detail, status } }), status).toBe(true);
    }
    for (const status of ["SUCCEEDED", "RUNNING", "PENDING_REDRIVE"]) {
      expect(matchesPattern(pattern, { ...event, detail: { ...event.detail, status } }), status).toBe(false);
    }
    const elsewhere = {
      ...event.detail,
      stateMachineArn: "arn:aws:states:eu-west-1:123456789012:stateMachine:Other",
    };
    expect(matchesPattern(pattern, { ...event, detail: elsewhere })).toBe(false);
  });

  it("its role: logs, tracing, four table actions on the incidents table, PutEvents on Quell's bus, DescribeExecution on Quell's executions", () => {
    expect(sorted(statements().flatMap((statement) => list(statement.Action)))).toEqual(
      sorted([
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:Query",
        "dynamodb:UpdateItem",
        "events:PutEvents",
        "states:DescribeExecution",
        // The on-failure destination: a failed invocation's record goes to the failure queue.
        ...FAILURE_QUEUE,
      ]),
    );
    const failures = watch().watch.failureQueue;
    if (!failures) throw new Error("the watch has no failure queue");
    for (const action of FAILURE_QUEUE) {
      expect(resourcesFor(action), action).toEqual([`<${logicalIdOf(failures)}.Arn>`]);
    }
    const table = `<${logicalIdOf(quell.data.tables.incidents)}.Arn>`;
    for (const action of ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"]) {
      expect(resourcesFor(action), action).toEqual([table]);
    }
    expect(resourcesFor("events:PutEvents")).toEqual([`<${logicalIdOf(quell.logic.intake.bus)}.Arn>`]);
    expect(resourcesFor("states:DescribeExecution")).toEqual(
      sorted(
        machines().map(
          (machine) =>
            `arn:<AWS::Partition>:states:eu-west-1:123456789012:execution:<${logicalIdOf(machine.stateMachine)}.Name>:*`,
        ),
      ),
    );
  });
});
