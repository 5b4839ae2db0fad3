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
