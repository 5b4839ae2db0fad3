/**
 * The fault harness: plan `runs` runs from `seed`, start the world (stand-ins and one runtime child process),
 * carry the runs out `concurrency` at a time, check each run's invariants when it ends, then everything once more
 * at the end. A run that kills the runtime or its database does it with the others in flight, as a crash would:
 * their invariants must hold through it too (the report names the kills each run lived through).
 */

import { cpuSeconds } from "../stats.js";
import { GITHUB_REPOSITORY_ID } from "./bodies.js";
import { IncidentIndex, SlackIncidentFinder, UnmatchedIndex } from "./incident-index.js";
import { checkRun, unattributedWrites, type Violation } from "./invariants.js";
import { KillLog, RuntimeDown } from "./kill-restart.js";
import type { RunPlan } from "./plan.js";
import type { FaultReport, RunResult } from "./report.js";
import { executeRun, type RunContext, type RunRecord } from "./run.js";
import { planRun, type ScenarioName } from "./scenarios/index.js";
import { incidentDedupKey, slackMarker } from "./subjects.js";
import { startWorld } from "./world.js";

export interface FaultBenchOptions {
  readonly runs: number;
  readonly seed: number;
  /** Only these runs of the seed (`--run 17` replays run 17 alone; `--run 3,5,6` those three together). */
  readonly only?: readonly number[];
  readonly concurrency?: number;
  readonly scenarios?: readonly ScenarioName[];
  /** Whose runtime code to run (another checkout); default this repository. */
  readonly codeRoot?: string;
  /** Called as each run ends (progress). */
  readonly onRun?: (result: RunResult) => void;
}

/** Invariants a later look cannot clear: a write that happened, a database that was left behind. */
const PERMANENT = new Set(["decided-before-write", "one-write-per-approval", "runtime-owns-children"]);

/** A run checked once more at the end, on its incidents as they are now. */
async function finalCheck(ctx: RunContext, result: RunResult): Promise<RunResult> {
  if (result.error) return result;
  const { record } = result;
  const listed = await ctx.index.lookup(
    incidentDedupKey(record.plan.subject, GITHUB_REPOSITORY_ID),
    Infinity,
  );
  const ids = new Set([...listed, ...record.finder.find()]);
  const views = await Promise.all([...ids].map((id) => ctx.world.api.incident(id)));
  record.incidents = views.filter((view) => view !== undefined);
  const now = await checkRun(ctx, record);
  const key = (violation: Violation) => `${violation.invariant} ${violation.message}`;
  const seen = new Set(now.map(key));
  // What the look after the run saw and cannot have healed since (a write happened; it stays happened).
  const kept = result.violations.filter(
    (violation) => PERMANENT.has(violation.invariant) && !seen.has(key(violation)),
  );
  return { record, violations: [...now, ...kept] };
}

/** `map` over `items`, `limit` at a time, in order. */
async function mapConcurrently<T, U>(
  items: readonly T[],
  limit: number,
  map: (item: T) => Promise<U>,
): Promise<U[]> {
  const out: U[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await map(items[i] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export function plansFor(
  options: Pick<FaultBenchOptions, "runs" | "seed" | "only" | "scenarios">,
): RunPlan[] {
  const numbers = options.only?.length ? options.only : Array.from({ length: options.runs }, (_, i) => i + 1);
  return numbers.map((run) => planRun(options.seed, run, options.scenarios));
}

const emptyRecord = (plan: RunPlan, ctx: RunContext): RunRecord => ({
  plan,
  base: Date.now(),
  accepted: [],
  replays: [],
  refused: [],
  notes: [],
  violations: [],
  witnessed: [],
  faultsFired: 0,
  timings: {},
  finder: new SlackIncidentFinder(ctx.world.standins.slack.messages, slackMarker(plan.subject)),
  incidents: [],
  settled: false,
  endedAt: Date.now(),
});

export async function runFaultBench(options: FaultBenchOptions): Promise<FaultReport> {
  const started = performance.now();
  const plans = plansFor(options);
  const concurrency = options.concurrency ?? 8;
  const world = await startWorld({ plans, ...(options.codeRoot ? { codeRoot: options.codeRoot } : {}) });
  const ctx: RunContext = {
    world,
    index: new IncidentIndex(world.api),
    unmatched: new UnmatchedIndex(world.api),
    kills: new KillLog(),
  };
  const results: RunResult[] = [];
  // The runtime's data directory (its log and state) is kept when something failed.
  let keep = true;
  try {
    const runOne = async (plan: RunPlan) => {
      let result: RunResult;
      try {
        const record = await executeRun(plan, ctx);
        result = { record, violations: await checkRun(ctx, record) };
      } catch (error) {
        if (error instanceof RuntimeDown) throw error;
        result = {
          record: emptyRecord(plan, ctx),
          violations: [],
          error: (error as Error).stack ?? String(error),
        };
      }
      results.push(result);
      options.onRun?.(result);
    };
    const inFlight = new Set<Promise<void>>();
    for (const plan of plans) {
      while (inFlight.size >= concurrency) await Promise.race(inFlight);
      const running: Promise<void> = runOne(plan).finally(() => inFlight.delete(running));
      inFlight.add(running);
    }
    await Promise.all(inFlight);

    // The final look: every run's incidents read again, every invariant checked again, writes no run explains.
    await ctx.index.refresh(true);
    await ctx.unmatched.refresh();
    const final = await mapConcurrently(results, concurrency, (result) => finalCheck(ctx, result));
    final.sort((a, b) => a.record.plan.run - b.record.plan.run);
    const global = unattributedWrites(
      ctx,
      final.map((result) => result.record),
    );
    const violationCount = final.reduce((sum, result) => sum + result.violations.length, 0) + global.length;
    const errorCount = final.filter((result) => result.error).length;
    keep = violationCount + errorCount > 0;
    return {
      seed: options.seed,
      results: final,
      global,
      wallSeconds: (performance.now() - started) / 1000,
      runtimeStarts: world.runtime.starts(),
      cpu: { runtime: world.runtime.cpuSeconds(), harness: cpuSeconds() ?? 0 },
      requests: { ...world.api.sent, readFailures: [...world.api.sent.readFailures] },
      concurrency,
      violationCount,
      errorCount,
      ...(keep ? { keptState: world.runtime.dataDir } : {}),
    };
  } finally {
    await world.close({ keep });
  }
}
