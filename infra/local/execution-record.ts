export type ExecutionStatus = "RUNNING" | "SUCCEEDED" | "FAILED" | "ABORTED";

/**
 * The callback a top-level Task state waits on: what a restart resumes. Written before its handler is called
 * (`requesting`: the handler may or may not have stored the token and posted the card), and again once the
 * handler returned (`waiting`: only a SendTaskSuccess/Failure or the deadline ends it).
 */
export interface WaitingCallback {
  readonly state: string;
  readonly phase: "requesting" | "waiting";
  /** The state's whole input: the resumed execution starts from it. */
  readonly stateInput: unknown;
  readonly taskToken: string;
  /** The emulated callback's deadline (the approval's timeout, shortened locally when asked). */
  readonly timeoutAt: string;
  /** What the handler was given, token removed (incidentId, step, mode…). */
  readonly payload: Readonly<Record<string, unknown>>;
}

/** A Task state whose handler runs: since when, and the state's input (a retry-safe task resumes from it). */
export interface RunningTask {
  readonly since: string;
  readonly stateInput: unknown;
  /** A state of a Parallel branch: it cannot be re-entered alone. */
  readonly nested: boolean;
}

/** One execution as kept under `.quell/executions/`. */
export interface ExecutionRecord {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly input: string;
  readonly startDate: string;
  readonly status: ExecutionStatus;
  readonly stopDate?: string;
  readonly output?: string;
  readonly error?: string;
  readonly cause?: string;
  /** Task states whose handler is running now: an action there may be half sent. */
  readonly running: Readonly<Record<string, RunningTask>>;
  readonly waiting?: WaitingCallback;
  /** The last Task state that finished (settled, for a callback). */
  readonly lastFinished?: string;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Keeps one execution's record current, writing it (durably) at every change. */
export class ExecutionTracker {
  private readonly current: Mutable<ExecutionRecord> & { running: Record<string, RunningTask> };

  constructor(
    record: ExecutionRecord,
    private readonly save: (record: ExecutionRecord) => void,
  ) {
    this.current = { ...record, running: { ...record.running } };
  }

  get record(): ExecutionRecord {
    return this.current;
  }

  persist(): void {
    this.save(this.current);
  }

  entered(state: string, stateInput: unknown, nested: boolean): void {
    this.current.running[state] = { since: new Date().toISOString(), stateInput: stateInput ?? null, nested };
    this.persist();
  }

  requesting(callback: Omit<WaitingCallback, "phase">): void {
    this.current.waiting = { ...callback, phase: "requesting" };
    this.persist();
  }

  waiting(state: string): void {
    const waiting = this.current.waiting;
    if (waiting?.state !== state || waiting.phase === "waiting") return;
    this.current.waiting = { ...waiting, phase: "waiting" };
    this.persist();
  }

  finished(state: string): void {
    delete this.current.running[state];
    if (this.current.waiting?.state === state) delete this.current.waiting;
    this.current.lastFinished = state;
    this.persist();
  }

  ended(end: {
    status: Exclude<ExecutionStatus, "RUNNING">;
    output?: string;
    error?: string;
    cause?: string;
  }) {
    Object.assign(this.current, end, { stopDate: new Date().toISOString(), running: {} });
    delete this.current.waiting;
    this.persist();
  }
}
