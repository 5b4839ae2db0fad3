/**
 * Benchmark: an alert storm on the local runtime. `alerts` GitHub secret-scanning deliveries about `keys`
 * distinct alerts (so as many dedup keys), posted as fast as the runtime takes them, `concurrency` at a time.
 * Reports the playbooks started, the cards posted, the alerts lost (must be 0: every accepted alert id is
 * stored on an incident and counted), the wall time and the CPU each alert cost. Dry run: cards wait for a
 * human, nothing is revoked.
 *
 * A storm hits a service that is already running: first `warmup` deliveries about `keys` other alerts (not
 * counted in any figure) let the JITs of Node and of DynamoDB Local's JVM compile the hot paths, as the
 * triage benchmark warms up before it measures. `warmup=0` measures a cold start instead.
 *
 *   npm run bench:storm -- [alerts=10000] [keys=100] [concurrency=64] [warmup=3000]
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
const { cpuSeconds, machineLine } = await import("./stats.js");
const { BENCH_SECRETS, startSeededRuntime } = await import("./seeded-runtime.js");
const { githubWebhookHeaders } = await import("../../infra/local/signing.js");
const { webhookBody } = await import("../../infra/local/standins/scenario.js");

const [alerts, keys, concurrency, warmup] = [10_000, 100, 64, 3000].map((fallback, i) =>
  Number(process.argv[2 + i] ?? fallback),
) as [number, number, number, number];
const alertNumbers = (first: number) => Array.from({ length: keys }, (_, i) => first + i);
const [warmupNumbers, numbers] = [alertNumbers(5000), alertNumbers(1000)];
/** Secret scanning re-reports an alert as it learns more: the first delivery creates it, the rest update it. */
const ACTIONS = ["created", "publicly_leaked", "validated", "reopened"] as const;

const { standins, runtime } = await startSeededRuntime({
  numbers: [...warmupNumbers, ...numbers],
  dryRun: true,
});

const template = JSON.parse(webhookBody());
/** Delivery `i` about `about`: alert number i mod keys; the first round creates each, later rounds update it. */
function delivery(about: readonly number[], i: number): string {
  const body = structuredClone(template);
  body.alert.number = about[i % keys];
  body.action = i < keys ? "created" : ACTIONS[1 + (Math.floor(i / keys) % (ACTIONS.length - 1))];
  // Each delivery its own bytes, as GitHub's are: identical bytes are a replay, answered at the door.
  body.hook_sequence = i;
  return JSON.stringify(body);
}

const cardsPosted = () => standins.slack.messages.filter((message) => message.threadTs === undefined).length;
const executionsStarted = () => runtime.stepFunctions.listExecutions().length;

/** Post `count` deliveries about `about`, `concurrency` at a time; then wait until everything has settled. */
async function storm(about: readonly number[], count: number, label: string) {
  const accepted = new Set<string>();
  const refused: number[] = [];
  let next = 0;
  const started = performance.now();
  const sender = async () => {
    for (let i = next++; i < count; i = next++) {
      const raw = delivery(about, i);
      const response = await fetch(`${runtime.url}/alerts/github`, {
        method: "POST",
        headers: githubWebhookHeaders(raw, BENCH_SECRETS.github, { delivery: `${label}-${i}` }),
        body: raw,
      });
      const answer = (await response.json()) as { alertId?: string };
      if (response.status === 202 && answer.alertId) accepted.add(answer.alertId);
      else refused.push(response.status);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, sender));
  const sent = performance.now();
  // Every delivery triaged; every playbook then runs until its approval card (which waits for a human).
  await runtime.bus.idle();
  for (let waited = 0; cardsPosted() < executionsStarted() && waited < 120_000; waited += 100)
    await new Promise((resolve) => setTimeout(resolve, 100));
  await runtime.bus.idle();
  return { accepted, refused, started, sent, settled: performance.now() };
}

if (warmup > 0) await storm(warmupNumbers, warmup, "warmup");
// What the warm-up started and posted (it has settled), left out of the storm's figures.
const before = { executions: executionsStarted(), cards: cardsPosted() };
const warmIncidents = new Set(
  (await runtime.store.listIncidents({ limit: warmup + 1 })).items.map((incident) => incident.id),
);

const cpuAtStart = { node: cpuSeconds(), dynamo: cpuSeconds(runtime.dynamoPid) };
const { accepted, refused, started, sent, settled } = await storm(numbers, alerts, "storm");
const cpuUsed = (atStart: number | undefined, now: number | undefined) =>
  atStart === undefined || now === undefined ? "n/a" : `${(((now - atStart) * 1000) / alerts).toFixed(2)} ms`;
const cpuPerAlert = {
  node: cpuUsed(cpuAtStart.node, cpuSeconds()),
  dynamo: cpuUsed(cpuAtStart.dynamo, cpuSeconds(runtime.dynamoPid)),
};

const incidents = (await runtime.store.listIncidents({ limit: alerts + warmup })).items.filter(
  (incident) => !warmIncidents.has(incident.id),
);
let counted = 0;
const stored = new Set<string>();
for (const incident of incidents) {
  counted += incident.alertCount;
  const detail = await runtime.store.getIncidentDetail(incident.id);
  for (const alert of detail?.alerts ?? []) stored.add(alert.id);
}
const lost = [...accepted].filter((alertId) => !stored.has(alertId)).length;
const executions = executionsStarted() - before.executions;
const cards = cardsPosted() - before.cards;

console.log(
  `storm: ${alerts} GitHub deliveries about ${keys} alerts, ${concurrency} at a time (dry run), ` +
    (warmup > 0 ? `after a warm-up of ${warmup} about ${keys} others (not counted)` : "cold start"),
);
console.log(
  `accepted ${accepted.size}, refused ${refused.length}${refused.length ? ` (${[...new Set(refused)]})` : ""}`,
);
console.log(`incidents ${incidents.length}, playbooks started ${executions}, cards posted ${cards}`);
const deadLetters = runtime.bus.deadLetters.length;
console.log(
  `alerts counted on incidents ${counted}, stored ${stored.size}, lost ${lost}, dead letters ${deadLetters}`,
);
console.log(
  `wall time: sent in ${((sent - started) / 1000).toFixed(1)} s (${Math.round((alerts * 1000) / (sent - started))} alerts/s), ` +
    `all triaged ${((settled - started) / 1000).toFixed(1)} s after the first`,
);
console.log(
  `CPU per alert: ${cpuPerAlert.node} in Node (the runtime, its stand-ins and this load generator), ` +
    `${cpuPerAlert.dynamo} in DynamoDB Local`,
);
console.log(await machineLine());
await runtime.stop();
await standins.close();
const ok =
  lost === 0 &&
  deadLetters === 0 &&
  counted === accepted.size &&
  executions <= keys &&
  cards <= keys &&
  refused.length === 0;
if (!ok) {
  console.error("storm goals missed: see above");
  process.exitCode = 1;
}

export {};

process.exit(process.exitCode ?? 0);
