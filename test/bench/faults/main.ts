/**
 * `npm run bench:faults -- <runs> <seed> [--run <n>[,<m>…|<n>-<m>]] [--concurrency <c>] [--scenario a,b] [--code-root <dir>]
 *  [--verbose]`
 *
 * Drives the local runtime (a child process, QUELL_DRY_RUN=false, against loopback stand-ins) through `runs`
 * seeded fault scenarios and checks Quell's invariants after each run and at the end. Prints a table per
 * scenario and every violation with the command that replays its run; exits 1 on any violation.
 * `--list` prints the scenarios.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
const { runFaultBench } = await import("./bench.js");
const { formatReport } = await import("./report.js");
const { SCENARIOS, SCENARIO_NAMES } = await import("./scenarios/index.js");
type ScenarioName = import("./scenarios/index.js").ScenarioName;

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const at = args.indexOf(name);
  if (at === -1) return undefined;
  const value = args[at + 1];
  args.splice(at, 2);
  return value;
};

function usage(problem: string): never {
  console.error(
    `${problem}\nusage: npm run bench:faults -- <runs> <seed> [--run <n>] [--concurrency <c>] [--scenario a,b] [--code-root <dir>]`,
  );
  process.exit(2);
}

const verbose = args.includes("--verbose");
if (verbose) args.splice(args.indexOf("--verbose"), 1);
if (args.includes("--list")) {
  for (const name of SCENARIO_NAMES)
    console.log(
      `${name.padEnd(24)} weight ${String(SCENARIOS[name].weight).padStart(2)}  ${SCENARIOS[name].about}`,
    );
  process.exit(0);
}

const only = flag("--run");
const concurrency = flag("--concurrency");
const scenarioList = flag("--scenario");
const codeRoot = flag("--code-root");
const [runsText = "200", seedText = "1"] = args;
const runs = Number(runsText);
const seed = Number(seedText);
if (!Number.isInteger(runs) || runs < 1) usage(`runs must be a positive whole number, got ${runsText}`);
if (!Number.isInteger(seed) || seed < 0) usage(`seed must be a whole number, got ${seedText}`);
if (only !== undefined && !/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(only))
  usage(`--run takes run numbers and ranges (17, 3,5,6 or 1-2500), got ${only}`);

/** `3,5-7` → [3, 5, 6, 7]: a range lets a long run (10000 1) be done in parts that add up to it. */
const runNumbers = (list: string): number[] =>
  list.split(",").flatMap((part) => {
    const [first = 0, last = first] = part.split("-").map(Number);
    if (last < first) usage(`--run range ${part} ends before it starts`);
    return Array.from({ length: last - first + 1 }, (_, index) => first + index);
  });
const scenarios = scenarioList?.split(",").map((name) => name.trim()) ?? [];
for (const name of scenarios) {
  if (!SCENARIO_NAMES.includes(name as ScenarioName)) usage(`unknown scenario ${name}; --list shows them`);
}

let done = 0;
const report = await runFaultBench({
  runs,
  seed,
  ...(only !== undefined ? { only: runNumbers(only) } : {}),
  ...(concurrency ? { concurrency: Number(concurrency) } : {}),
  ...(scenarios.length ? { scenarios: scenarios as ScenarioName[] } : {}),
  ...(codeRoot ? { codeRoot } : {}),
  onRun(result) {
    done += 1;
    if (verbose) {
      const { record } = result;
      const seconds = ((record.endedAt - record.base) / 1000).toFixed(1);
      console.error(
        `run ${record.plan.run} ${record.plan.scenario} ${seconds}s ${JSON.stringify(record.timings)} ${record.plan.summary} | ${record.notes.join("; ")}` +
          (record.refused.length ? ` | refused ${record.refused.join("; ")}` : "") +
          result.violations.map((v) => `\n    ${v.invariant}: ${v.message}`).join("") +
          record.incidents
            .map(
              (incident) =>
                `\n    ${incident.id} ${incident.status} [${incident.approvals
                  .map(
                    (a) => `${a.approvalId.split(".")[1]} ${a.status}${a.messageTs ? " card" : " no-card"}`,
                  )
                  .join(", ")}] ${incident.timeline.map((event) => event.kind).join(" ")}`,
            )
            .join(""),
      );
      return;
    }
    const mark = result.error ? "E" : result.violations.length ? "x" : ".";
    process.stderr.write(done % 50 === 0 ? `${mark} ${done}\n` : mark);
    // Said at once, so a long run stopped early still tells what it found. Provisional: the final look reads every
    // run's incidents again (an incident still retrying at its run's deadline may have settled since).
    for (const violation of result.violations)
      process.stderr.write(
        `\n  run ${result.record.plan.run} ${violation.invariant} (provisional, checked again at the end): ${violation.message}\n`,
      );
  },
});
process.stderr.write("\n");
console.log(formatReport(report));
process.exit(report.violationCount || report.errorCount ? 1 : 0);

export {};
