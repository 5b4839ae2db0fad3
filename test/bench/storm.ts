/**
 * Benchmark: an alert storm on the local runtime. `alerts` GitHub secret-scanning deliveries about `keys`
 * distinct alerts (so as many dedup keys), posted as fast as the runtime takes them, `concurrency` at a time.
 * Reports the playbooks started, the cards posted, the alerts lost (must be 0: every accepted alert id is
 * stored on an incident and counted) and the wall time. Dry run: cards wait for a human, nothing is revoked.
 *
 *   npm run bench:storm -- [alerts=10000] [keys=100] [concurrency=64]
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
const { machineLine } = await import("./stats.js");
const { BENCH_SECRETS, startSeededRuntime } = await import("./seeded-runtime.js");
const { githubWebhookHeaders } = await import("../../infra/local/signing.js");
const { webhookBody } = await import("../../infra/local/standins/scenario.js");

const [alerts, keys, concurrency] = [10_000, 100, 64].map((fallback, i) =>
  Number(process.argv[2 + i] ?? fallback),
) as [number, number, number];
const numbers = Array.from({ length: keys }, (_, i) => 1000 + i);
/** Secret scanning re-reports an alert as it learns more: the first delivery creates it, the rest update it. */
const ACTIONS = ["created", "publicly_leaked", "validated", "reopened"] as const;

const { standins, runtime } = await startSeededRuntime({ numbers, dryRun: true });

const template = JSON.parse(webhookBody());
/** Delivery `i`: alert number i mod keys; the first round creates each alert, later rounds update it. */
function delivery(i: number): string {
  const body = structuredClone(template);
  body.alert.number = numbers[i % keys];
  body.action = i < keys ? "created" : ACTIONS[1 + (Math.floor(i / keys) % (ACTIONS.length - 1))];
  return JSON.stringify(body);
}

const accepted = new Set<string>();
const refused: number[] = [];
let next = 0;
const started = performance.now();
async function sender() {
  for (let i = next++; i < alerts; i = next++) {
    const raw = delivery(i);
    const response = await fetch(`${runtime.url}/alerts/github`, {
      method: "POST",
      headers: githubWebhookHeaders(raw, BENCH_SECRETS.github, { delivery: `storm-${i}` }),
      body: raw,
    });
    const answer = (await response.json()) as { alertId?: string };
    if (response.status === 202 && answer.alertId) accepted.add(answer.alertId);
    else refused.push(response.status);
  }
}
await Promise.all(Array.from({ length: concurrency }, sender));
const sent = performance.now();
// Every delivery triaged; every playbook then runs until its approval card (which waits for a human).
await runtime.bus.idle();
const cardsPosted = () => standins.slack.messages.filter((message) => message.threadTs === undefined).length;
for (
  let waited = 0;
  cardsPosted() < runtime.stepFunctions.listExecutions().length && waited < 120_000;
  waited += 100
) {
  await new Promise((resolve) => setTimeout(resolve, 100));
}
await runtime.bus.idle();
const settled = performance.now();

const incidents = await runtime.store.listIncidents(alerts);
let counted = 0;
const stored = new Set<string>();
for (const incident of incidents) {
  counted += incident.alertCount;
  const detail = await runtime.store.getIncidentDetail(incident.id);
  for (const alert of detail?.alerts ?? []) stored.add(alert.id);
}
const lost = [...accepted].filter((alertId) => !stored.has(alertId)).length;
const executions = runtime.stepFunctions.listExecutions().length;
const cards = cardsPosted();

console.log(`storm: ${alerts} GitHub deliveries about ${keys} alerts, ${concurrency} at a time (dry run)`);
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
