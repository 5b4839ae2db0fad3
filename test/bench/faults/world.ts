/**
 * Everything a fault run happens in: the provider stand-ins (seeded with every planned run's resources), one
 * runtime child process configured only through its documented environment (QUELL_DRY_RUN=false, so approved
 * actions really write to the stand-ins), and the HTTP client that drives it.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { GitHubAlertSeed } from "../../../infra/local/standins/github.js";
import type { IamUserSeed } from "../../../infra/local/standins/iam.js";
import type { OpenAIProjectSeed } from "../../../infra/local/standins/openai.js";
import {
  githubAlertSeed,
  litellmCustomersSeed,
  type ScenarioStandins,
  standinProviderEnv,
  startScenarioStandins,
} from "../../../infra/local/standins/scenario.js";
import type { Standin } from "../../../infra/local/standins/server.js";
import { matcherFor } from "./operations.js";
import type { FaultTarget, PlannedFault, RunPlan } from "./plan.js";
import { QuellApi, type QuellSecrets } from "./quell-api.js";
import { killOrphans, type RuntimeProcess, startRuntimeProcess } from "./runtime-process.js";
import { REPOSITORY, type Subject } from "./subjects.js";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));

/**
 * The runtime's triage configuration: no start rate limit to speak of (hundreds of runs a minute start the same
 * playbooks; the default limit would record most as rate_limited, a correct outcome that exercises nothing past
 * triage), and the sample repository's organisation on the GitHub allow-list, where the runtime has one.
 */
function triageConfigFor(codeRoot: string): Record<string, unknown> {
  const schema = readFileSync(join(codeRoot, "functions/triage/config.ts"), "utf8");
  return {
    rateLimit: { startsPerPlaybook: 100_000, windowSeconds: 60 },
    ...(schema.includes("GitHubAllowList")
      ? { github: { allow: { organizations: [REPOSITORY.split("/")[0]] } } }
      : {}),
  };
}

export const APPROVERS = ["U0FAULTSA", "U0FAULTSB"] as const;
export const CHANNEL = "C0FAULTS";

export interface World {
  readonly standins: ScenarioStandins;
  readonly runtime: RuntimeProcess;
  readonly api: QuellApi;
  /** The stand-ins whose recorded requests are provider writes (mitigation targets), by name. */
  readonly providers: Readonly<Record<string, Standin>>;
  /**
   * While this file exists the runtime's handlers get DynamoDB throttling errors (the share written in it); undefined
   * when the runtime under test cannot inject throttling (an older revision).
   */
  readonly throttleFile: string | undefined;
  /** The stand-in a fault or a request matcher names. */
  standinFor(target: FaultTarget): Standin;
  queueFault(fault: PlannedFault, subject: Subject): void;
  /**
   * Stop the runtime (and any database of its data directory still running), the stand-ins; delete the data
   * directory unless `keep` (its runtime.log and state help explain a violation).
   */
  close(options?: { keep?: boolean }): Promise<void>;
}

/** The resources every planned run needs at the providers: its alert, key, IAM user or end user. */
function seeds(plans: readonly RunPlan[]) {
  const alerts: GitHubAlertSeed[] = [];
  const projects = new Map<string, OpenAIProjectSeed>();
  const iamUsers: IamUserSeed[] = [];
  const customers = litellmCustomersSeed();
  for (const { subject } of plans) {
    if (subject.kind === "leaked-key") {
      alerts.push(
        githubAlertSeed({ number: subject.alertNumber, secret: subject.secret, validity: subject.validity }),
      );
      const project = projects.get(subject.projectId) ?? {
        id: subject.projectId,
        name: subject.projectId,
        keys: [],
      };
      project.keys.push({ id: subject.keyId, name: `faults-${subject.alertNumber}`, secret: subject.secret });
      projects.set(subject.projectId, project);
    } else if (subject.kind === "llmjacking") {
      iamUsers.push({
        userName: subject.userName,
        keys: [{ accessKeyId: subject.accessKeyId, status: "Active" }],
      });
    } else if (subject.kind === "end-user") {
      customers.push({ userId: subject.userId });
    }
  }
  return { alerts, projects: [...projects.values()], iamUsers, litellmCustomers: customers };
}

export async function startWorld(options: {
  plans: readonly RunPlan[];
  /** Whose runtime code to run (another checkout, to compare revisions); default this repository. */
  codeRoot?: string;
  /** Extra runtime environment (e.g. settings a newer runtime needs). */
  env?: Record<string, string>;
}): Promise<World> {
  const standins = await startScenarioStandins(seeds(options.plans));
  const dataDir = mkdtempSync(join(tmpdir(), "quell-faults-"));
  const secret = () => randomBytes(16).toString("hex");
  const secrets: QuellSecrets = {
    github: secret(),
    generic: secret(),
    slackSigning: secret(),
    events: secret(),
    alertmanager: secret(),
    read: secret(),
  };
  const triageConfig = join(dataDir, "triage-config.json");
  const codeRoot = options.codeRoot ?? REPO;
  writeFileSync(triageConfig, JSON.stringify(triageConfigFor(codeRoot)));
  const throttleFile = existsSync(join(codeRoot, "infra/local/dynamodb-throttle.ts"))
    ? join(dataDir, "throttle-dynamodb")
    : undefined;
  let runtime: RuntimeProcess;
  try {
    runtime = await startRuntimeProcess({
      dataDir,
      ...(options.codeRoot ? { codeRoot: options.codeRoot } : {}),
      env: {
        QUELL_DRY_RUN: "false",
        QUELL_READ_TOKEN: secrets.read,
        QUELL_WEBHOOK_SECRET: secrets.generic,
        QUELL_GITHUB_WEBHOOK_SECRET: secrets.github,
        SLACK_SIGNING_SECRET: secrets.slackSigning,
        QUELL_EVENTS_TOKEN: secrets.events,
        QUELL_SOURCE_TOKEN_ALERTMANAGER: secrets.alertmanager,
        ...standinProviderEnv(standins),
        QUELL_SLACK_CHANNEL: CHANNEL,
        QUELL_APPROVERS: APPROVERS.join(","),
        QUELL_TRIAGE_CONFIG_FILE: triageConfig,
        POWERTOOLS_LOG_LEVEL: "ERROR",
        ...(throttleFile ? { QUELL_FAULT_DYNAMODB_THROTTLE_FILE: throttleFile } : {}),
        ...options.env,
      },
    });
  } catch (error) {
    await standins.close();
    throw error;
  }
  const byTarget: Record<FaultTarget, Standin> = {
    openai: standins.openai,
    github: standins.github,
    iam: standins.iam,
    litellm: standins.litellm,
    slack: standins.slack,
  };
  return {
    standins,
    runtime,
    api: new QuellApi(runtime.url, secrets),
    providers: {
      openai: standins.openai,
      github: standins.github,
      iam: standins.iam,
      sts: standins.sts,
      litellm: standins.litellm,
      bedrock: standins.bedrock,
    },
    throttleFile,
    standinFor: (target) => byTarget[target],
    queueFault(fault, subject) {
      const matcher = matcherFor(fault.operation, subject);
      if (!matcher) throw new Error(`${fault.operation} does not apply to a ${subject.kind} run`);
      byTarget[matcher.target].faults.next({
        method: matcher.method,
        path: matcher.path,
        ...(matcher.where ? { where: matcher.where } : {}),
        status: fault.status,
        applied: fault.applied,
        times: fault.times,
        ...(fault.delayMs ? { delayMs: fault.delayMs } : {}),
        ...(fault.body !== undefined ? { body: fault.body } : {}),
      });
    },
    async close({ keep = false } = {}) {
      await runtime.stop();
      killOrphans(runtime.databasePids());
      await standins.close();
      if (!keep) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
