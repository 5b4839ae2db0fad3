import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { defineTriageConfig, type TriageConfigInput } from "../../functions/triage/config.js";
import { approvalClickBody, slackSignatureHeaders, slashCommandBody } from "../../infra/local/signing.js";
import { type ScenarioStandins, standinProviderEnv } from "../../infra/local/standins/scenario.js";
import { APPROVER, CHANNEL, SECRETS } from "./harness.js";

const REPO = resolve(import.meta.dirname, "../..");
/**
 * Node with tsx's loader, as `tsx` runs a file, but in this one process: the tsx CLI runs the file in a child
 * process of its own, which a `kill -9` of the CLI would leave running.
 */
const NODE_WITH_TSX = [
  "--require",
  join(REPO, "node_modules/tsx/dist/preflight.cjs"),
  "--import",
  pathToFileURL(join(REPO, "node_modules/tsx/dist/loader.mjs")).href,
];
/** `npm start`'s own entry point. */
export const MAIN_ENTRY = join(REPO, "infra/local/main.ts");
/** The runtime with a shortened approval timeout (main.ts has no such option). */
export const SHORT_APPROVALS_ENTRY = join(REPO, "test/e2e/runtime-child.ts");

/** A Quell runtime in its own process, in its own working directory (its state in `<dir>/.quell`). */
export interface RuntimeProcess {
  readonly url: string;
  readonly child: ChildProcess;
  output(): string;
  /** `kill -9`: no shutdown of any kind. */
  kill9(): Promise<void>;
  /** SIGTERM: the runtime's own stop. */
  stop(): Promise<void>;
}

/** A working directory for runtimes that come and go: what `.quell/` survives between them. */
export function workingDirectory(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), "quell-restart-"));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * The configuration the runtimes of a test share: the stand-ins (in the test's process, so they outlive every
 * runtime and see every request), fixed secrets, and a triage configuration when given.
 */
export function runtimeEnv(
  standins: ScenarioStandins,
  options: {
    dir: string;
    dryRun?: boolean;
    triageConfig?: TriageConfigInput;
    extra?: Record<string, string>;
  },
): Record<string, string> {
  let triageFile: string | undefined;
  if (options.triageConfig) {
    defineTriageConfig(options.triageConfig);
    triageFile = join(options.dir, "triage-config.json");
    writeFileSync(triageFile, JSON.stringify(options.triageConfig));
  }
  return {
    ...standinProviderEnv(standins),
    QUELL_PORT: "0",
    QUELL_DRY_RUN: String(options.dryRun ?? false),
    QUELL_APPROVERS: APPROVER,
    QUELL_SLACK_CHANNEL: CHANNEL,
    QUELL_GITHUB_WEBHOOK_SECRET: SECRETS.github,
    QUELL_WEBHOOK_SECRET: SECRETS.generic,
    QUELL_EVENTS_TOKEN: SECRETS.events,
    SLACK_SIGNING_SECRET: SECRETS.slackSigning,
    QUELL_READ_TOKEN: SECRETS.read,
    POWERTOOLS_LOG_LEVEL: "ERROR",
    ...(triageFile ? { QUELL_TRIAGE_CONFIG_FILE: triageFile } : {}),
    ...options.extra,
  };
}

/** Start a runtime process in `dir` and wait until it says where it listens. */
export async function startRuntimeProcess(
  dir: string,
  env: Record<string, string>,
  entry = MAIN_ENTRY,
): Promise<RuntimeProcess> {
  const child = spawn(process.execPath, [...NODE_WITH_TSX, entry], {
    cwd: dir,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-20_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`runtime did not start in 90 s:\n${output}`)), 90_000);
    const look = () => {
      const found = /Quell is running at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
      if (found) {
        clearTimeout(timer);
        resolve(found);
      }
    };
    child.stdout?.on("data", look);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`runtime exited before it started (${child.exitCode}):\n${output}`));
    });
  });
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return { url, child, output: () => output, kill9: () => end("SIGKILL"), stop: () => end("SIGTERM") };
}

/** What a test does over HTTP against a runtime process, with the test secrets. */
export function clientOf(url: string) {
  const postSlack = (body: string) =>
    fetch(`${url}/slack/events`, {
      method: "POST",
      headers: slackSignatureHeaders(body, SECRETS.slackSigning),
      body,
    });
  const read = (path: string) =>
    fetch(`${url}${path}`, { headers: { authorization: `Bearer ${SECRETS.read}` } });
  return {
    read,
    async readJson<T>(path: string): Promise<T> {
      const response = await read(path);
      if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}`);
      return (await response.json()) as T;
    },
    click: (approvalId: string, userId = APPROVER) =>
      postSlack(approvalClickBody({ approvalId, decision: "approve", userId, channel: CHANNEL })),
    async quell(text: string, userId = APPROVER): Promise<string> {
      const response = await postSlack(slashCommandBody({ text, userId }));
      if (response.status !== 200) throw new Error(`/quell ${text} answered ${response.status}`);
      return ((await response.json()) as { text?: string }).text ?? "";
    },
    /** Poll an incident until `done` holds. */
    async incident<T extends { status: string }>(
      id: string,
      done: (incident: T) => boolean,
      timeoutMs = 30_000,
    ) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const response = await read(`/incidents/${id}`);
        if (response.status === 200) {
          const incident = (await response.json()) as T;
          if (done(incident)) return incident;
          if (Date.now() > deadline)
            throw new Error(`incident ${id} did not settle: ${JSON.stringify(incident)}`);
        } else if (Date.now() > deadline) {
          throw new Error(`incident ${id}: GET answered ${response.status}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    /** Wait until the bus has delivered everything it holds. */
    async busDrained(timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const health = (await (await fetch(`${url}/healthz`)).json()) as { bus?: { pending: number } };
        if (health.bus?.pending === 0) return;
        if (Date.now() > deadline) throw new Error(`the bus still holds ${health.bus?.pending} event(s)`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
  };
}
