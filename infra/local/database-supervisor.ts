/** What the supervisor needs of a running database (startLocalDynamo's handle). */
export interface SupervisedDatabase {
  readonly endpoint: string;
  readonly port: number;
  readonly pid: number | undefined;
  /** Resolves when the process exits, however it ends. */
  readonly exited: Promise<void>;
  stop(): Promise<void>;
}

export interface DatabaseHealth {
  readonly database: "up" | "down";
  /** Since when it is in this state. */
  readonly since: string;
  readonly restarts: number;
  readonly lastError: string | null;
}

export interface SupervisorOptions {
  /** How often to check the database answers (a cheap ListTables). */
  readonly probeIntervalMs?: number;
  readonly probeTimeoutMs?: number;
  /** Failed probes in a row after which a database that still runs counts as down (one slow answer does not). */
  readonly failuresBeforeDown?: number;
  /** Failed probes in a row after which a process that still runs is killed and restarted (it hangs). */
  readonly failuresBeforeRestart?: number;
  /** Restart delays, the last repeating: a database that cannot start is retried without end, slowly. */
  readonly backoffMs?: readonly number[];
  readonly log?: (line: string) => void;
}

/**
 * Keeps DynamoDB Local running: notices its exit at once (the child's `exit`) and a hang by probing it every few
 * seconds (and on demand, for /healthz), says whether it is up, and restarts it with backoff on the same data
 * directory and the same port, so every handler keeps its endpoint. While it is down, callers ask `isUp` (ingest
 * answers 503 then) or wait with `whenUp` (the bus and Step Functions hold deliveries and tasks back).
 */
export class DatabaseSupervisor {
  private current: SupervisedDatabase;
  private up = true;
  private since = new Date().toISOString();
  private restarts = 0;
  private lastError: string | null = null;
  private failures = 0;
  private stopped = false;
  private restarting: Promise<void> | undefined;
  private waiters: (() => void)[] = [];
  private readonly probeTimer: NodeJS.Timeout;

  constructor(
    first: SupervisedDatabase,
    private readonly launch: (port: number) => Promise<SupervisedDatabase>,
    private readonly probeOnce: (endpoint: string, signal: AbortSignal) => Promise<void>,
    private readonly options: SupervisorOptions = {},
  ) {
    this.current = first;
    this.watch(first);
    this.probeTimer = setInterval(() => void this.probe(), options.probeIntervalMs ?? 2000);
    this.probeTimer.unref();
  }

  get endpoint(): string {
    return this.current.endpoint;
  }

  get pid(): number | undefined {
    return this.current.pid;
  }

  isUp(): boolean {
    return this.up;
  }

  health(): DatabaseHealth {
    return {
      database: this.up ? "up" : "down",
      since: this.since,
      restarts: this.restarts,
      lastError: this.lastError,
    };
  }

  /** Resolves at once while the database is up, else when it is back (or the supervisor stops). */
  whenUp(): Promise<void> {
    if (this.up || this.stopped) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Ask the database now; a failure marks it down (and, repeated while it runs, restarts it). */
  async probe(): Promise<boolean> {
    if (this.stopped || this.restarting) return this.up;
    const database = this.current;
    try {
      await this.probeOnce(database.endpoint, AbortSignal.timeout(this.options.probeTimeoutMs ?? 3000));
      if (database !== this.current || this.restarting) return this.up;
      this.failures = 0;
      this.markUp();
      return true;
    } catch (error) {
      if (database !== this.current || this.restarting || this.stopped) return this.up;
      this.failures += 1;
      this.lastError = `DynamoDB Local did not answer: ${(error as Error).message}`.slice(0, 300);
      if (this.failures >= (this.options.failuresBeforeDown ?? 2)) this.markDown(this.lastError);
      if (this.failures >= (this.options.failuresBeforeRestart ?? 4)) {
        this.options.log?.("DynamoDB Local stopped answering; restarting it");
        // Its exit (watched) starts the restart.
        void database.stop();
      }
      return this.up;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.probeTimer);
    this.release();
    await this.restarting;
    await this.current.stop();
  }

  private watch(database: SupervisedDatabase): void {
    void database.exited.then(() => {
      if (this.stopped || database !== this.current) return;
      this.markDown("DynamoDB Local exited");
      this.options.log?.(
        `DynamoDB Local (pid ${database.pid}) exited; restarting it on port ${database.port}`,
      );
      this.restarting = this.restart(database.port).finally(() => {
        this.restarting = undefined;
      });
    });
  }

  private async restart(port: number): Promise<void> {
    const delays = this.options.backoffMs ?? [250, 500, 1000, 2000, 5000, 10_000];
    for (let attempt = 0; !this.stopped; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, delays[Math.min(attempt, delays.length - 1)]));
      if (this.stopped) return;
      try {
        const database = await this.launch(port);
        if (this.stopped) {
          await database.stop();
          return;
        }
        this.current = database;
        this.restarts += 1;
        this.failures = 0;
        this.watch(database);
        this.markUp();
        this.options.log?.(`DynamoDB Local is back (pid ${database.pid}, port ${port})`);
        return;
      } catch (error) {
        this.lastError = `restart failed: ${(error as Error).message.slice(0, 300)}`;
        this.options.log?.(
          `DynamoDB Local could not be restarted (attempt ${attempt + 1}): ${this.lastError}`,
        );
      }
    }
  }

  private markDown(reason: string): void {
    this.lastError = reason.slice(0, 300);
    if (!this.up) return;
    this.up = false;
    this.since = new Date().toISOString();
  }

  private markUp(): void {
    if (this.up) return;
    this.up = true;
    this.since = new Date().toISOString();
    this.release();
  }

  private release(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}
