/**
 * The fault harness: plan `runs` runs from `seed`, start the world (stand-ins and one runtime child process),
 * carry the runs out `concurrency` at a time (runs that kill the runtime or its database alone), check each run's
 * invariants when it ends, then everything once more at the end.
 */

import { cpuSeconds } from "../stats.js";
import { GITHUB_REPOSITORY_ID } from "./bodies.js";
import { IncidentIndex, SlackIncidentFinder, UnmatchedIndex } from "./incident-index.js";
import { checkRun, unattributedWrites, type Violation } from "./invariants.js";
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
  };
  const results: RunResult[] = [];
  try {
    const runOne = async (plan: RunPlan) => {
      let result: RunResult;
      try {
        const record = await executeRun(plan, ctx);
        result = { record, violations: await checkRun(ctx, record) };
      } catch (error) {
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
      if (plan.exclusive) {
        await Promise.all(inFlight);
        await runOne(plan);
        continue;
      }
      while (inFlight.size >= concurrency) await Promise.race(inFlight);
      const running: Promise<void> = runOne(plan).finally(() => inFlight.delete(running));
      inFlight.add(running);
    }
    await Promise.all(inFlight);

    // The final look: every run's incidents read again, every invariant checked again, writes no run explains.
    await ctx.index.refresh(true);
    await ctx.unmatched.refresh();
    const final: RunResult[] = [];
    for (const result of results) {
      if (result.error) {
        final.push(result);
        continue;
      }
      const { record } = result;
      const ids = await ctx.index.lookup(
        incidentDedupKey(record.plan.subject, GITHUB_REPOSITORY_ID),
        Infinity,
      );
      const views = await Promise.all(ids.map((id) => world.api.incident(id)));
      record.incidents = views.filter((view) => view !== undefined);
      const now = await checkRun(ctx, record);
      const seen = new Set(now.map((violation) => `${violation.invariant} ${violation.message}`));
      const kept = result.violations.filter(
        (violation) =>
          PERMANENT.has(violation.invariant) && !seen.has(`${violation.invariant} ${violation.message}`),
      );
      final.push({ record, violations: [...now, ...kept] });
    }
    const global: Violation[] = unattributedWrites(
      ctx,
      final.map((result) => result.record),
    );
    final.sort((a, b) => a.record.plan.run - b.record.plan.run);
    return {
      seed: options.seed,
      results: final,
      global,
      wallSeconds: (performance.now() - started) / 1000,
      runtimeStarts: world.runtime.starts(),
      cpu: { runtime: world.runtime.cpuSeconds(), harness: cpuSeconds() ?? 0 },
      requests: { ...world.api.sent },
      concurrency,
      violationCount: final.reduce((sum, result) => sum + result.violations.length, 0) + global.length,
      errorCount: final.filter((result) => result.error).length,
    };
  } finally {
    await world.close();
  }
}
