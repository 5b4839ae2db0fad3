/**
 * Benchmark: webhook in to action applied on the local runtime, with the approval click sent as soon as the
 * card appears (human time left out). Live mode against the loopback stand-ins, so the DELETE really lands.
 *
 *   npm run bench:e2e -- [iterations=30]
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
const { latencyRow, machineLine } = await import("./stats.js");
const { BENCH_APPROVER, BENCH_SECRETS, startSeededRuntime } = await import("./seeded-runtime.js");
const { approvalClickBody, githubWebhookHeaders, slackSignatureHeaders } = await import(
  "../../infra/local/signing.js"
);
const { webhookBody } = await import("../../infra/local/standins/scenario.js");

const iterations = Number(process.argv[2] ?? 30);
const numbers = Array.from({ length: iterations + 1 }, (_, i) => 100 + i);

const { standins, runtime } = await startSeededRuntime({ numbers, dryRun: false });

async function once(number: number) {
  const body = JSON.parse(webhookBody());
  body.alert.number = number;
  const raw = JSON.stringify(body);
  // The card is a top-level message; thread replies of earlier incidents may still be arriving.
  const cardPosted = standins.slack.nextMessage((message) => message.threadTs === undefined, 30_000);
  const deleted = new Promise<number>((resolve, reject) => {
    const giveUp = setTimeout(() => reject(new Error(`key_${number} was not revoked within 30 s`)), 30_000);
    const poll = setInterval(() => {
      if (
        standins.openai.requests.some(
          (request) => request.method === "DELETE" && request.path.endsWith(`/key_${number}`),
        )
      ) {
        clearInterval(poll);
        clearTimeout(giveUp);
        resolve(performance.now());
      }
    }, 1);
  });
  const start = performance.now();
  const response = await fetch(`${runtime.url}/alerts/github`, {
    method: "POST",
    headers: githubWebhookHeaders(raw, BENCH_SECRETS.github),
    body: raw,
  });
  if (response.status !== 202) throw new Error(`webhook refused: ${response.status}`);
  const accepted = performance.now();
  const card = await cardPosted;
  const cardAt = performance.now();
  const approvalId = /"value":"(inc_[a-z0-9]+\.approveRevoke)"/.exec(
    JSON.stringify(card.blocks),
  )?.[1] as string;
  const click = approvalClickBody({ approvalId, decision: "approve", userId: BENCH_APPROVER });
  const clickResponse = await fetch(`${runtime.url}/slack/events`, {
    method: "POST",
    headers: slackSignatureHeaders(click, BENCH_SECRETS.slack),
    body: click,
  });
  const clickAnswered = performance.now();
  if (clickResponse.status !== 200) throw new Error(`click refused: ${clickResponse.status}`);
  const appliedAt = await deleted;
  return {
    accepted: accepted - start,
    card: cardAt - start,
    click: clickAnswered - cardAt,
    applied: appliedAt - start,
  };
}

await once(numbers[0] as number); // warm-up: first imports and DynamoDB Local's JIT, not counted
const samples = [];
for (const number of numbers.slice(1)) samples.push(await once(number));
await runtime.idle();

const row = (name: string, values: number[]) => latencyRow(name, values, [50, 95], 1);
console.log(
  `Quell local end-to-end latency, ${samples.length} incidents after 1 warm-up (live mode, loopback stand-ins)`,
);
console.log(await machineLine());
console.log(
  row(
    "webhook in → 202",
    samples.map((s) => s.accepted),
  ),
);
console.log(
  row(
    "webhook in → approval card posted",
    samples.map((s) => s.card),
  ),
);
console.log(
  row(
    "click → answered (200)",
    samples.map((s) => s.click),
  ),
);
console.log(
  row(
    "webhook in → key revoked (DELETE)",
    samples.map((s) => s.applied),
  ),
);
await runtime.stop();
await standins.close();
process.exit(0);

export {};
