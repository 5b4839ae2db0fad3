import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defineTriageConfig } from "../../functions/triage/config.js";
import { type LocalRuntime, startLocalRuntime } from "../../infra/local/runtime.js";
import {
  type ScenarioStandins,
  standinProviderEnv,
  startScenarioStandins,
} from "../../infra/local/standins/scenario.js";
import { genericAlert, postGenericAlert, storedAlertIds } from "./generic-alerts.js";
import { APPROVER, CHANNEL, INGEST_ONLY_ROUTE, SECRETS } from "./harness.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("DynamoDB Local dies under load: the runtime says so, refuses to accept, restarts it, and loses nothing", () => {
  let runtime: LocalRuntime;
  let standins: ScenarioStandins;
  const dir = mkdtempSync(join(tmpdir(), "quell-database-restart-"));
  beforeAll(async () => {
    standins = await startScenarioStandins();
    const triageConfig = { routes: [INGEST_ONLY_ROUTE] };
    defineTriageConfig(triageConfig);
    writeFileSync(join(dir, "triage-config.json"), JSON.stringify(triageConfig));
    runtime = await startLocalRuntime({
      port: 0,
      dataDir: join(dir, ".quell"),
      env: {
        ...standinProviderEnv(standins),
        QUELL_WEBHOOK_SECRET: SECRETS.generic,
        QUELL_GITHUB_WEBHOOK_SECRET: SECRETS.github,
        QUELL_EVENTS_TOKEN: SECRETS.events,
        SLACK_SIGNING_SECRET: SECRETS.slackSigning,
        QUELL_READ_TOKEN: SECRETS.read,
        QUELL_APPROVERS: APPROVER,
        QUELL_SLACK_CHANNEL: CHANNEL,
        QUELL_DRY_RUN: "true",
        QUELL_TRIAGE_CONFIG_FILE: join(dir, "triage-config.json"),
        POWERTOOLS_LOG_LEVEL: "ERROR",
      },
    });
  });
  afterAll(async () => {
    await runtime?.stop();
    await standins?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("healthz and ingest answer 503 while it is down, 200/202 once the supervisor restarted it; every 202 is stored", async () => {
    const health = async () => {
      const response = await fetch(`${runtime.url}/healthz`);
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    expect(await health()).toMatchObject({ status: 200, body: { status: "ok", database: "up" } });

    const accepted: string[] = [];
    const statuses: number[] = [];
    const healthSeen: number[] = [];
    let sending = true;
    let n = 0;
    const sender = (async () => {
      while (sending) {
        const answer = await postGenericAlert(runtime.url, genericAlert(n++));
        statuses.push(answer.status);
        if (answer.status === 202 && answer.alertId) accepted.push(answer.alertId);
        else expect(answer.status).toBe(503);
        healthSeen.push((await health()).status);
        await sleep(20);
      }
    })();
    const deadline = Date.now() + 60_000;
    const until = async (done: () => boolean, what: string) => {
      while (!done()) {
        if (Date.now() > deadline) throw new Error(`${what}: ${JSON.stringify(runtime.database.health())}`);
        await sleep(50);
      }
    };
    await until(() => accepted.length >= 10, "alerts were not accepted");
    const firstPid = runtime.dynamoPid as number;
    process.kill(firstPid, "SIGKILL");
    await until(() => healthSeen.includes(503), "healthz never said unhealthy");
    await until(
      () => runtime.dynamoPid !== firstPid && healthSeen.at(-1) === 200,
      "DynamoDB Local was not restarted",
    );
    const afterRestart = accepted.length;
    await until(() => accepted.length >= afterRestart + 10, "alerts were not accepted after the restart");
    sending = false;
    await sender;

    const down = await fetch(`${runtime.url}/healthz`);
    expect(down.status).toBe(200);
    expect(statuses).toContain(503);
    expect(statuses.at(-1)).toBe(202);
    expect(runtime.database.health()).toMatchObject({ database: "up", restarts: 1 });

    await runtime.idle();
    const stored = await storedAlertIds(runtime.url, SECRETS.read);
    const lost = accepted.filter((id) => !stored.has(id));
    expect(lost).toEqual([]);
    expect(runtime.bus.deadLetters).toEqual([]);
  });

  it("a refusal while the database is down says what to do: 503 unavailable with Retry-After", async () => {
    process.kill(runtime.dynamoPid as number, "SIGKILL");
    const deadline = Date.now() + 5000;
    let answer: Response | undefined;
    while (Date.now() < deadline) {
      answer = await fetch(`${runtime.url}/healthz`);
      if (answer.status === 503) break;
      await sleep(10);
    }
    expect(answer?.status).toBe(503);
    expect(await answer?.json()).toMatchObject({ status: "unhealthy", database: "down" });
    const refused = await fetch(`${runtime.url}/alerts/generic`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: genericAlert(9999),
    });
    // Restarting takes seconds (Java): the database is still down.
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("5");
    expect(await refused.json()).toMatchObject({ error: { code: "unavailable" } });
    while (!runtime.database.isUp()) await sleep(100);
    expect((await fetch(`${runtime.url}/healthz`)).status).toBe(200);
  });
});
