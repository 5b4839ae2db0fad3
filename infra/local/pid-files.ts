import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";

/**
 * Pid files for the processes the local runtime owns (`.quell/runtime.pid`, `.quell/dynamodb.pid`): the pid alone,
 * as tools expect (`kill $(cat .quell/runtime.pid)`). A pid file names a process only if that process started
 * before the file was written, so a pid the kernel has since given to another program is never taken for ours.
 */

const hasProc = existsSync("/proc/self/stat");
/** Linux reports process start times in clock ticks of 1/100 s (USER_HZ, fixed by the kernel ABI). */
const TICKS_PER_SECOND = 100;
/** How much later than its pid file a process may seem to have started (start times are coarse). */
const CLOCK_SLACK_MS = 2_000;

let bootTimeMs: number | undefined;

/** When a running process started (ms since the epoch); undefined if none runs (a zombie has exited). */
export function processStartedAt(pid: number): number | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    if (hasProc) {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      // Field 2, the command name, is in parentheses and may hold spaces: count from its closing parenthesis.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // fields[0] is field 3 (state); fields[19] is field 22 (start time, in ticks since boot).
      if (fields[0] === "Z") return undefined;
      bootTimeMs ??= Number(/^btime (\d+)$/m.exec(readFileSync("/proc/stat", "utf8"))?.[1]) * 1000;
      return bootTimeMs + (Number(fields[19]) * 1000) / TICKS_PER_SECOND;
    }
    // Elsewhere (macOS): `[[dd-]hh:]mm:ss` since it started.
    const elapsed = execFileSync("ps", ["-o", "etime=", "-p", String(pid)], { encoding: "utf8" }).trim();
    const parts = /^(?:(?:(\d+)-)?(\d+):)?(\d+):(\d+)$/.exec(elapsed);
    if (!parts) return undefined;
    const [, days = "0", hours = "0", minutes = "0", seconds = "0"] = parts;
    return (
      Date.now() -
      ((Number(days) * 24 + Number(hours)) * 3600 + Number(minutes) * 60 + Number(seconds)) * 1000
    );
  } catch {
    return undefined;
  }
}

/** A running process's command line, its arguments joined by spaces; undefined if none runs. */
export function commandLineOf(pid: number): string | undefined {
  try {
    if (hasProc) return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
    return execFileSync("ps", ["-o", "args=", "-p", String(pid)], { encoding: "utf8" }).trim();
  } catch {
    return undefined;
  }
}

export function writePidFile(file: string, pid: number): void {
  writeFileSync(file, `${pid}\n`, { mode: 0o600 });
}

/** The pid a pid file names, if that process (started before the file was written) is still running. */
export function livePidIn(file: string): number | undefined {
  let pid: number;
  let writtenAt: number;
  try {
    pid = Number.parseInt(readFileSync(file, "utf8"), 10);
    writtenAt = statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
  const startedAt = processStartedAt(pid);
  return startedAt !== undefined && startedAt <= writtenAt + CLOCK_SLACK_MS ? pid : undefined;
}

/**
 * Write `pid` into a pid file unless it names another live process: atomically, so of two starts at once one
 * fails. A file naming a dead process (a runtime killed with -9) is replaced.
 */
export function claimPidFile(file: string, pid: number): { ok: true } | { ok: false; holder: number } {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(file, `${pid}\n`, { mode: 0o600, flag: "wx" });
      return { ok: true };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = livePidIn(file);
    if (holder !== undefined && holder !== pid) return { ok: false, holder };
    rmSync(file, { force: true });
  }
  throw new Error(`could not claim ${file}: it keeps being rewritten`);
}

/** Remove a pid file if it still names `pid` (never one a later process wrote). */
export function removePidFile(file: string, pid: number): void {
  try {
    if (Number.parseInt(readFileSync(file, "utf8"), 10) === pid) rmSync(file, { force: true });
  } catch {
    // already gone
  }
}

/** Signal a whole process group (a child spawned `detached` leads its own), SIGKILL if it outlives `graceMs`. */
export async function stopProcessGroup(pid: number, graceMs = 5_000): Promise<void> {
  const startedAt = processStartedAt(pid);
  if (startedAt === undefined) return;
  const gone = () => {
    const now = processStartedAt(pid);
    return now === undefined || Math.abs(now - startedAt) > CLOCK_SLACK_MS;
  };
  signalGroup(pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (!gone() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  if (gone()) return;
  signalGroup(pid, "SIGKILL");
  while (!gone()) await new Promise((resolve) => setTimeout(resolve, 20));
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // not a group leader (or already gone): the process alone
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}
