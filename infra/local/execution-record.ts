export type ExecutionStatus = "RUNNING" | "SUCCEEDED" | "FAILED" | "ABORTED";

/** A callback a top-level Task state waits on, once its handler returned: what a restart resumes. */
export interface WaitingCallback {
  readonly state: string;
  /** The state's whole input: the resumed execution starts from it. */
  readonly stateInput: unknown;
  readonly taskToken: string;
  /** The emulated callback's deadline (the approval's timeout, shortened locally when asked). */
  readonly timeoutAt: string;
  /** What the handler was given, token removed (incidentId, step…). */
  readonly payload: Readonly<Record<string, unknown>>;
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
  /** Task states whose handler is running now, and since when: an action there may be half sent. */
  readonly running: Readonly<Record<string, string>>;
  readonly waiting?: WaitingCallback;
  /** The last Task state that finished (settled, for a callback). */
  readonly lastFinished?: string;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Keeps one execution's record current, writing it (durably) at every change. */
export class ExecutionTracker {
  private readonly current: Mutable<ExecutionRecord> & { running: Record<string, string> };

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

  entered(state: string): void {
    this.current.running[state] = new Date().toISOString();
    this.persist();
  }

  waiting(callback: WaitingCallback): void {
    delete this.current.running[callback.state];
    this.current.waiting = callback;
    this.persist();
  }

  finished(state: string): void {
    delete this.current.running[state];
    if (this.current.waiting?.state === state) delete this.current.waiting;
    this.current.lastFinished = state;
    this.persist();
  }

  ended(end: { status: Exclude<ExecutionStatus, "RUNNING">; output?: string; error?: string; cause?: string }) {
    Object.assign(this.current, end, { stopDate: new Date().toISOString(), running: {} });
    delete this.current.waiting;
    this.persist();
  }
}
