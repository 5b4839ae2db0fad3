import { startLocalRuntime } from "../../infra/local/runtime.js";
import {
  githubAlertSeed,
  standinProviderEnv,
  startScenarioStandins,
} from "../../infra/local/standins/scenario.js";

/** The secrets the benchmarks' runtime is configured with, and sign with. */
export const BENCH_SECRETS = {
  github: "bench-github",
  generic: "bench-generic",
  slack: "bench-slack",
} as const;
export const BENCH_APPROVER = "U0BENCH";

/** The leaked OpenAI secret of GitHub alert `number`, as the stand-ins know it. */
const secretFor = (number: number) =>
  `sk-proj-BENCH${String(number).padStart(4, "0")}fakeFAKEfake000000000000000000000bench${number}`;

/**
 * The local runtime against loopback stand-ins that know one leaked-key GitHub alert per number, each with
 * its own OpenAI key, so every playbook run finds exactly one key to revoke.
 */
export async function startSeededRuntime(options: { numbers: readonly number[]; dryRun: boolean }) {
  const { numbers } = options;
  const standins = await startScenarioStandins({
    alerts: numbers.map((number) => githubAlertSeed({ number, secret: secretFor(number) })),
    projects: [
      {
        id: "proj_bench",
        name: "bench",
        keys: numbers.map((number) => ({
          id: `key_${number}`,
          name: `bench-${number}`,
          secret: secretFor(number),
        })),
      },
    ],
  });
  const runtime = await startLocalRuntime({
    port: 0,
    dataDir: null,
    env: {
      QUELL_GITHUB_WEBHOOK_SECRET: BENCH_SECRETS.github,
      QUELL_WEBHOOK_SECRET: BENCH_SECRETS.generic,
      SLACK_SIGNING_SECRET: BENCH_SECRETS.slack,
      ...standinProviderEnv(standins),
      QUELL_SLACK_CHANNEL: "C0BENCH",
      QUELL_APPROVERS: BENCH_APPROVER,
      QUELL_DRY_RUN: String(options.dryRun),
      POWERTOOLS_LOG_LEVEL: "ERROR",
    },
  });
  return { standins, runtime };
}
