import { RemovalPolicy } from "aws-cdk-lib";
import { Policy, PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";
import {
  type CompiledPlaybook,
  type FunctionRef,
  LAMBDA_INVOKE_WAIT_FOR_TOKEN,
} from "../../../playbooks/compile.js";
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

/**
 * What the approval request may answer of a machine's task tokens: success where an approval waits for a task
 * token (a shadow run answers its own wait: any playbook may be set to shadow in AppConfig without a deploy), and
 * failure too where an escalated wait may deliver a denial. Nothing where no approval waits.
 */
export function approvalSettleActions(compiled: CompiledPlaybook, definition: string): string[] {
  if (!definition.includes(LAMBDA_INVOKE_WAIT_FOR_TOKEN)) return [];
  return compiled.escalatingApprovals.length > 0
    ? ["states:SendTaskSuccess", "states:SendTaskFailure"]
    : ["states:SendTaskSuccess"];
}

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
      const settles = approvalSettleActions(compiled, definition);
      if (settles.length > 0) {
        // The approval request answers this machine's task tokens itself: a shadow run's approval (nobody is asked,
        // the wait is settled as would-ask) and, for an escalating approval, a decision made between its two waits,
        // delivered to the escalated wait. A separate policy, not the function's default one, which the function
        // (named in this machine's definition) depends on.
        tasks.approvalRequest.role.attachInlinePolicy(
          new Policy(this, `${machineId}ApprovalSettle`, {
            statements: [
              new PolicyStatement({ actions: settles, resources: [stateMachine.stateMachineArn] }),
            ],
          }),
        );
      }
      this.machines.push({ name: compiled.name, compiled, stateMachine, targets });
    }
  }
}
