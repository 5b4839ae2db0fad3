/**
 * Benchmark: the Slack interaction handler's response time from a cold import, through AwsLambdaReceiver,
 * as Lambda runs it: the handler bundled by esbuild (as NodejsFunction does), imported by a fresh Node
 * process per sample, answering one signed Approve click for a real pending approval (DynamoDB Local, the
 * local Step Functions endpoint and the Slack stand-in on loopback).
 *
 *   npm run bench:slack -- [samples=20]
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
const { latencyRow, machineLine } = await import("./stats.js");
const { execFile } = await import("node:child_process");
const { promisify } = await import("node:util");
// Asynchronous on purpose: the child calls this process's local Step Functions endpoint.
const run = promisify(execFile);
const { mkdtempSync, writeFileSync } = await import("node:fs");
const { tmpdir } = await import("node:os");
const { join } = await import("node:path");
const { build } = await import("esbuild");
const { esbuildOptions } = await import("../../infra/aws/bundling.js");
const { startLocalRuntime } = await import("../../infra/local/runtime.js");
const { approvalClickBody, githubWebhookHeaders, slackSignatureHeaders } = await import(
  "../../infra/local/signing.js"
);
const { githubAlertSeed, standinProviderEnv, startScenarioStandins, webhookBody } = await import(
  "../../infra/local/standins/scenario.js"
);

const samples = Number(process.argv[2] ?? 20);
const dir = mkdtempSync(join(tmpdir(), "quell-bench-"));
// Bundled exactly as deployed (infra/aws/bundling.ts).
const options = esbuildOptions("functions/slack/handler.ts", dir);
const bundle = options.outfile;
await build(options);

const numbers = Array.from({ length: samples }, (_, i) => 500 + i);
const standins = await startScenarioStandins({
  alerts: numbers.map((number) => githubAlertSeed({ number })),
});
const secrets = { github: "bench-github", slack: "bench-slack" };
const env = {
  QUELL_GITHUB_WEBHOOK_SECRET: secrets.github,
  QUELL_WEBHOOK_SECRET: "bench-generic",
  SLACK_SIGNING_SECRET: secrets.slack,
  ...standinProviderEnv(standins),
  QUELL_SLACK_CHANNEL: "C0BENCH",
  QUELL_APPROVERS: "U0BENCH",
  QUELL_DRY_RUN: "true",
  POWERTOOLS_LOG_LEVEL: "ERROR",
};
const runtime = await startLocalRuntime({ port: 0, dataDir: null, env });

const results: { sinceProcessStart: number; importMs: number; handleMs: number }[] = [];
for (const number of numbers) {
  const body = JSON.parse(webhookBody());
  body.alert.number = number;
  const raw = JSON.stringify(body);
  const card = standins.slack.nextMessage((message) => message.threadTs === undefined, 30_000);
  await fetch(`${runtime.url}/alerts/github`, {
    method: "POST",
    headers: githubWebhookHeaders(raw, secrets.github),
    body: raw,
  });
  const approvalId = /"value":"(inc_[a-z0-9]+\.approveRevoke)"/.exec(
    JSON.stringify((await card).blocks),
  )?.[1] as string;
  const click = approvalClickBody({ approvalId, decision: "approve", userId: "U0BENCH", channel: "C0BENCH" });
  const event = {
    version: "2.0",
    rawPath: "/slack/events",
    headers: slackSignatureHeaders(click, secrets.slack),
    requestContext: { http: { method: "POST", path: "/slack/events" } },
    body: click,
    isBase64Encoded: false,
  };
  const eventFile = join(dir, `event-${number}.json`);
  writeFileSync(eventFile, JSON.stringify(event));
  const { stdout: output } = await run(
    process.execPath,
    ["test/bench/slack-cold-start-child.mjs", bundle, eventFile],
    { env: { ...process.env, ...env }, encoding: "utf8" },
  );

  const sample = JSON.parse(output.trim().split("\n").at(-1) as string);
  if (sample.status !== 200) throw new Error(`click answered ${sample.status}`);
  results.push(sample);
}
await runtime.idle();

const row = (name: string, values: number[]) => latencyRow(name, values, [50, 99], 0);
console.log(
  `Slack interaction handler from a cold import, ${results.length} cold starts (bundled with esbuild, AwsLambdaReceiver)`,
);
console.log(await machineLine());
console.log(
  row(
    "import of the bundle (init)",
    results.map((r) => r.importMs),
  ),
);
console.log(
  row(
    "first click: signed request → 200",
    results.map((r) => r.handleMs),
  ),
);
console.log(
  row(
    "init + first click",
    results.map((r) => r.importMs + r.handleMs),
  ),
);
await runtime.stop();
await standins.close();
process.exit(0);

export {};
