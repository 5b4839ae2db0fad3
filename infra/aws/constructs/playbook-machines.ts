import { RemovalPolicy } from "aws-cdk-lib";
import { Policy, PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";
import type { CompiledPlaybook, FunctionRef } from "../../../playbooks/compile.js";
import { compiledMachines } from "../../../playbooks/machines.js";
import { acknowledge } from "../nag.js";
import { pascal } from "../paths.js";
import type { ActionFunctions } from "./action-functions.js";
import type { PlaybookTasks } from "./playbook-tasks.js";

export interface PlaybookMachine {
  readonly name: string;
  readonly compiled: CompiledPlaybook;
  readonly stateMachine: StateMachine;
  /** Placeholder -> the function its ARN was substituted with. */
  readonly targets: ReadonlyMap<string, IFunction>;
}

export interface PlaybookMachinesProps {
  readonly actions: ActionFunctions;
  readonly tasks: PlaybookTasks;
}

const SFN_WILDCARD_REASON =
  "Resource * only in the statements CDK adds for execution logging (logs:CreateLogDelivery, " +
  "logs:GetLogDelivery, logs:UpdateLogDelivery, logs:DeleteLogDelivery, logs:ListLogDeliveries, " +
  "logs:PutResourcePolicy, logs:DescribeResourcePolicies, logs:DescribeLogGroups) and X-Ray tracing " +
  "(xray:PutTraceSegments, xray:PutTelemetryRecords, xray:GetSamplingRules, xray:GetSamplingTargets): " +
  "these CloudWatch Logs vended-delivery and X-Ray actions have no resource-level permissions. Lambda " +
  "invocation is granted on exact function ARNs; test/infra checks no other statement uses a wildcard.";

/** Every placeholder `${Name}` a definition string still holds. */
export const placeholdersIn = (definition: string): string[] =>
  [...definition.matchAll(/\$\{([^}]+)\}/g)].map((match) => match[1] ?? "");

/**
 * One Standard state machine per playbook, compiled from the DSL, and the undo machine. Function ARNs arrive through
 * definitionSubstitutions; each machine's role may invoke exactly the functions its definition names.
 */
export class PlaybookMachines extends Construct {
  readonly machines: PlaybookMachine[] = [];

  constructor(scope: Construct, id: string, { actions, tasks }: PlaybookMachinesProps) {
    super(scope, id);
    const functionFor = (ref: FunctionRef): IFunction => {
      switch (ref.kind) {
        case "action":
          return actions.functionFor(ref.action).fn;
        case "approvalRequest":
          return tasks.approvalRequest.fn;
        case "recorder":
          return tasks.recorder.fn;
      }
    };

    for (const compiled of compiledMachines()) {
      const definition = JSON.stringify(compiled.definition);
      const targets = new Map<string, IFunction>();
      for (const [placeholder, ref] of Object.entries(compiled.substitutions)) {
        targets.set(placeholder, functionFor(ref));
      }
      const missing = placeholdersIn(definition).filter((placeholder) => !targets.has(placeholder));
      if (missing.length > 0) {
        throw new Error(
          `state machine ${compiled.name}: no substitution for ${[...new Set(missing)].join(", ")}`,
        );
      }

      const machineId = pascal(compiled.name);
      const logGroup = new LogGroup(this, `${machineId}Logs`, {
        retention: RetentionDays.THREE_MONTHS,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      const stateMachine = new StateMachine(this, machineId, {
        stateMachineType: StateMachineType.STANDARD,
        definitionBody: DefinitionBody.fromString(definition),
        definitionSubstitutions: Object.fromEntries(
          [...targets].map(([placeholder, fn]) => [placeholder, fn.functionArn]),
        ),
        // Execution data holds alert text and action outputs: keep it out of the logs.
        logs: { destination: logGroup, level: LogLevel.ALL, includeExecutionData: false },
        tracingEnabled: true,
      });
      const invoked = [...new Set(targets.values())];
      stateMachine.addToRolePolicy(
        new PolicyStatement({
          actions: ["lambda:InvokeFunction"],
          resources: invoked.map((fn) => fn.functionArn),
        }),
      );
      acknowledge(stateMachine.role, "AwsSolutions-IAM5[Resource::*]", SFN_WILDCARD_REASON);
      if (compiled.escalatingApprovals.length > 0) {
        // An escalated wait delivers a decision made between its approval's two waits with its own task
        // token: the approval request may answer this machine's tokens. A separate policy, not the
        // function's default one, which the function (named in this machine's definition) depends on.
        tasks.approvalRequest.role.attachInlinePolicy(
          new Policy(this, `${machineId}ApprovalSettle`, {
            statements: [
              new PolicyStatement({
                actions: ["states:SendTaskSuccess", "states:SendTaskFailure"],
                resources: [stateMachine.stateMachineArn],
              }),
            ],
          }),
        );
      }
      this.machines.push({ name: compiled.name, compiled, stateMachine, targets });
    }
  }
}
