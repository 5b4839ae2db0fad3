import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commandLineOf, processStartedAt } from "../../infra/local/pid-files.js";
import { freePort } from "../../infra/local/ports.js";
import { githubWebhookHeaders } from "../../infra/local/signing.js";
import { webhookForAlert } from "./harness.js";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const TSX = pathToFileURL(join(REPO, "node_modules/tsx/dist/loader.mjs")).href;
const running = (pid: number) => processStartedAt(pid) !== undefined;

interface Started {
  readonly child: ChildProcess;
  readonly url: string;
  output(): string;
  exited(): Promise<number | null>;
}

/** `npm start` (infra/local/main.ts) in `cwd`, as a process of its own. */
function startQuell(cwd: string, port: number): Started {
  const child = spawn(process.execPath, ["--import", TSX, join(REPO, "infra/local/main.ts")], {
    cwd,
    env: { ...process.env, QUELL_PORT: String(port), TSX_TSCONFIG_PATH: join(REPO, "tsconfig.json") },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk) => {
    output += String(chunk);
  });
  child.stderr?.on("data", (chunk) => {
    output += String(chunk);
  });
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, url: `http://127.0.0.1:${port}`, output: () => output, exited: () => exit };
}

async function healthy(started: Started, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (started.child.exitCode !== null) throw new Error(`Quell exited: ${started.output()}`);
    try {
      if ((await fetch(`${started.url}/healthz`)).status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`Quell did not start: ${started.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function waitUntil(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  return done();
}

describe("the runtime owns its processes: pid files, one runtime per directory, no orphan (issue 11, item 7)", () => {
  const cwd = mkdtempSync(join(tmpdir(), "quell-process-"));
  const quellDir = join(cwd, ".quell");
  const pidIn = (name: string) => Number.parseInt(readFileSync(join(quellDir, name), "utf8"), 10);
  const secrets = () =>
    JSON.parse(readFileSync(join(quellDir, "local-secrets.json"), "utf8")) as Record<string, string>;
  let port: number;
  let first: Started;
  let databasePid: number;
  const started: Started[] = [];
  beforeAll(async () => {
    port = await freePort();
    first = startQuell(cwd, port);
    started.push(first);
    await healthy(first);
    databasePid = pidIn("dynamodb.pid");
  });
  afterAll(async () => {
    for (const quell of started) if (quell.child.exitCode === null) quell.child.kill("SIGKILL");
    // A database left by a failed assertion is stopped by its watchdog once its runtime is gone.
    rmSync(cwd, { recursive: true, force: true });
  });

  it("writes .quell/runtime.pid and .quell/dynamodb.pid, 0600, naming itself and its database", () => {
    expect(pidIn("runtime.pid")).toBe(first.child.pid);
    expect(commandLineOf(databasePid)).toContain("LoopbackDynamoDbLocal");
    expect(commandLineOf(databasePid)).toContain(join(quellDir, "dynamodb"));
    for (const name of ["runtime.pid", "dynamodb.pid", "local-secrets.json"]) {
      expect(statSync(join(quellDir, name)).mode & 0o777).toBe(0o600);
    }
    expect(statSync(quellDir).mode & 0o777).toBe(0o700);
  });

  it("accepts an alert that a later start still has", async () => {
    const body = webhookForAlert(4242);
    const response = await fetch(`${first.url}/alerts/github`, {
      method: "POST",
      headers: githubWebhookHeaders(body, secrets().QUELL_GITHUB_WEBHOOK_SECRET as string),
      body,
    });
    expect(response.status).toBe(202);
    const read = { headers: { authorization: `Bearer ${secrets().QUELL_READ_TOKEN}` } };
    const opened = async () =>
      ((await (await fetch(`${first.url}/incidents`, read)).json()) as { incidents: unknown[] }).incidents
        .length;
    const deadline = Date.now() + 30_000;
    while ((await opened()) === 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await opened()).toBe(1);
  });

  it("refuses a second runtime on the same directory, naming the first, and leaves it running", async () => {
    const second = startQuell(cwd, await freePort());
    started.push(second);
    expect(await second.exited()).toBe(1);
    expect(second.output()).toContain(`a Quell runtime (pid ${first.child.pid}) is already running`);
    expect(running(databasePid)).toBe(true);
    expect((await fetch(`${first.url}/healthz`)).status).toBe(200);
  });

  it("takes its database down with it when killed with -9", async () => {
    first.child.kill("SIGKILL");
    await first.exited();
    expect(await waitUntil(() => !running(databasePid), 15_000)).toBe(true);
  });

  it("starts again on the same files, with what was accepted before", async () => {
    const again = startQuell(cwd, port);
    started.push(again);
    await healthy(again);
    expect(pidIn("runtime.pid")).toBe(again.child.pid);
    expect(pidIn("dynamodb.pid")).not.toBe(databasePid);
    const cli = await promisify(execFile)(
      process.execPath,
      ["--import", TSX, join(REPO, "infra/local/cli.ts"), "incidents"],
      {
        cwd,
        env: { ...process.env, QUELL_PORT: String(port), TSX_TSCONFIG_PATH: join(REPO, "tsconfig.json") },
      },
    );
    expect(cli.stdout).toMatch(/^inc_\w+ /m);

    again.child.kill("SIGTERM");
    expect(await again.exited()).toBe(0);
    expect(existsSync(join(quellDir, "runtime.pid"))).toBe(false);
    expect(existsSync(join(quellDir, "dynamodb.pid"))).toBe(false);
  });
});
