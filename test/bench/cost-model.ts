/**
 * Cost model: what Quell costs on AWS per 1M alerts and idle per month, from counted calls (us-east-1 prices,
 * checked 2026-12).
 *
 * The counts are measured, not guessed: the local runtime runs the real handlers in this process, so every AWS
 * SDK call they make (DynamoDB, EventBridge, Step Functions, SSM, AppConfig…) is counted here by wrapping the SDK's
 * `send`, and every DynamoDB call asks for its consumed capacity (`ReturnConsumedCapacity: TOTAL`), which DynamoDB
 * Local computes as DynamoDB does. Three paths are measured on a live runtime (dry run off, stand-ins for Slack
 * and the LiteLLM gateway):
 *   - duplicate: one more alert of an open incident in a storm (after the first 20, which get timeline entries);
 *   - new incident: a first alert, through triage, to the throttle-abuser playbook's approval card;
 *   - approved run: the Approve click, the one action (block the end user at the gateway), verify and close.
 * Lambda invocations are counted from what the runtime delivers (requests, bus events, task states), and Step
 * Functions state transitions by walking the compiled playbook along the path taken (checked against its ASL).
 * Idle cost counts the resources of a synthesized app (alarms, KMS keys, secrets…).
 *
 *   npm run bench:cost
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
const { startHarness, approvalIdIn, approvalCardAfter } = await import("../e2e/harness.js");
const { genericAlert, postGenericAlert } = await import("../e2e/generic-alerts.js");
const { compiledMachines } = await import("../../playbooks/machines.js");
const { countSdkCalls } = await import("./sdk-call-counter.js");
type Counts = Map<string, number>;

export const PRICING = {
  date: "2026-12",
  region: "us-east-1",
  /** Lambda, arm64: per request, and per GB-second. */
  lambdaRequest: 0.2 / 1e6,
  lambdaGbSecondArm: 0.0000133334,
  /** Step Functions Standard: per state transition ($0.025 per 1,000). */
  stateTransition: 0.025 / 1e3,
  /** DynamoDB on-demand: per write request unit ($0.625/M) and read request unit ($0.125/M). */
  writeRequestUnit: 0.625 / 1e6,
  readRequestUnit: 0.125 / 1e6,
  /** EventBridge custom events put on a bus ($1.00/M, per 64 KB chunk); AWS service events are free. */
  customEvent: 1 / 1e6,
  /** AppConfig: per configuration request ($0.0000002) and per configuration received ($0.0008). */
  appConfigRequest: 0.0000002,
  appConfigReceived: 0.0008,
  /** SSM Parameter Store standard parameters, standard throughput: free. */
  ssmStandard: 0,
  /** CloudWatch: per standard metric alarm-month, per composite alarm-month. */
  alarmMonth: 0.1,
  compositeAlarmMonth: 0.5,
  /** KMS customer managed key, per month (requests $0.03 per 10,000). */
  kmsKeyMonth: 1,
  kmsRequest: 0.03 / 1e4,
  /** Secrets Manager, per secret-month. */
  secretMonth: 0.4,
  /** SNS: per publish ($0.50/M), per email delivered ($2 per 100,000). */
  snsPublish: 0.5 / 1e6,
  snsEmail: 2 / 1e5,
  /** CloudWatch Logs ingestion (standard), per GB. */
  logsGb: 0.5,
  /** X-Ray traces recorded ($5.00/M; default sampling: 1 a second, then 5%). */
  xrayTrace: 5 / 1e6,
} as const;

/** Assumed per invocation (not measured here): 256 MB (QuellFunction's default), billed ms, log bytes. */
const LAMBDA_ASSUMED = {
  memoryGb: 0.25,
  billedMs: {
    ingest: 40,
    triage: 80,
    approvalRequest: 250,
    recorder: 40,
    action: 400,
    notifier: 250,
    slack: 150,
  } as Record<string, number>,
  /** START/END/REPORT lines plus a few Powertools JSON lines. */
  logBytes: 1500,
};

/** The states a path enters, each checked to follow the one before in the compiled playbook. */
function transitions(playbook: string, path: readonly string[]): number {
  const machine = compiledMachines().find((candidate) => candidate.name === playbook);
  if (!machine) throw new Error(`no playbook ${playbook}`);
  const states = machine.definition.States as Record<
    string,
    { Next?: string; Default?: string; Choices?: { Next: string }[] }
  >;
  path.forEach((name, i) => {
    const state = states[name];
    if (!state) throw new Error(`${playbook} has no state ${name}: the path in cost-model.ts is out of date`);
    const next = path[i + 1];
    if (next === undefined) return;
    const follows = [state.Next, state.Default, ...(state.Choices ?? []).map((choice) => choice.Next)];
    if (!follows.includes(next)) throw new Error(`${playbook}: ${next} does not follow ${name}`);
  });
  return path.length;
}

interface PathCost {
  readonly name: string;
  readonly counts: Counts;
  /** Lambda invocations by function kind. */
  readonly invocations: Record<string, number>;
  readonly stateTransitions: number;
}

async function measurePaths(): Promise<PathCost[]> {
  const sdk = countSdkCalls();
  // Undecided cards expire after 30 s, so the runtime can stop at the end (it waits for every execution).
  const harness = await startHarness({ dryRun: false, approvalTimeoutSeconds: 30 });
  try {
    const url = harness.runtime.url;
    // Settled: no AWS call for a second (the runtime's idle() would wait for the pending approvals too).
    const settle = async () => {
      let last = -1;
      let total = 0;
      do {
        last = total;
        await new Promise((resolve) => setTimeout(resolve, 1000));
        total =
          [...sdk.counts].filter(([key]) => !key.startsWith("DynamoDB.")).length +
          [...sdk.counts.values()].reduce((a, b) => a + b, 0);
      } while (total !== last);
    };
    const notifierRuns = (counts: Counts) =>
      [...counts]
        .filter(([key]) => key.startsWith("event:") && !key.includes("Alert Received"))
        .reduce((sum, [, n]) => sum + n, 0);

    // Warm every handler once (cold-start reads, such as secrets and configuration, are not per alert).
    const warm = await postGenericAlert(url, genericAlert(900, 1000));
    if (warm.status !== 202) throw new Error(`warm-up alert answered ${warm.status}`);
    const warmCard = await approvalCardAfter(harness, 0);
    await harness.approveAndSettle(approvalIdIn(warmCard.blocks));
    await settle();

    const cards = harness.standins.slack.messages.length;
    const opened = await sdk.during(async () => {
      if ((await postGenericAlert(url, genericAlert(0, 1000))).status !== 202)
        throw new Error("not accepted");
      await approvalCardAfter(harness, cards);
    }, settle);
    const card = await approvalCardAfter(harness, cards);
    const approvalId = approvalIdIn(card.blocks);
    const newIncident: PathCost = {
      name: "new incident (to its approval card)",
      counts: opened,
      invocations: { ingest: 1, triage: 1, approvalRequest: 1, notifier: notifierRuns(opened) },
      stateTransitions: transitions("throttle-abuser", [
        "fromPrincipalSource",
        "genericPrincipal",
        "genericApproveBlock",
      ]),
    };

    const approved = await sdk.during(async () => {
      await harness.approveAndSettle(approvalId);
    }, settle);
    const approvedRun: PathCost = {
      name: "approved run (click, one action, close)",
      counts: approved,
      invocations: { slack: 1, action: 1, recorder: 2, notifier: notifierRuns(approved) },
      stateTransitions:
        transitions("throttle-abuser", [
          "genericApproveBlock",
          "genericBlockEndUser",
          "genericBlockEndUser.record",
          "endUserBlocked",
          "endUserBlocked.end",
        ]) - 1, // genericApproveBlock was entered on the new-incident path
    };

    // A storm: the same alert again and again (same dedup key) on an open incident. The first 20 duplicates get
    // a timeline entry each; measured are the next 20, as a storm's duplicates are.
    const storm = harness.runtime.url;
    await postGenericAlert(storm, genericAlert(1, 1000));
    await approvalCardAfter(harness, harness.standins.slack.messages.length - 1).catch(() => undefined);
    await settle();
    for (let n = 1; n <= 20; n++) await postGenericAlert(storm, genericAlert(1 + n * 1000, 1000));
    await settle();
    const measured = 20;
    const duplicates = await sdk.during(async () => {
      for (let n = 21; n < 21 + measured; n++)
        await postGenericAlert(storm, genericAlert(1 + n * 1000, 1000));
    }, settle);
    const perDuplicate = new Map([...duplicates].map(([key, n]) => [key, n / measured]));
    const duplicate: PathCost = {
      name: "duplicate in a storm (per alert)",
      counts: perDuplicate,
      invocations: { ingest: 1, triage: 1, notifier: notifierRuns(perDuplicate) },
      stateTransitions: 0,
    };
    return [duplicate, newIncident, approvedRun];
  } finally {
    await harness.stop();
  }
}

const sum = (counts: Counts, prefix: string) =>
  [...counts].filter(([key]) => key.startsWith(prefix)).reduce((total, [, n]) => total + n, 0);

/** Dollars per path run, by line. */
function costOf(path: PathCost): Record<string, number> {
  const p = PRICING;
  const invocations = Object.values(path.invocations).reduce((a, b) => a + b, 0);
  const gbSeconds = Object.entries(path.invocations).reduce(
    (total, [fn, n]) => total + n * LAMBDA_ASSUMED.memoryGb * ((LAMBDA_ASSUMED.billedMs[fn] ?? 100) / 1000),
    0,
  );
  const customEvents = sum(path.counts, "event:");
  return {
    "Lambda requests": invocations * p.lambdaRequest,
    "Lambda GB-s (arm64)": gbSeconds * p.lambdaGbSecondArm,
    "Step Functions transitions": path.stateTransitions * p.stateTransition,
    "DynamoDB writes (WRU)": (path.counts.get("DynamoDB.WRU") ?? 0) * p.writeRequestUnit,
    "DynamoDB reads (RRU)": (path.counts.get("DynamoDB.RRU") ?? 0) * p.readRequestUnit,
    "EventBridge custom events": customEvents * p.customEvent,
    "AppConfig requests": sum(path.counts, "AppConfigData.GetLatestConfiguration") * p.appConfigRequest,
    "Logs ingestion": (invocations * LAMBDA_ASSUMED.logBytes * p.logsGb) / 1024 ** 3,
  };
}

/** Idle per month, from the resources of a synthesized app. */
async function idleCost() {
  const { synthQuell } = await import("../infra/quell-app.js");
  const quell = synthQuell();
  const resources = [quell.raw.data, quell.raw.logic].flatMap((template) =>
    Object.values(template.Resources),
  );
  const count = (type: string) => resources.filter((resource) => resource.Type === type).length;
  const lines = {
    "CloudWatch alarms": count("AWS::CloudWatch::Alarm") * PRICING.alarmMonth,
    "CloudWatch composite alarms": count("AWS::CloudWatch::CompositeAlarm") * PRICING.compositeAlarmMonth,
    "KMS customer managed keys": count("AWS::KMS::Key") * PRICING.kmsKeyMonth,
    "Secrets Manager secrets": count("AWS::SecretsManager::Secret") * PRICING.secretMonth,
    "SSM standard parameters": count("AWS::SSM::Parameter") * PRICING.ssmStandard,
  };
  const counts = {
    alarms: count("AWS::CloudWatch::Alarm"),
    compositeAlarms: count("AWS::CloudWatch::CompositeAlarm"),
    kmsKeys: count("AWS::KMS::Key"),
    secrets: count("AWS::SecretsManager::Secret"),
    parameters: count("AWS::SSM::Parameter"),
    functions: count("AWS::Lambda::Function"),
    stateMachines: count("AWS::StepFunctions::StateMachine"),
    queues: count("AWS::SQS::Queue"),
  };
  return { lines, counts };
}

const dollars = (value: number) => `$${value.toFixed(value < 1 ? 4 : 2)}`;

const paths = await measurePaths();
console.log(
  `Quell cost model: ${PRICING.region} prices as of ${PRICING.date}; counts measured on the local runtime\n`,
);
for (const path of paths) {
  const calls = [...path.counts]
    .filter(([key, n]) => n > 0 && !key.startsWith("event:"))
    .map(([key, n]) => `${key} ${Number(n.toFixed(2))}`)
    .join(", ");
  const events = [...path.counts]
    .filter(([key, n]) => n > 0 && key.startsWith("event:"))
    .map(([key, n]) => `${key.slice(6)} ${Number(n.toFixed(2))}`)
    .join(", ");
  console.log(`${path.name}`);
  console.log(`  calls: ${calls}`);
  console.log(`  custom events: ${events || "none"}`);
  console.log(
    `  Lambda invocations: ${Object.entries(path.invocations)
      .map(([fn, n]) => `${fn} ${Number(n.toFixed(2))}`)
      .join(", ")}; state transitions ${path.stateTransitions}`,
  );
}

console.log("\nper 1M alerts ($)          | duplicate | new incident | approved run");
const costs = paths.map(costOf);
for (const line of Object.keys(costs[0] ?? {})) {
  console.log(
    `${line.padEnd(27)}| ${costs.map((cost) => dollars((cost[line] ?? 0) * 1e6).padStart(10)).join(" | ")}`,
  );
}
const totals = costs.map((cost) => Object.values(cost).reduce((a, b) => a + b, 0) * 1e6);
console.log(`${"total".padEnd(27)}| ${totals.map((total) => dollars(total).padStart(10)).join(" | ")}`);
const [duplicateTotal = 0, newTotal = 0, approvedTotal = 0] = totals;
for (const share of [0.01, 0.1]) {
  const mixed = (1 - share) * duplicateTotal + share * (newTotal + approvedTotal);
  console.log(
    `1M alerts, ${share * 100}% of them new incidents that run to an approved action: ${dollars(mixed)} ` +
      `(+ X-Ray up to ${dollars(2e6 * PRICING.xrayTrace)} when every alert is traced, ~5% of that in a storm)`,
  );
}

const idle = await idleCost();
console.log(
  `\nidle per month (${Object.entries(idle.counts)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ")})`,
);
for (const [line, cost] of Object.entries(idle.lines)) console.log(`  ${line.padEnd(28)} ${dollars(cost)}`);
console.log(
  `  ${"total".padEnd(28)} ${dollars(Object.values(idle.lines).reduce((a, b) => a + b, 0))} ` +
    "(Lambda, Step Functions, DynamoDB, EventBridge, AppConfig, SSM: $0 when nothing comes in)",
);
process.exit(0);
