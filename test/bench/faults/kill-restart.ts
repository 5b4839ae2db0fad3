/**
 * kill -9 of the runtime or of its database at a run's kill point, then what an operator (or the runtime's own
 * supervisor) does: start it again on the same data directory. Checks that a restart leaves one database. Or, at
 * the same points, DynamoDB throttling for a while.
 */
import { rmSync, writeFileSync } from "node:fs";
import type { Delivery, KillPlan } from "./plan.js";
import type { QuellApi } from "./quell-api.js";
import type { RunContext, RunRecord } from "./run.js";
import { databasePidsUnder, killOrphans } from "./runtime-process.js";
import { deliver } from "./send.js";
import { sleep } from "./wait.js";

/**
 * After a restart: more than one database on this data directory (for more than a moment: a runtime that ends the
 * one it finds may still be waiting for it to exit) means the runtime left one behind.
 */
async function checkOneDatabase(
  ctx: RunContext,
  record: RunRecord,
  before: readonly number[],
): Promise<void> {
  let now = databasePidsUnder(ctx.world.runtime.dataDir);
  for (let waited = 0; now.length > 1 && waited < 3000; waited += 300) {
    await sleep(300);
    now = databasePidsUnder(ctx.world.runtime.dataDir);
  }
  if (now.length <= 1) return;
  const orphans = now.filter((pid) => before.includes(pid));
  record.violations.push({
    invariant: "runtime-owns-children",
    message: `after the restart ${now.length} DynamoDB Local processes serve the data directory (${now.join(", ")}); ${orphans.join(", ")} outlived the killed runtime`,
  });
  // Ours to end (started by the runtime this harness started), so the machine does not fill up with them.
  killOrphans(orphans.length ? orphans : now.slice(0, -1));
}

/** The kills so far, one at a time (a second waits for the first's restart), with when each began and ended. */
export class KillLog {
  private readonly kills: { run: number; from: number; to: number }[] = [];
  private last: Promise<void> = Promise.resolve();

  /** Run `kill` once every earlier kill is over, and remember it. */
  exclusive(run: number, kill: () => Promise<void>): Promise<void> {
    const next = this.last.then(async () => {
      const from = Date.now();
      try {
        await kill();
      } finally {
        this.kills.push({ run, from, to: Date.now() });
      }
    });
    this.last = next.catch(() => undefined);
    return next;
  }

  /** Runs other than `run` whose kill overlapped [from, to]. */
  during(from: number, to: number, run: number): number[] {
    return this.kills
      .filter((kill) => kill.run !== run && kill.from <= to && kill.to >= from)
      .map((kill) => kill.run);
  }
}

export function killAndRestart(ctx: RunContext, record: RunRecord, kill: KillPlan): Promise<void> {
  return ctx.kills.exclusive(record.plan.run, () => killThenRestart(ctx, record, kill));
}

async function killThenRestart(ctx: RunContext, record: RunRecord, kill: KillPlan): Promise<void> {
  const { runtime, api } = ctx.world;
  await sleep(kill.delayMs);
  const before = runtime.databasePids();
  const restarted = Date.now();
  if (kill.target === "runtime") {
    await runtime.killRuntime();
    record.notes.push(`killed the runtime (${kill.at})`);
    await startAgain(ctx);
    record.notes.push(`restarted in ${((Date.now() - restarted) / 1000).toFixed(1)} s`);
    await checkOneDatabase(ctx, record, before);
    return;
  }
  if (kill.target === "throttle") {
    await throttleFor(ctx, record, kill);
    return;
  }
  const killed = runtime.killDatabase();
  record.notes.push(`killed the database ${killed.join(",")} (${kill.at})`);
  const health = await api.healthz();
  record.notes.push(`/healthz with the database down: ${health.status}`);
  const retry = await deliverDuring(ctx, record, kill, "the outage");
  // A supervised database comes back by itself; otherwise the operator restarts Quell.
  const recovered = await recovers(api, 15_000);
  if (!recovered) {
    await runtime.stop(3000);
    await startAgain(ctx);
    record.notes.push(`restarted in ${((Date.now() - restarted) / 1000).toFixed(1)} s`);
    await checkOneDatabase(ctx, record, before);
  }
  record.notes.push(recovered ? "the runtime recovered its database by itself" : "restarted the runtime");
  for (const delivery of retry) await deliver(ctx, record, delivery);
}

/**
 * Alerts sent while the database is down or throttling, each once: a 202 must be kept; a refusal (503) is what a
 * sender retries later, so the caller sends those again once the fault is over.
 */
async function deliverDuring(
  ctx: RunContext,
  record: RunRecord,
  kill: KillPlan,
  during: string,
): Promise<Delivery[]> {
  const retry: Delivery[] = [];
  for (const deliveries of kill.duringOutage ?? []) {
    const statuses = await Promise.all(
      deliveries.map((delivery) => deliver(ctx, record, delivery, { patienceMs: 0, keepRefusal: false })),
    );
    deliveries.forEach((delivery, i) => {
      if (statuses[i] !== 202 && statuses[i] !== 200) retry.push(delivery);
    });
  }
  record.notes.push(
    `during ${during}: ${(kill.duringOutage ?? []).flat().length - retry.length} accepted, ${retry.length} refused`,
  );
  return retry;
}

/** DynamoDB throttles the handlers' requests for a while (the runtime's fault-injection file), then stops. */
async function throttleFor(ctx: RunContext, record: RunRecord, kill: KillPlan): Promise<void> {
  const { durationMs, share } = kill.throttle ?? { durationMs: 2000, share: 1 };
  const file = ctx.world.throttleFile;
  if (!file) {
    record.notes.push("this runtime cannot inject DynamoDB throttling; nothing throttled");
    return;
  }
  const until = Date.now() + durationMs;
  writeFileSync(file, String(share));
  record.notes.push(`DynamoDB throttling ${share * 100}% for ${durationMs} ms (${kill.at})`);
  let retry: Delivery[] = [];
  try {
    retry = await deliverDuring(ctx, record, kill, "the throttling");
    await sleep(Math.max(0, until - Date.now()));
  } finally {
    rmSync(file, { force: true });
  }
  for (const delivery of retry) await deliver(ctx, record, delivery);
  // A moment without throttling before the next run's window (windows are taken one at a time): back to back,
  // eight runs' windows would throttle the database for minutes on end, which is an outage, not throttling.
  await sleep(THROTTLE_COOL_DOWN_MS);
}

const THROTTLE_COOL_DOWN_MS = 5000;

/** The runtime did not start again: every later run would only report that, so the harness stops. */
export class RuntimeDown extends Error {
  override readonly name = "RuntimeDown";
}

/** Start the runtime on the same data directory; a second try before giving up (a start can race a dying one). */
async function startAgain(ctx: RunContext): Promise<void> {
  try {
    await ctx.world.runtime.start();
  } catch (first) {
    await sleep(2000);
    try {
      await ctx.world.runtime.start();
    } catch (second) {
      throw new RuntimeDown(
        `the runtime did not start again: ${(first as Error).message}; then ${(second as Error).message}`,
      );
    }
  }
}

/** Whether the runtime serves reads from its database again within `withinMs`. */
async function recovers(api: QuellApi, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    const health = await api.healthz();
    if (health.status === 200 && (await api.get("/incidents?limit=1", 0)).status === 200) return true;
    await sleep(300);
  }
  return false;
}
