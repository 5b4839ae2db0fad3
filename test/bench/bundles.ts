/**
 * Benchmark: every deployed function bundled exactly as QuellFunction bundles it (infra/aws/bundling.ts), its
 * size against its budget, and its cold import: a fresh `node` per sample imports the bundle, beside an empty
 * module imported the same way in the same run, so the figure is net of Node's own start. Samples are taken
 * round-robin (empty module included) so a busy neighbour slows every row alike.
 *
 *   npm run bench:bundles -- [samples=7]
 *
 * Bundles are written under node_modules/.cache/quell-bundles, where a module left out of a bundle resolves
 * from the repository's node_modules. The budget counts each bundle without the AWS SDK (bundle-budgets.ts).
 */
import { execFile } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  bundleFunctions,
  deployedFunctions,
  type FunctionBundle,
  KB,
} from "../../infra/aws/bundle-budgets.js";
import { fromRoot } from "../../infra/aws/paths.js";
import { bundleImportEnv } from "./bundle-import-env.js";
import { machineLine, percentile } from "./stats.js";

const run = promisify(execFile);
const samples = Number(process.argv[2] ?? 7);
if (!Number.isInteger(samples) || samples < 1)
  throw new Error(`samples must be a positive integer, not ${samples}`);

const outdir = fromRoot("node_modules/.cache/quell-bundles");
rmSync(outdir, { recursive: true, force: true });
mkdirSync(join(outdir, "empty"), { recursive: true });
const emptyModule = join(outdir, "empty", "index.mjs");
writeFileSync(emptyModule, "export {};\n");

const bundled = await bundleFunctions(deployedFunctions(), outdir);

interface Sample {
  readonly wallMs: number;
  readonly importMs: number;
  readonly error?: string;
}

async function coldImport(file: string): Promise<Sample> {
  const start = performance.now();
  const { stdout } = await run(process.execPath, [fromRoot("test/bench/bundle-import-child.mjs"), file], {
    env: bundleImportEnv,
  });
  const wallMs = performance.now() - start;
  const { importMs, error } = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as Sample;
  return { wallMs, importMs, ...(error ? { error } : {}) };
}

const targets = [{ name: "(empty module)", outfile: emptyModule }, ...bundled];
const results = new Map<string, Sample[]>(targets.map((target) => [target.name, []]));
for (let round = 0; round < samples; round++) {
  for (const target of targets) results.get(target.name)?.push(await coldImport(target.outfile));
}

const median = (values: readonly number[]) => percentile(values, 50);
const emptyWall = median((results.get("(empty module)") ?? []).map((sample) => sample.wallMs));
const kib = (bytes: number) => (bytes / 1024).toFixed(1);
const sdkAtLoad = (bundle: FunctionBundle) =>
  [
    ...new Set(
      bundle.externalImports
        .filter(({ path, kind }) => path.startsWith("@aws-sdk/") && kind !== "dynamic-import")
        .map(({ path }) => path.replace("@aws-sdk/", "")),
    ),
  ].join(", ") || "none";

console.log(await machineLine());
console.log(
  `${samples} cold imports per bundle (median); the empty module: ${emptyWall.toFixed(0)} ms from spawn to exit\n`,
);
console.log(
  "| function | bundle (bytes) | KiB | without the AWS SDK (bytes) | budget (without the SDK) | import (ms) | cold start net of empty (ms) | AWS SDK loaded at import |",
);
console.log("|---|---:|---:|---:|---|---:|---:|---|");
let over = 0;
for (const bundle of bundled) {
  const sampled = results.get(bundle.name) ?? [];
  const failed = sampled.find((sample) => sample.error);
  const within = bundle.bytesWithoutSdk <= bundle.budgetBytes;
  if (bundle.bytesWithoutSdk > bundle.ceilingBytes) over++;
  const budget = within
    ? `≤ ${bundle.budgetBytes / KB} KB`
    : `**over** ${bundle.budgetBytes / KB} KB (ceiling ${bundle.ceilingBytes / KB} KB)`;
  const importMs = failed ? `failed: ${failed.error}` : median(sampled.map((s) => s.importMs)).toFixed(0);
  const net = failed ? "-" : (median(sampled.map((s) => s.wallMs)) - emptyWall).toFixed(0);
  console.log(
    `| ${bundle.name} | ${bundle.bytes} | ${kib(bundle.bytes)} | ${bundle.bytesWithoutSdk} | ${budget} | ${importMs} | ${net} | ${sdkAtLoad(bundle)} |`,
  );
}
console.log(
  over === 0 ? "\nevery bundle within its budget or ceiling" : `\n${over} bundle(s) over their ceiling`,
);
process.exitCode = over === 0 ? 0 : 1;
