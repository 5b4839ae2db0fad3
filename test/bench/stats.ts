import { readFileSync } from "node:fs";

/** Nearest-rank percentile of samples (p in 0..100). */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

/** One line of a benchmark table: the name, then the given percentiles and the maximum, in milliseconds. */
export function latencyRow(
  name: string,
  values: readonly number[],
  percentiles: readonly number[],
  digits = 1,
): string {
  const cells = percentiles.map((p) => `p${p} ${percentile(values, p).toFixed(digits).padStart(7)} ms`);
  return `${name.padEnd(40)} ${cells.join("   ")}   max ${Math.max(...values)
    .toFixed(digits)
    .padStart(7)} ms`;
}

/** The machine a benchmark ran on, as its report states it. */
export async function machineLine(): Promise<string> {
  const { cpus, totalmem } = await import("node:os");
  return `machine: ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

/**
 * CPU seconds (user + system) a process has used so far: this one from Node, another from /proc (Linux), or
 * undefined where /proc is not there to ask.
 */
export function cpuSeconds(pid?: number): number | undefined {
  if (pid === undefined || pid === process.pid) {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1e6;
  }
  try {
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th of them, in ticks.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}
/** USER_HZ: 100 on every Linux this runs on (what `getconf CLK_TCK` says). */
const CLOCK_TICKS_PER_SECOND = 100;
