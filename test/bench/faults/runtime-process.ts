/**
 * The local runtime as a child process (`infra/local/main.ts`, what `npm start` runs), in a data directory of its
 * own, so the fault harness can kill it for real (SIGKILL), kill its database, and start it again on the same
 * state. Only processes this harness started, or that the runtime it started left behind in its data directory,
 * are ever signalled, by pid.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { freePort } from "../../../infra/local/ports.js";
import { cpuSeconds } from "../stats.js";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const TSX_LOADER = pathToFileURL(join(REPO, "node_modules/tsx/dist/loader.mjs")).href;

export interface RuntimeProcess {
  readonly url: string;
  readonly dataDir: string;
  /** The current runtime process id. */
  pid(): number | undefined;
  /** DynamoDB Local processes serving this data directory (normally one). */
  databasePids(): number[];
  /** SIGKILL the runtime (not its children: what a crash or an OOM kill does). */
  killRuntime(): Promise<void>;
  /** SIGKILL the runtime's database; returns the pids killed. */
  killDatabase(): number[];
  /** Start the runtime again on the same data directory and port, and wait until /healthz answers 200. */
  start(): Promise<void>;
  /** Ask the runtime to stop (SIGTERM); SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** Starts so far (1 after the first start). */
  starts(): number;
  /** CPU seconds the runtime processes and their databases have used so far (Linux; 0 elsewhere). */
  cpuSeconds(): number;
}

/** `/proc/<pid>/cmdline` as its arguments, or undefined when the process is gone or unreadable. */
function cmdline(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
  } catch {
    return undefined;
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Java processes whose DynamoDB Local `-dbPath` is under `dataDir`: found through the runtime's pid file when it
 * writes one (`.quell/dynamodb.pid`), and always through /proc, so a database the runtime orphaned shows too.
 */
export function databasePidsUnder(dataDir: string): number[] {
  const found = new Set<number>();
  const pidFile = join(dataDir, ".quell", "dynamodb.pid");
  if (existsSync(pidFile)) {
    const pid = Number.parseInt(readFileSync(pidFile, "utf8"), 10);
    const args = Number.isInteger(pid) ? cmdline(pid) : undefined;
    if (args?.some((arg) => arg.startsWith(dataDir))) found.add(pid);
  }
  let entries: string[] = [];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [...found];
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const args = cmdline(Number(entry));
    // The jar itself (`-jar DynamoDBLocal.jar`) or on a class path with a launcher class.
    if (!args?.some((arg) => arg.includes("DynamoDBLocal.jar"))) continue;
    const dbPath = args[args.indexOf("-dbPath") + 1];
    if (dbPath && resolve(dbPath).startsWith(dataDir)) found.add(Number(entry));
  }
  return [...found].sort((a, b) => a - b);
}

export async function startRuntimeProcess(options: {
  dataDir: string;
  env: Record<string, string>;
  /** Give up on a start after this long. */
  startTimeoutMs?: number;
  /** Whose `infra/local/main.ts` to run (a checkout of another revision, to compare); default this repository. */
  codeRoot?: string;
}): Promise<RuntimeProcess> {
  const dataDir = resolve(options.dataDir);
  const codeRoot = resolve(options.codeRoot ?? REPO);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const log = createWriteStream(join(dataDir, "runtime.log"), { flags: "a" });
  let child: ChildProcess | undefined;
  let starts = 0;
  // CPU of processes that are gone, read just before they were killed.
  let spentCpu = 0;
  const cpuOf = (pids: readonly (number | undefined)[]) =>
    pids.reduce<number>((sum, pid) => sum + (pid === undefined ? 0 : (cpuSeconds(pid) ?? 0)), 0);

  const exited = (process: ChildProcess) =>
    new Promise<void>((done) => {
      if (process.exitCode !== null || process.signalCode !== null) return done();
      process.once("exit", () => done());
    });

  async function start(): Promise<void> {
    starts += 1;
    log.write(`\n--- start ${starts} at ${new Date().toISOString()} ---\n`);
    const started = spawn(process.execPath, ["--import", TSX_LOADER, join(codeRoot, "infra/local/main.ts")], {
      cwd: dataDir,
      env: {
        ...process.env,
        ...options.env,
        QUELL_PORT: String(port),
        TSX_TSCONFIG_PATH: join(codeRoot, "tsconfig.json"),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child = started;
    started.stdout?.pipe(log, { end: false });
    started.stderr?.pipe(log, { end: false });
    const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
    for (;;) {
      if (started.exitCode !== null || started.signalCode !== null) {
        throw new Error(
          `the runtime exited during start ${starts} (${started.exitCode ?? started.signalCode}); see ${join(dataDir, "runtime.log")}`,
        );
      }
      try {
        const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) });
        if (response.status === 200) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        started.kill("SIGKILL");
        throw new Error(`the runtime did not become healthy at ${url} within the start timeout`);
      }
      await new Promise((done) => setTimeout(done, 100));
    }
  }

  await start();
  return {
    url,
    dataDir,
    pid: () => child?.pid,
    databasePids: () => databasePidsUnder(dataDir),
    async killRuntime() {
      if (!child) return;
      const current = child;
      spentCpu += cpuOf([current.pid]);
      current.kill("SIGKILL");
      await exited(current);
    },
    killDatabase() {
      const pids = databasePidsUnder(dataDir);
      spentCpu += cpuOf(pids);
      for (const pid of pids) process.kill(pid, "SIGKILL");
      return pids;
    },
    start,
    async stop(graceMs = 5000) {
      if (!child) return;
      const current = child;
      spentCpu += cpuOf([current.pid, ...databasePidsUnder(dataDir)]);
      current.kill("SIGTERM");
      const timer = setTimeout(() => current.kill("SIGKILL"), graceMs);
      await exited(current);
      clearTimeout(timer);
    },
    starts: () => starts,
    cpuSeconds: () => spentCpu + cpuOf([child?.pid, ...databasePidsUnder(dataDir)]),
  };
}

/** SIGKILL processes by pid (orphans this harness's runtime left in its own data directory), if still alive. */
export function killOrphans(pids: readonly number[]): void {
  for (const pid of pids) if (alive(pid)) process.kill(pid, "SIGKILL");
}
