import "./polyfills.js";
import { createHash, randomBytes } from "node:crypto";
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
import { AwsStyleError, CallbackWaits, type PendingWait } from "./callback-waits.js";
import { type DurableRecords, memoryRecords } from "./durable-records.js";
import {
  type ExecutionRecord,
  type ExecutionStatus,
  ExecutionTracker,
  type WaitingCallback,
} from "./execution-record.js";

export type { ExecutionRecord, WaitingCallback };
export { AwsStyleError };

export type LocalHandler = (payload: unknown) => Promise<unknown>;

/** An execution that failed: its record as it ended, with the error no Catch took. */
export type FailedExecution = ExecutionRecord & {
  readonly status: "FAILED";
  readonly error: string;
  readonly cause: string;
  readonly stopDate: string;
};

export interface Execution {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly input: string;
  status: ExecutionStatus;
  readonly startDate: Date;
  stopDate?: Date;
  output?: string;
  error?: string;
  cause?: string;
  done: Promise<void>;
}

const TOKEN_PLACEHOLDER = "__quell_local_task_token__";
/**
 * Added to every Task's payload by `prepare` (local only) and removed before the handler sees it: the state's
 * whole input, kept in the execution's record so the execution can resume at that state after a restart.
 */
const STATE_INPUT_KEY = "__quellStateInput";
const ACCOUNT = "000000000000";
const HISTORY_DAYS = 90;
const REGION = "us-east-1";

interface Machine {
  definition: StateMachineDefinition;
  /** Validated once, at registration (validation costs tens of milliseconds); every run reuses it. */
  stateMachine: StateMachine;
  playbook: CompiledPlaybook;
  callbackTimeouts: Map<string, number>;
}

/**
 * Where a restart resumes an execution: at the callback it waited on (its stored token waits again; the handler
 * is called again, with that token, only when it may not have finished: `reinvoke`), or at a Task state that is
 * safe to run again (Quell's own recorder or approval function, as Step Functions retries a Lambda).
 */
export type ResumePoint =
  | { readonly kind: "callback"; readonly reinvoke: boolean }
  | { readonly kind: "task"; readonly state: string };

/** How the resumed first state is entered. */
interface Resumption {
  readonly state: string;
  readonly wait?: PendingWait;
  readonly reinvoke: boolean;
}

/** The payload the interpreter built, without the state input `prepare` added. */
function payloadOf(input: unknown): { payload: Record<string, unknown>; stateInput: unknown } {
  const { [STATE_INPUT_KEY]: stateInput, ...payload } = (input as { Payload: Record<string, unknown> })
    .Payload;
  return { payload, stateInput };
}

/**
 * Step Functions on one machine: the same compiled ASL run by aws-local-stepfunctions, with every Task
 * mapped to local handler code (never to AWS), the `.waitForTaskToken` callback pattern emulated, and
 * StartExecution / SendTaskSuccess / SendTaskFailure / DescribeExecution semantics kept.
 *
 * Executions are durable records (under the data directory, or in memory): written before StartExecution
 * answers, and again as each Task state starts and ends, when a callback's handler returned (its state, state
 * input, task token and deadline) and when it settles (before SendTaskSuccess answers). After a restart,
 * `load` returns the executions that were running; the runtime resumes those waiting on a callback
 * (`resume`) and marks the others interrupted (`abandon`).
 */
export class LocalStepFunctions {
  private readonly machines = new Map<string, Machine>();
  private readonly executions = new Map<string, Execution>();
  private readonly aborts = new Map<string, () => void>();
  private readonly records: DurableRecords<ExecutionRecord>;
  private readonly waits: CallbackWaits;
  private closed = false;

  constructor(
    private readonly resolveHandler: (ref: FunctionRef) => LocalHandler,
    private readonly options: {
      approvalTimeoutSeconds?: number;
      /** Every Wait state waits this many seconds instead (tests of wait loops); the ASL is otherwise unchanged. */
      waitSeconds?: number;
      /** Every Task's retries wait this many seconds apart instead (tests that exhaust the retries). */
      retrySeconds?: number;
      records?: DurableRecords<ExecutionRecord>;
      /** Resolves when handlers can work (the database is up); awaited before each Task's handler. */
      ready?: () => Promise<void>;
      /**
       * Told of each execution that fails (an error no Catch took), as Step Functions tells EventBridge: not of
       * one the runtime abandons or aborts by stopping (recovery takes those up after a restart).
       */
      onFailed?: (execution: FailedExecution) => void;
    } = {},
  ) {
    this.records = options.records ?? memoryRecords();
    this.waits = new CallbackWaits();
  }

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

  /** The compiled playbook behind a state machine ARN. */
  playbookOf(stateMachineArn: string): CompiledPlaybook | undefined {
    return this.machines.get(stateMachineArn)?.playbook;
  }

  /** Every Task state of a registered machine (Parallel branches included) and what it invokes. */
  tasksOf(stateMachineArn: string): { state: string; ref: FunctionRef }[] {
    const machine = this.machines.get(stateMachineArn);
    if (!machine) return [];
    const tasks = (states: Record<string, AslState>): { state: string; ref: FunctionRef }[] =>
      Object.entries(states).flatMap(([state, definition]) => {
        if (definition.Type === "Parallel") {
          return (definition.Branches as Asl[]).flatMap((branch) => tasks(branch.States));
        }
        if (definition.Type !== "Task") return [];
        const { FunctionName } = definition.Parameters as { FunctionName: string };
        const ref = machine.playbook.substitutions[FunctionName.split(":function:")[1] ?? ""];
        return ref ? [{ state, ref }] : [];
      });
    return tasks(machine.definition.States as unknown as Record<string, AslState>);
  }

  /**
   * The Task states an execution at `state` could still reach (top level, `state` itself excluded, every branch
   * of every Choice and Catch included): what it had not run yet when it stopped there.
   */
  tasksAfter(stateMachineArn: string, state: string): { state: string; ref: FunctionRef }[] {
    const machine = this.machines.get(stateMachineArn);
    if (!machine) return [];
    const states = machine.definition.States as unknown as Record<string, AslState>;
    const current = states[state];
    const successors = Object.fromEntries(
      successorsOf(current ?? { Type: "Pass" }).flatMap((next) =>
        Object.entries(reachableFrom(next, states)),
      ),
    );
    return this.tasksOf(stateMachineArn).filter((task) => task.state !== state && task.state in successors);
  }

  /** Every Wait state's time, when `waitSeconds` shortens them (aws-local-stepfunctions takes milliseconds). */
  private waitOverrides(machine: Machine): { waitTimeOverrides?: Record<string, number> } {
    const seconds = this.options.waitSeconds;
    return seconds === undefined ? {} : { waitTimeOverrides: millisecondsPerState(machine, "Wait", seconds) };
  }

  /** Every Task's retry interval, when `retrySeconds` shortens them. */
  private retryOverrides(machine: Machine): { retryIntervalOverrides?: Record<string, number> } {
    const seconds = this.options.retrySeconds;
    return seconds === undefined
      ? {}
      : { retryIntervalOverrides: millisecondsPerState(machine, "Task", seconds) };
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
          if (parameters.Payload) parameters.Payload[`${STATE_INPUT_KEY}.$`] = "$";
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
    machine: Machine,
    tracker: ExecutionTracker,
    resumption?: Resumption,
    states = machine.definition.States as unknown as Record<string, AslState>,
    nested = false,
  ) {
    const overrides: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const [name, state] of Object.entries(states)) {
      if (state.Type === "Parallel") {
        for (const branch of state.Branches as Asl[]) {
          Object.assign(overrides, this.overridesFor(machine, tracker, undefined, branch.States, true));
        }
      }
      if (state.Type !== "Task") continue;
      const placeholder =
        String((state.Parameters as { FunctionName: string }).FunctionName).split(":function:")[1] ?? "";
      const ref = machine.playbook.substitutions[placeholder];
      if (!ref) throw new Error(`state ${name}: no local handler for ${placeholder}`);
      const handler = this.resolveHandler(ref);
      const callbackTimeout = machine.callbackTimeouts.get(name);
      if (callbackTimeout === undefined) {
        overrides[name] = async (input) => {
          await this.options.ready?.();
          const { payload, stateInput } = payloadOf(input);
          tracker.entered(name, stateInput, nested);
          try {
            return { StatusCode: 200, Payload: await handler(payload) };
          } finally {
            tracker.finished(name);
          }
        };
        continue;
      }
      // A resumed execution re-enters the callback it waited on once, with its stored token.
      let resumed = resumption?.state === name && resumption.wait ? resumption : undefined;
      overrides[name] = async (input) => {
        const { payload, stateInput } = payloadOf(input);
        const again = resumed;
        resumed = undefined;
        if (again?.wait) {
          if (again.reinvoke) {
            await this.options.ready?.();
            await this.callHandler(handler, payload, again.wait, this.tokenOf(tracker), name, tracker);
          } else if (!again.wait.isSettled()) tracker.waiting(name);
          return again.wait.settled;
        }
        return this.invokeWithCallback(handler, payload, {
          state: name,
          stateInput,
          timeoutSeconds: callbackTimeout,
          tracker,
          nested,
        });
      };
    }
    return overrides;
  }

  private async invokeWithCallback(
    handler: LocalHandler,
    payload: Record<string, unknown>,
    call: {
      state: string;
      stateInput: unknown;
      timeoutSeconds: number;
      tracker: ExecutionTracker;
      /** In a Parallel branch: it cannot be resumed alone, so it is recorded as a running task. */
      nested: boolean;
    },
  ) {
    await this.options.ready?.();
    const { tracker, state } = call;
    const token = `local-task-token-${randomBytes(24).toString("hex")}`;
    const deadline = Date.now() + call.timeoutSeconds * 1000;
    if (call.nested) tracker.entered(state, call.stateInput, true);
    else {
      tracker.requesting({
        state,
        stateInput: call.stateInput ?? null,
        taskToken: token,
        timeoutAt: new Date(deadline).toISOString(),
        payload,
      });
    }
    // Registered before the handler runs: a handler may settle its own token (an escalated wait).
    const wait = this.waits.register(token, deadline, () => tracker.finished(state));
    await this.callHandler(handler, payload, wait, token, state, tracker);
    return wait.settled;
  }

  /** Call a callback task's handler with its token; once it returned, only the callback or the deadline ends the wait. */
  private async callHandler(
    handler: LocalHandler,
    payload: Record<string, unknown>,
    wait: PendingWait,
    token: string,
    state: string,
    tracker: ExecutionTracker,
  ): Promise<void> {
    try {
      await handler({ ...payload, taskToken: token });
    } catch (error) {
      this.waits.cancel(token);
      throw error;
    }
    if (!wait.isSettled()) tracker.waiting(state);
  }

  private tokenOf(tracker: ExecutionTracker): string {
    const token = tracker.record.waiting?.taskToken;
    if (!token) throw new Error(`${tracker.record.executionArn} has no stored task token`);
    return token;
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
    const record: ExecutionRecord = {
      executionArn,
      stateMachineArn: request.stateMachineArn,
      name,
      input,
      startDate: new Date().toISOString(),
      status: "RUNNING",
      running: {},
    };
    // Durable before StartExecution answers: a restart finds it.
    const tracker = this.trackerFor(record);
    tracker.persist();
    return this.run(machine, machine.stateMachine, JSON.parse(input), tracker);
  }

  /**
   * Executions that were running when the runtime stopped, loaded from their records; finished ones are loaded
   * too, so DescribeExecution and ExecutionAlreadyExists answer as before the restart.
   */
  load(): ExecutionRecord[] {
    const unfinished: ExecutionRecord[] = [];
    for (const key of this.records.names()) {
      const record = this.records.read(key);
      if (!record || this.executions.has(record.executionArn)) continue;
      if (record.status === "RUNNING") {
        unfinished.push(record);
        continue;
      }
      // Step Functions keeps a finished Standard execution's history 90 days; so does this.
      if (Date.now() - Date.parse(record.stopDate ?? record.startDate) > HISTORY_DAYS * 86_400_000) {
        this.records.remove(key);
        continue;
      }
      this.executions.set(record.executionArn, executionOf(record));
    }
    return unfinished;
  }

  /**
   * Resume an execution that was running when the runtime stopped, at `point`: the same machine from that state
   * (the states it can reach), with the state's stored input and the same execution id and name. At a callback,
   * the stored token waits for the time left until its stored deadline (at once when the deadline passed
   * meanwhile, so the playbook records the expiry through its own states), and the handler is not called again
   * (no second card) unless it may not have finished (`reinvoke`).
   */
  resume(record: ExecutionRecord, point: ResumePoint): Execution {
    const machine = this.machines.get(record.stateMachineArn);
    if (!machine) throw new Error(`${record.executionArn}: no state machine ${record.stateMachineArn}`);
    const waiting = point.kind === "callback" ? record.waiting : undefined;
    if (point.kind === "callback" && !waiting) throw new Error(`${record.executionArn} waits on no callback`);
    const state = waiting?.state ?? (point as { state: string }).state;
    const stateInput = waiting ? waiting.stateInput : record.running[state]?.stateInput;
    const states = machine.definition.States as unknown as Record<string, AslState>;
    if (states[state]?.Type !== "Task" || record.running[state]?.nested) {
      throw new Error(`${record.executionArn}: ${state} is not a top-level Task state`);
    }
    // From that state on: the states it can reach, so the definition still validates (none unreachable).
    const definition = {
      ...machine.definition,
      StartAt: state,
      States: reachableFrom(state, states) as unknown as StateMachineDefinition["States"],
    };
    const stateMachine = new StateMachine(definition, { validationOptions: { checkArn: false } });
    const tracker = this.trackerFor({ ...record, running: {} });
    // Registered now, before any click can arrive, not when the interpreter reaches the state.
    const wait = waiting
      ? this.waits.register(waiting.taskToken, Date.parse(waiting.timeoutAt), () => tracker.finished(state))
      : undefined;
    tracker.persist();
    return this.run(machine, stateMachine, stateInput, tracker, {
      state,
      ...(wait ? { wait } : {}),
      reinvoke: point.kind === "callback" && point.reinvoke,
    });
  }

  /** Record that an execution that was running when the runtime stopped will not go on. */
  abandon(record: ExecutionRecord, cause: string): Execution {
    const tracker = this.trackerFor(record);
    tracker.ended({ status: "ABORTED", error: "Quell.Interrupted", cause });
    const execution = executionOf(tracker.record);
    this.executions.set(record.executionArn, execution);
    return execution;
  }

  private trackerFor(record: ExecutionRecord): ExecutionTracker {
    return new ExecutionTracker(record, (current) => {
      if (!this.closed) this.records.write(recordName(current.executionArn), current);
    });
  }

  private run(
    machine: Machine,
    stateMachine: StateMachine,
    input: unknown,
    tracker: ExecutionTracker,
    resumption?: Resumption,
  ): Execution {
    const { record } = tracker;
    const execution = executionOf(record);
    const run = stateMachine.run(input as never, {
      overrides: {
        taskResourceLocalHandlers: this.overridesFor(machine, tracker, resumption) as never,
        ...this.waitOverrides(machine),
        ...this.retryOverrides(machine),
      },
      // aws-local-stepfunctions 3.0.0 sets Execution.Input and StartTime itself (to this run's input and
      // now); compiled playbooks read only $$.Execution.Id.
      context: { Execution: { Id: record.executionArn, Name: record.name, StartTime: record.startDate } },
    });
    this.aborts.set(record.executionArn, run.abort);
    const ended = (end: Parameters<ExecutionTracker["ended"]>[0]) => {
      tracker.ended(end);
      this.aborts.delete(record.executionArn);
      execution.status = end.status;
      execution.stopDate = new Date();
      if (end.output !== undefined) execution.output = end.output;
      if (end.error !== undefined) Object.assign(execution, { error: end.error, cause: end.cause ?? "" });
    };
    execution.done = run.result.then(
      (output) => ended({ status: "SUCCEEDED", output: JSON.stringify(output) }),
      (error: Error) => {
        // The interpreter wraps the error that ended it (ExecutionError); AWS reports that error itself (a Fail
        // state's Error and Cause, or the uncaught error of a Task).
        const failure = error.cause instanceof Error ? error.cause : error;
        const end = { status: "FAILED", error: failure.name, cause: failure.message } as const;
        // Told before its record says it ended: a crash in between leaves it running, for recovery to interrupt.
        try {
          if (!this.closed)
            this.options.onFailed?.({ ...record, ...end, stopDate: new Date().toISOString() });
        } finally {
          ended(end);
        }
      },
    );
    this.executions.set(record.executionArn, execution);
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
    this.waits.succeed(taskToken, JSON.parse(output));
  }

  sendTaskFailure(taskToken: string, error = "States.TaskFailed", cause = ""): void {
    this.waits.fail(taskToken, error, cause);
  }

  /** Wait for every running execution to finish (tests and shutdown). */
  async drain(): Promise<void> {
    await Promise.all([...this.executions.values()].map((execution) => execution.done));
  }

  /**
   * Stop: every running execution is aborted here and stays `RUNNING` in its record, as a crash would leave
   * it, so the next start resumes or interrupts it. Callback timers stop; a handler in flight cannot be
   * interrupted, but nothing it causes is recorded any more.
   */
  close(): void {
    this.closed = true;
    this.waits.closeAll();
    for (const abort of this.aborts.values()) abort();
  }
}

/** Where a state may go next: Next, Default, every Choice and Catch target. */
function successorsOf(state: AslState): string[] {
  const targets = [
    state.Next,
    state.Default,
    ...((state.Choices as { Next?: unknown }[] | undefined) ?? []).map((choice) => choice.Next),
    ...((state.Catch as { Next?: unknown }[] | undefined) ?? []).map((catcher) => catcher.Next),
  ];
  return targets.filter((target): target is string => typeof target === "string");
}

/** The top-level states reachable from `start` (Next, Default, every Choice and Catch target). */
function reachableFrom(start: string, states: Record<string, AslState>): Record<string, AslState> {
  const reached = new Map<string, AslState>();
  const visit = (name: string) => {
    const state = states[name];
    if (!state || reached.has(name)) return;
    reached.set(name, state);
    for (const target of successorsOf(state)) visit(target);
  };
  visit(start);
  return Object.fromEntries(reached);
}

/** A record's file name: the execution ARN hashed (names may hold characters a file name may not). */
const recordName = (executionArn: string) =>
  createHash("sha256").update(executionArn).digest("hex").slice(0, 40);

function executionOf(record: ExecutionRecord): Execution {
  return {
    executionArn: record.executionArn,
    stateMachineArn: record.stateMachineArn,
    name: record.name,
    input: record.input,
    status: record.status,
    startDate: new Date(record.startDate),
    ...(record.stopDate ? { stopDate: new Date(record.stopDate) } : {}),
    ...(record.output !== undefined ? { output: record.output } : {}),
    ...(record.error !== undefined ? { error: record.error, cause: record.cause ?? "" } : {}),
    done: Promise.resolve(),
  };
}

/**
 * `seconds`, in milliseconds, for every state of `type` in the machine (Parallel branches included): the shape of
 * aws-local-stepfunctions' per-state overrides. At least 1 ms: the library takes an override of 0 as none.
 */
function millisecondsPerState(
  machine: Machine,
  type: "Wait" | "Task",
  seconds: number,
): Record<string, number> {
  const overrides: Record<string, number> = {};
  const collect = (states: Record<string, AslState>) => {
    for (const [name, state] of Object.entries(states)) {
      if (state.Type === type) overrides[name] = Math.max(1, Math.round(seconds * 1000));
      if (state.Type === "Parallel") for (const branch of state.Branches as Asl[]) collect(branch.States);
    }
  };
  collect(machine.definition.States as unknown as Record<string, AslState>);
  return overrides;
}
