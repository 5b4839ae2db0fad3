/**
 * Benchmark: triage core throughput on one core (this one thread), against a baseline measured in the same
 * run on the same signed bodies: the HMAC check plus JSON.parse, and nothing else.
 *
 * The core is all the CPU work Quell does for an alert before storage: at the edge, size, content type,
 * signature and replay window, strict UTF-8, depth, duplicate and forbidden keys, the source schema and one
 * normalisation; in triage, the schema and normalisation again (triage trusts nothing on the bus), then
 * enrichment from a 1,000-asset inventory, risk scoring, 20 suppression rules and 50 routing rules. Storage
 * and the network are left out: they are the other benchmarks' business.
 *
 *   npm run bench:triage -- [rounds=41] [bodies=2000]
 *
 * Rounds alternate baseline and core, and the median ratio is reported: 41 rounds steady one run's median
 * (with 15, back-to-back runs differed by up to 0.5×). Rerun it a few times: on a shared machine the ratio
 * also drifts over minutes.
 */
import { readdirSync, readFileSync } from "node:fs";
import { type AlertReceived, ingest } from "../../functions/ingest/core.js";
import { verifyTimestampedSignature } from "../../functions/shared/signatures.js";
import { defineTriageConfig, type TriageConfigInput } from "../../functions/triage/config.js";
import { assess, normalize } from "../../functions/triage/core.js";
import { Inventory } from "../../functions/triage/enrich.js";
import { activeSuppression, route } from "../../functions/triage/routing.js";
import { quellSignatureHeaders } from "../../infra/local/signing.js";
import { triageConfig } from "../../playbooks/triage-config.js";
import { machineLine, percentile } from "./stats.js";

const [rounds, count] = [41, 2000].map((fallback, i) => Number(process.argv[2 + i] ?? fallback)) as [
  number,
  number,
];
const SECRET = "bench-generic-secret";

/** The valid generic and inline-detector fixtures, each made unique per body and dated a minute ago. */
function bodies(): { source: string; raw: Uint8Array; headers: Record<string, string> }[] {
  const routes = ["generic", "bedrock-guardrails", "lakera", "prompt-shields", "llm-guard"];
  const templates = routes.flatMap((source) =>
    readdirSync(new URL(`../fixtures/${source}/`, import.meta.url))
      .filter((name) => name.endsWith(".json") && !name.startsWith("bad-"))
      .map((name) => ({
        source,
        body: JSON.parse(readFileSync(new URL(`../fixtures/${source}/${name}`, import.meta.url), "utf8")),
      })),
  );
  const recent = new Date(Date.now() - 60_000).toISOString();
  return Array.from({ length: count }, (_, i) => {
    const { source, body: template } = templates[i % templates.length] as (typeof templates)[number];
    const body = structuredClone(template);
    if (source === "generic")
      Object.assign(body, { id: `bench-${i}`, dedupKey: `bench-${i}`, occurredAt: recent });
    else body.context = { ...body.context, requestId: `req_bench_${i}`, observedAt: recent };
    const raw = new TextEncoder().encode(JSON.stringify(body));
    return { source, raw, headers: quellSignatureHeaders(raw, SECRET) };
  });
}

/** The built-in configuration, grown to a realistic size with rules that match nothing. */
function benchConfig() {
  const input: TriageConfigInput = {
    ...triageConfig,
    inventory: [
      ...triageConfig.inventory,
      ...Array.from({ length: 1000 }, (_, i) => ({
        kind: (["model", "app", "guardrail", "agent"] as const)[i % 4] ?? "model",
        id: `bench-asset-${i}`,
        ownerTeam: `team-${i % 25}`,
        environment: "production" as const,
        criticality: "medium" as const,
      })),
    ],
    routes: Array.from({ length: 50 }, (_, i) => ({
      id: `route-${i}`,
      match: { sources: [`nowhere-${i}`] },
      channel: "#nowhere",
    })),
    suppressions: Array.from({ length: 20 }, (_, i) => ({
      id: `quiet-${i}`,
      match: { entity: { kind: "end_user" as const, id: `nobody-${i}` } },
      owner: "bench",
      reason: "benchmark rule that matches nothing",
      expiresAt: "2099-01-01T00:00:00Z",
    })),
  };
  return defineTriageConfig(input);
}

const config = benchConfig();
const inventory = new Inventory(config.inventory);
const samples = bodies();
let published: AlertReceived | undefined;
const deps = {
  secret: async () => SECRET,
  publish: async (event: AlertReceived) => {
    published = event;
  },
  recordRejection: async () => {
    throw new Error("a benchmark body was refused");
  },
  countRefusal: async () => {
    throw new Error("a benchmark body was refused");
  },
  admit: () => ({ allowed: true as const }),
  // The same signed samples go round many times: the replay memory (a DynamoDB write) is not what is measured.
  deliveries: {
    claim: async (_signatureHash: string, alertId: string) => ({ kind: "claimed" as const, alertId }),
    published: async () => {},
    release: async () => {},
  },
  clock: () => new Date(),
  newId: () => "alr_bench00000001",
  maxBodyBytes: 256 * 1024,
};

async function baseline(): Promise<number> {
  let checked = 0;
  for (const sample of samples) {
    const verdict = verifyTimestampedSignature({
      scheme: "quell",
      rawBody: sample.raw,
      timestamp: sample.headers["x-quell-timestamp"],
      signature: sample.headers["x-quell-signature"],
      secret: SECRET,
      now: new Date(),
    });
    if (verdict.ok && JSON.parse(new TextDecoder().decode(sample.raw))) checked++;
  }
  return checked;
}

async function core(): Promise<number> {
  let decided = 0;
  for (const sample of samples) {
    const response = await ingest(
      { method: "POST", source: sample.source, headers: sample.headers, rawBody: sample.raw },
      deps,
    );
    if (response.status !== 202 || !published) throw new Error(`refused: ${JSON.stringify(response.body)}`);
    for (const alert of normalize(published)) {
      const assessed = assess(alert, { inventory });
      activeSuppression(config, assessed, new Date());
      if (route(config, assessed).rule) decided++;
    }
  }
  return decided;
}

const time = async (run: () => Promise<number>) => {
  const start = performance.now();
  if ((await run()) !== samples.length) throw new Error("not every body was handled");
  return performance.now() - start;
};

// Warm both paths up (JIT, caches), then alternate them so drift on a busy machine hits both alike.
for (let i = 0; i < 3; i++) {
  await time(baseline);
  await time(core);
}
const ratios: number[] = [];
const baselineRates: number[] = [];
const coreRates: number[] = [];
for (let round = 0; round < rounds; round++) {
  const base = await time(baseline);
  const full = await time(core);
  baselineRates.push((samples.length * 1000) / base);
  coreRates.push((samples.length * 1000) / full);
  ratios.push(full / base);
}
const median = (values: number[]) => percentile(values, 50);
console.log(
  `triage throughput: ${samples.length} signed bodies (generic + 4 detectors), ${rounds} rounds, one thread`,
);
console.log(`baseline (HMAC check + JSON.parse): ${Math.round(median(baselineRates))} alerts/s (median)`);
console.log(`triage core:                        ${Math.round(median(coreRates))} alerts/s (median)`);
console.log(
  `core / baseline time: median ${median(ratios).toFixed(2)}×, worst ${Math.max(...ratios).toFixed(2)}× (goal ≤ 3×)`,
);
console.log(await machineLine());
if (median(ratios) > 3) process.exitCode = 1;
