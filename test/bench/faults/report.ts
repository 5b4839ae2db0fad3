/** The fault harness's table: per scenario, runs, alerts, and violations per invariant; then each violation. */
import { cpus, loadavg, totalmem } from "node:os";
import { INVARIANTS, type InvariantName, type Violation } from "./invariants.js";
import type { RunRecord } from "./run.js";

export interface RunResult {
  readonly record: RunRecord;
  readonly violations: readonly Violation[];
  /** A harness failure (an exception while running): the run proves nothing. */
  readonly error?: string;
}

export interface FaultReport {
  readonly seed: number;
  readonly results: readonly RunResult[];
  /** Violations that belong to no run (a provider write nothing accounts for). */
  readonly global: readonly Violation[];
  readonly wallSeconds: number;
  readonly runtimeStarts: number;
  /** CPU seconds used: by the runtime and its database, and by this process (harness and stand-ins). */
  readonly cpu: { readonly runtime: number; readonly harness: number };
  /** Requests the harness sent the runtime: reads (its polling) and the rest (deliveries, clicks). */
  readonly requests: {
    readonly reads: number;
    readonly writes: number;
    readonly readFailures: readonly string[];
  };
  readonly concurrency: number;
  readonly violationCount: number;
  readonly errorCount: number;
  /** The runtime's data directory, kept (with its runtime.log) when something failed. */
  readonly keptState?: string;
}

/** The command that replays run n of this seed alone, or with the runs whose kills it lived through. */
export const reproduce = (seed: number, run: number, witnessed: readonly number[] = []) =>
  `npm run bench:faults -- 1 ${seed} --run ${[...new Set([...witnessed, run])].sort((a, b) => a - b).join(",")}`;

/** Short column names for the invariants. */
const SHORT: Record<InvariantName, string> = {
  "accepted-kept": "lost",
  "decided-before-write": "undecided-write",
  "one-write-per-approval": "double-write",
  settled: "unsettled",
  "one-incident-per-alert": "reopened",
  "runtime-owns-children": "orphan-db",
  "decision-takes-effect": "ignored-click",
};

export function machineLine(): string {
  const cpu = cpus();
  return `machine: ${cpu.length} × ${cpu[0]?.model ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform}`;
}

export function formatReport(report: FaultReport): string {
  const columns = [
    "scenario",
    "runs",
    "accepted",
    "refused",
    "faults",
    ...INVARIANTS.map((name) => SHORT[name]),
    "errors",
  ];
  /** Where the invariants' counts start in a row (after runs, accepted, refused, faults). */
  const FIRST_INVARIANT = 4;
  const rows = new Map<string, number[]>();
  for (const { record, violations, error } of report.results) {
    const row = rows.get(record.plan.scenario) ?? new Array(columns.length - 1).fill(0);
    row[0] += 1;
    row[1] += record.accepted.length;
    row[2] += record.refused.length;
    row[3] += record.faultsFired;
    for (const violation of violations) row[FIRST_INVARIANT + INVARIANTS.indexOf(violation.invariant)] += 1;
    if (error) row[columns.length - 2] += 1;
    rows.set(record.plan.scenario, row);
  }
  const total = new Array(columns.length - 1).fill(0);
  for (const row of rows.values()) {
    for (const [i, value] of row.entries()) total[i] += value;
  }
  for (const violation of report.global)
    total[FIRST_INVARIANT + INVARIANTS.indexOf(violation.invariant)] += 1;
  const table = [
    columns,
    ...[...rows].sort().map(([name, row]) => [name, ...row.map(String)]),
    ["total", ...total.map(String)],
  ];
  const widths = columns.map((_, i) => Math.max(...table.map((row) => (row[i] ?? "").length)));
  const line = (row: string[]) =>
    row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join("  ");
  const out = [
    `Quell fault harness: ${report.results.length} runs, seed ${report.seed}, ${report.concurrency} at a time`,
    `${machineLine()}; load average at the end ${loadavg()[0]?.toFixed(1)}`,
    `wall time ${report.wallSeconds.toFixed(1)} s; runtime starts ${report.runtimeStarts}; CPU ${report.cpu.runtime.toFixed(1)} s in the runtime and its database, ${report.cpu.harness.toFixed(1)} s in the harness and stand-ins; ${report.requests.writes} requests sent and ${report.requests.reads} reads`,
    "",
    line(table[0] as string[]),
    ...table.slice(1).map((row) => line(row)),
    "",
    `columns: accepted = alerts answered 202; refused = valid deliveries refused after retries; faults = faults fired; ${INVARIANTS.map((name) => `${SHORT[name]} = ${name}`).join("; ")}`,
  ];
  const problems = report.results.filter((result) => result.violations.length || result.error);
  if (problems.length || report.global.length)
    out.push("", "violations (each run replays with the command shown):");
  for (const { record, violations, error } of problems) {
    const { run, scenario, summary } = record.plan;
    out.push(`  run ${run} (${scenario}: ${summary})   ${reproduce(report.seed, run, record.witnessed)}`);
    if (record.witnessed.length)
      out.push(`    lived through the kill -9 of run ${record.witnessed.join(", ")}`);
    for (const violation of violations) out.push(`    ${violation.invariant}: ${violation.message}`);
    if (error) out.push(`    harness error: ${error}`);
    if (record.notes.length) out.push(`    notes: ${record.notes.join("; ")}`);
  }
  for (const violation of report.global) out.push(`  (no run) ${violation.invariant}: ${violation.message}`);
  // The harness sends only valid, authenticated deliveries: a refusal means the contract or the harness moved.
  const refusing = report.results.filter((result) => result.record.refused.length > 0);
  if (refusing.length)
    out.push("", "refused deliveries (valid ones the runtime did not accept, after retries):");
  for (const { record } of refusing) out.push(`  run ${record.plan.run}: ${record.refused.join("; ")}`);
  const failures = report.requests.readFailures;
  if (failures.length) {
    const first = [...new Set(failures)].slice(0, 5).join("; ");
    out.push("", `reads that failed other than with 503 (retried): ${failures.length}, e.g. ${first}`);
  }
  if (report.keptState) out.push("", `the runtime's state and log are kept in ${report.keptState}`);
  out.push(
    "",
    report.violationCount || report.errorCount
      ? `FAILED: ${report.violationCount} violations, ${report.errorCount} harness errors`
      : "OK: 0 violations",
  );
  return out.join("\n");
}
