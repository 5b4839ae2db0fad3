import "./polyfills.js";
import { randomBytes } from "node:crypto";
import { StateMachine, type StateMachineDefinition } from "aws-local-stepfunctions";
import {
  type Asl,
  type AslState,
  assertJsonPathOnly,
  type CompiledPlaybook,
  type FunctionRef,
  LAMBDA_INVOKE,
  LAMBDA_INVOKE_WAIT_FOR_TOKEN,
  TASK_TOKEN_PATH,
} from "../../playbooks/compile.js";

export type LocalHandler = (payload: unknown) => Promise<unknown>;

export interface Execution {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly input: string;
  status: "RUNNING" | "SUCCEEDED" | "FAILED";
  readonly startDate: Date;
  stopDate?: Date;
  output?: string;
  error?: string;
  cause?: string;
  done: Promise<void>;
}

/** An error with the name Step Functions would report, so Retry and Catch match as they do in AWS. */
export class AwsStyleError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

const TOKEN_PLACEHOLDER = "__quell_local_task_token__";
const ACCOUNT = "000000000000";
const REGION = "us-east-1";

interface PendingTask {
  resolve: (output: unknown) => void;
  reject: (error: Error) => void;
}

/**
 * Step Functions on one machine: the same compiled ASL run by aws-local-stepfunctions, with every Task
 * mapped to local handler code (never to AWS), the `.waitForTaskToken` callback pattern emulated, and
 * StartExecution / SendTaskSuccess / SendTaskFailure / DescribeExecution semantics kept.
 */
export class LocalStepFunctions {
  private readonly machines = new Map<
    string,
    {
      definition: StateMachineDefinition;
      /** Validated once, at registration (validation costs tens of milliseconds); every run reuses it. */
      stateMachine: StateMachine;
      playbook: CompiledPlaybook;
      callbackTimeouts: Map<string, number>;
    }
  >();
  private readonly executions = new Map<string, Execution>();
  private readonly pendingTasks = new Map<string, PendingTask>();
  private readonly finishedTokens = new Map<string, "TaskTimedOut" | "settled">();

  constructor(
    private readonly resolveHandler: (ref: FunctionRef) => LocalHandler,
    private readonly options: { approvalTimeoutSeconds?: number } = {},
  ) {}

  static arnFor(playbook: string): string {
    return `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:quell-${playbook}`;
  }

  register(playbook: CompiledPlaybook): string {
    assertJsonPathOnly(playbook.definition);
    const arn = LocalStepFunctions.arnFor(playbook.name);
    const callbackTimeouts = new Map<string, number>();
    const definition = this.prepare(playbook, callbackTimeouts);
    const stateMachine = new StateMachine(definition, { validationOptions: { checkArn: false } });
    this.machines.set(arn, { definition, stateMachine, playbook, callbackTimeouts });
    return arn;
  }

  /** Swap placeholders for local ARNs and the task token path for a placeholder the override fills. */
  private prepare(playbook: CompiledPlaybook, callbackTimeouts: Map<string, number>): StateMachineDefinition {
    const rewrite = (states: Record<string, AslState>): Record<string, AslState> =>
      Object.fromEntries(
        Object.entries(states).map(([name, state]) => {
          if (state.Type === "Parallel") {
            const branches = (state.Branches as Asl[]).map((branch) => ({
              ...branch,
              States: rewrite(branch.States),
            }));
            return [name, { ...state, Branches: branches }];
          }
          if (state.Type !== "Task") return [name, state];
          const parameters = structuredClone(state.Parameters) as {
            FunctionName?: string;
            Payload?: Record<string, unknown>;
          };
          const placeholder = /^\$\{(.+)\}$/.exec(parameters.FunctionName ?? "")?.[1];
          if (!placeholder || !playbook.substitutions[placeholder]) {
            throw new Error(
              `${playbook.name}.${name}: Task has no local handler (FunctionName ${parameters.FunctionName})`,
            );
          }
          parameters.FunctionName = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${placeholder}`;
          const prepared: AslState = { ...state, Parameters: parameters };
          if (state.Resource === LAMBDA_INVOKE_WAIT_FOR_TOKEN && parameters.Payload) {
            if (parameters.Payload["taskToken.$"] !== TASK_TOKEN_PATH) {
              throw new Error(
                `${playbook.name}.${name}: callback task must pass ${TASK_TOKEN_PATH} as taskToken`,
              );
            }
            delete parameters.Payload["taskToken.$"];
            parameters.Payload.taskToken = TOKEN_PLACEHOLDER;
            // The emulated callback times out first, so a late SendTaskSuccess is refused as in AWS.
            const timeout = this.callbackTimeout(state.TimeoutSeconds as number, parameters.Payload);
            prepared.TimeoutSeconds = Math.ceil(timeout) + 5;
            callbackTimeouts.set(name, timeout);
          } else if (state.Resource !== LAMBDA_INVOKE) {
            throw new Error(
              `${playbook.name}.${name}: resource ${String(state.Resource)} is not supported locally`,
            );
          }
          return [name, prepared];
        }),
      );
    const definition = structuredClone(playbook.definition);
    definition.States = rewrite(definition.States);
    return definition as unknown as StateMachineDefinition;
  }

  /**
   * A callback task's timeout. `approvalTimeoutSeconds` shortens the approval's whole timeout (the payload's
   * `timeoutSeconds`) to that many seconds, and each wait in proportion: an escalating approval's first
   * wait (until the escalation) and its escalated wait keep their share of the whole.
   */
  private callbackTimeout(waitSeconds: number, payload: Record<string, unknown>): number {
    const shortened = this.options.approvalTimeoutSeconds;
    if (shortened === undefined) return waitSeconds;
    const whole = typeof payload.timeoutSeconds === "number" ? payload.timeoutSeconds : waitSeconds;
    return (shortened * waitSeconds) / whole;
  }

  private overridesFor(
    states: Record<string, AslState>,
    placeholders: CompiledPlaybook["substitutions"],
    callbackTimeouts: Map<string, number>,
  ) {
    const overrides: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const [name, state] of Object.entries(states)) {
      if (state.Type === "Parallel") {
        for (const branch of state.Branches as Asl[]) {
          Object.assign(overrides, this.overridesFor(branch.States, placeholders, callbackTimeouts));
        }
      }
      if (state.Type !== "Task") continue;
      const placeholder =
        String((state.Parameters as { FunctionName: string }).FunctionName).split(":function:")[1] ?? "";
      const ref = placeholders[placeholder];
      if (!ref) throw new Error(`state ${name}: no local handler for ${placeholder}`);
      const handler = this.resolveHandler(ref);
      const callbackTimeout = callbackTimeouts.get(name);
      overrides[name] =
        callbackTimeout === undefined
          ? async (input) => ({
              StatusCode: 200,
              Payload: await handler((input as { Payload: unknown }).Payload),
            })
          : (input) =>
              this.invokeWithCallback(
                handler,
                (input as { Payload: Record<string, unknown> }).Payload,
                callbackTimeout,
              );
    }
    return overrides;
  }

  private async invokeWithCallback(
    handler: LocalHandler,
    payload: Record<string, unknown>,
    timeoutSeconds: number,
  ) {
    const token = `local-task-token-${randomBytes(24).toString("hex")}`;
    const settled = new Promise<unknown>((resolve, reject) =>
      this.pendingTasks.set(token, { resolve, reject }),
    );
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.pendingTasks.delete(token);
        this.finishedTokens.set(token, "TaskTimedOut");
        reject(new AwsStyleError("States.Timeout", "the task timed out waiting for a callback"));
      }, timeoutSeconds * 1000);
    });
    try {
      await handler({ ...payload, taskToken: token });
      return await Promise.race([settled, timedOut]);
    } finally {
      clearTimeout(timer);
      if (this.pendingTasks.delete(token)) this.finishedTokens.set(token, "settled");
    }
  }

  startExecution(request: { stateMachineArn: string; name?: string; input?: string }): Execution {
    const machine = this.machines.get(request.stateMachineArn);
    if (!machine)
      throw new AwsStyleError(
        "StateMachineDoesNotExist",
        `State Machine Does Not Exist: '${request.stateMachineArn}'`,
      );
    const name = request.name ?? randomBytes(16).toString("hex");
    const executionArn = `${request.stateMachineArn.replace(":stateMachine:", ":execution:")}:${name}`;
    const input = request.input ?? "{}";
    const existing = this.executions.get(executionArn);
    if (existing) {
      if (existing.input === input && existing.status === "RUNNING") return existing;
      throw new AwsStyleError("ExecutionAlreadyExists", `Execution Already Exists: '${executionArn}'`);
    }
    const startDate = new Date();
    const run = machine.stateMachine.run(JSON.parse(input), {
      overrides: {
        taskResourceLocalHandlers: this.overridesFor(
          machine.definition.States as never,
          machine.playbook.substitutions,
          machine.callbackTimeouts,
        ) as never,
      },
      context: {
        Execution: {
          Id: executionArn,
          Name: name,
          StartTime: startDate.toISOString(),
          Input: JSON.parse(input),
        },
      },
    });
    const execution: Execution = {
      executionArn,
      stateMachineArn: request.stateMachineArn,
      name,
      input,
      status: "RUNNING",
      startDate,
      done: Promise.resolve(),
    };
    execution.done = run.result.then(
      (output) => {
        execution.status = "SUCCEEDED";
        execution.output = JSON.stringify(output);
        execution.stopDate = new Date();
      },
      (error: Error & { cause?: unknown }) => {
        execution.status = "FAILED";
        execution.error = error.name;
        execution.cause = error.message;
        execution.stopDate = new Date();
      },
    );
    this.executions.set(executionArn, execution);
    return execution;
  }

  describeExecution(executionArn: string): Execution {
    const execution = this.executions.get(executionArn);
    if (!execution)
      throw new AwsStyleError("ExecutionDoesNotExist", `Execution Does Not Exist: '${executionArn}'`);
    return execution;
  }

  listExecutions(): Execution[] {
    return [...this.executions.values()];
  }

  sendTaskSuccess(taskToken: string, output: string): void {
    this.take(taskToken).resolve(JSON.parse(output));
  }

  sendTaskFailure(taskToken: string, error = "States.TaskFailed", cause = ""): void {
    this.take(taskToken).reject(new AwsStyleError(error, cause));
  }

  private take(taskToken: string): PendingTask {
    const pending = this.pendingTasks.get(taskToken);
    if (pending) {
      this.pendingTasks.delete(taskToken);
      this.finishedTokens.set(taskToken, "settled");
      return pending;
    }
    const finished = this.finishedTokens.get(taskToken);
    if (finished === "TaskTimedOut") throw new AwsStyleError("TaskTimedOut", "Task Timed Out");
    if (finished) throw new AwsStyleError("TaskDoesNotExist", "Task Does Not Exist: it was already settled");
    throw new AwsStyleError("InvalidToken", "Invalid Token");
  }

  /** Wait for every running execution to finish (tests and shutdown). */
  async drain(): Promise<void> {
    await Promise.all([...this.executions.values()].map((execution) => execution.done));
  }
}
