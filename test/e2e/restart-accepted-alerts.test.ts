import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ScenarioStandins, startScenarioStandins } from "../../infra/local/standins/scenario.js";
import { genericAlert, postGenericAlert, storedAlertIds } from "./generic-alerts.js";
import { INGEST_ONLY_ROUTE, SECRETS } from "./harness.js";
import {
  clientOf,
  type RuntimeProcess,
  runtimeEnv,
  startRuntimeProcess,
  workingDirectory,
} from "./runtime-process.js";

const ALERTS = 150;
const IN_FLIGHT = 16;

describe("kill -9 right after 150 accepted alerts: after the restart every one is on an incident", () => {
  let standins: ScenarioStandins;
  const work = workingDirectory();
  const runtimes: RuntimeProcess[] = [];
  beforeAll(async () => {
    standins = await startScenarioStandins();
  });
  afterAll(async () => {
    for (const runtime of runtimes) await runtime.kill9();
    await standins?.close();
    work.remove();
  });

  it("accepted means durable: what was not triaged before the kill is redelivered at start", {
    timeout: 240_000,
  }, async () => {
    const env = runtimeEnv(standins, {
      dir: work.dir,
      dryRun: true,
      triageConfig: { routes: [INGEST_ONLY_ROUTE] },
    });
    const first = await startRuntimeProcess(work.dir, env);
    runtimes.push(first);
    const accepted: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < ALERTS) {
          const answer = await postGenericAlert(first.url, genericAlert(next++));
          expect(answer.status).toBe(202);
          accepted.push(answer.alertId as string);
        }
      }),
    );
    await first.kill9();
    expect(accepted).toHaveLength(ALERTS);
    // The kill left accepted events the bus had not delivered: the restart has something to prove.
    const pendingAtKill = readdirSync(join(work.dir, ".quell", "bus", "pending")).length;
    expect(pendingAtKill).toBeGreaterThan(0);

    const second = await startRuntimeProcess(work.dir, env);
    runtimes.push(second);
    expect(second.output()).toMatch(/Quell recovered after a restart: \d+ accepted event\(s\) redelivered/);
    await clientOf(second.url).busDrained();
    const stored = await storedAlertIds(second.url, SECRETS.read);
    expect(accepted.filter((id) => !stored.has(id))).toEqual([]);
    const deadLetters = await clientOf(second.url).readJson<{ deadLetters: unknown[] }>("/dead-letters");
    expect(deadLetters.deadLetters).toEqual([]);
  });
});
