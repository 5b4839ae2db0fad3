/** An error with the name Step Functions would report, so Retry and Catch match as they do in AWS. */
export class AwsStyleError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

export const STATES_TIMEOUT = "States.Timeout";

/** A callback task's wait: settled by SendTaskSuccess / SendTaskFailure, or timed out at its deadline. */
export interface PendingWait {
  /** Resolves with the task's output, or rejects with the task's error (States.Timeout at the deadline). */
  readonly settled: Promise<unknown>;
  isSettled(): boolean;
}

interface Entry {
  resolve: (output: unknown) => void;
  reject: (error: Error) => void;
  cancelTimer: () => void;
  /** Called once, synchronously, before the wait settles (the execution's record is written then). */
  onSettle: () => void;
}

/** setTimeout holds at most 2^31-1 ms (24.8 days); a longer wait re-arms until its deadline. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function timerUntil(deadline: number, fire: () => void): () => void {
  let timer: NodeJS.Timeout;
  const arm = () => {
    const left = deadline - Date.now();
    timer = setTimeout(left > MAX_TIMER_MS ? arm : fire, Math.min(Math.max(0, left), MAX_TIMER_MS));
  };
  arm();
  return () => clearTimeout(timer);
}

/**
 * The task tokens callback tasks wait on, with the answers Step Functions gives: a settled token is
 * `TaskDoesNotExist`, a timed-out one `TaskTimedOut`, anything else `InvalidToken`.
 */
export class CallbackWaits {
  private readonly pending = new Map<string, Entry>();
  private readonly finished = new Map<string, "TaskTimedOut" | "settled">();

  /** Wait on `token` until `deadline` (ms since the epoch); a deadline already past times out at once. */
  register(token: string, deadline: number, onSettle: () => void): PendingWait {
    let settledNow = false;
    let entry: Entry | undefined;
    const settled = new Promise<unknown>((resolve, reject) => {
      entry = {
        resolve: (output) => {
          settledNow = true;
          resolve(output);
        },
        reject: (error) => {
          settledNow = true;
          reject(error);
        },
        cancelTimer: () => {},
        onSettle,
      };
    });
    // Awaited later by the interpreter: a timeout that fires first is not an unhandled rejection.
    settled.catch(() => {});
    const registered = entry as Entry;
    registered.cancelTimer = timerUntil(deadline, () => {
      if (this.pending.get(token) !== registered) return;
      this.pending.delete(token);
      this.finished.set(token, "TaskTimedOut");
      registered.onSettle();
      registered.reject(new AwsStyleError(STATES_TIMEOUT, "the task timed out waiting for a callback"));
    });
    this.pending.set(token, registered);
    return { settled, isSettled: () => settledNow };
  }

  succeed(token: string, output: unknown): void {
    this.take(token).resolve(output);
  }

  fail(token: string, error: string, cause: string): void {
    this.take(token).reject(new AwsStyleError(error, cause));
  }

  /** The handler that was to hand out the token failed: the wait is dropped, the task fails with its error. */
  cancel(token: string): void {
    const entry = this.pending.get(token);
    if (!entry) return;
    entry.cancelTimer();
    this.pending.delete(token);
    this.finished.set(token, "settled");
    entry.onSettle();
  }

  /** Stop every timer and forget every wait, settling none (the runtime stops). */
  closeAll(): void {
    for (const entry of this.pending.values()) entry.cancelTimer();
    this.pending.clear();
  }

  private take(token: string): Entry {
    const entry = this.pending.get(token);
    if (entry) {
      entry.cancelTimer();
      this.pending.delete(token);
      this.finished.set(token, "settled");
      // Recorded before the caller's SendTaskSuccess/Failure is answered.
      entry.onSettle();
      return entry;
    }
    const finished = this.finished.get(token);
    if (finished === "TaskTimedOut") throw new AwsStyleError("TaskTimedOut", "Task Timed Out");
    if (finished) throw new AwsStyleError("TaskDoesNotExist", "Task Does Not Exist: it was already settled");
    throw new AwsStyleError("InvalidToken", "Invalid Token");
  }
}
