import { describe, expect, it } from "vitest";
import { runFaultBench } from "../bench/faults/bench.js";
import { formatReport } from "../bench/faults/report.js";

/**
 * The fault harness's short seeded run (`npm run bench:faults -- 200 273` is the same run): duplicate, late and
 * out-of-order deliveries, provider and Slack failures, click races, and kill -9 of the runtime (mid-burst, at the
 * card, with an approved write in flight) and of its database (after an approval), against the runtime as a child
 * process with real writes to the stand-ins. Every invariant must hold in every run; the failure message is the
 * harness's table and each violation with the command that replays its run alone.
 */
const RUNS = 200;
/** Chosen because its 200 runs kill the runtime at three different points and the database at a fourth. */
const SEED = 273;

describe("fault harness (short seeded run)", () => {
  it(`keeps every invariant over ${RUNS} seeded runs`, { timeout: 600_000 }, async () => {
    const report = await runFaultBench({ runs: RUNS, seed: SEED });
    const table = formatReport(report);
    console.log(table);
    expect(report.errorCount, table).toBe(0);
    expect(report.violationCount, table).toBe(0);
    // A harness that stopped exercising anything would pass: the runs must have been carried out.
    expect(report.results).toHaveLength(RUNS);
    expect(report.results.reduce((sum, result) => sum + result.record.accepted.length, 0)).toBeGreaterThan(
      RUNS,
    );
  });
});
