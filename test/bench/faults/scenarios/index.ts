/** Every scenario, with its weight in a seeded run mix; planRun draws run n's scenario and plan from the seed. */
import type { RunPlan, ScenarioPlan } from "../plan.js";
import { forRun, type Prng } from "../prng.js";
import { clickRaces } from "./click-races.js";
import { alertmanagerDeliveries, genericDeliveries, githubDeliveries } from "./deliveries.js";
import { killDatabase, killRuntime, throttleDatabase } from "./kills.js";
import { providerFaults } from "./provider-faults.js";
import { slackFaults } from "./slack-faults.js";

interface Scenario {
  readonly weight: number;
  readonly plan: (prng: Prng, run: number) => ScenarioPlan;
  /** What it does, for the README and `--list`. */
  readonly about: string;
}

export const SCENARIOS = {
  "github-deliveries": {
    weight: 14,
    plan: githubDeliveries,
    about:
      "GitHub created ×1-3 (redeliveries, some at once), a resolved anywhere, a created redelivered after it",
  },
  "generic-deliveries": {
    weight: 10,
    plan: genericDeliveries,
    about:
      "generic alerts under one dedup key: redeliveries of one id, an update, a resolved anywhere, a late redelivery",
  },
  "alertmanager-deliveries": {
    weight: 8,
    plan: alertmanagerDeliveries,
    about: "Alertmanager firing ×1-3 and resolved of one fingerprint, in any order",
  },
  "provider-faults": {
    weight: 24,
    plan: providerFaults,
    about: "429/5xx/timeouts and applied-but-500 at OpenAI, GitHub, IAM, LiteLLM during an approved action",
  },
  "slack-faults": {
    weight: 12,
    plan: slackFaults,
    about: "chat.postMessage/chat.update answering 5xx, 429 ratelimited or ok:false internal_error",
  },
  "click-races": {
    weight: 16,
    plan: clickRaces,
    about: "double Approve, two approvers at once, Approve and Deny at once, a late Approve retry",
  },
  "kill-runtime": {
    weight: 2,
    plan: killRuntime,
    about:
      "kill -9 of the runtime mid-burst, at the card, after Approve or with the write in flight; restart",
  },
  "kill-database": {
    weight: 1,
    plan: killDatabase,
    about: "kill -9 of DynamoDB Local at the same points, alerts sent during the outage; recovery or restart",
  },
  "dynamodb-throttling": {
    weight: 3,
    plan: throttleDatabase,
    about:
      "DynamoDB throttling (all, half or a fifth of the handlers' requests, 0.5-6 s) at the same points, alerts sent meanwhile",
  },
} as const satisfies Record<string, Scenario>;

export type ScenarioName = keyof typeof SCENARIOS;
export const SCENARIO_NAMES = Object.keys(SCENARIOS) as ScenarioName[];

/** Run n's plan under seed: its scenario drawn by weight, then its details, all from run n's own generator. */
export function planRun(seed: number, run: number, only?: readonly ScenarioName[]): RunPlan {
  const prng = forRun(seed, run);
  const names = only?.length ? only : SCENARIO_NAMES;
  const scenario = prng.weighted(names.map((name) => [name, SCENARIOS[name].weight] as const));
  const { plan } = SCENARIOS[scenario] as Scenario;
  return { run, scenario, ...plan(prng, run) };
}
