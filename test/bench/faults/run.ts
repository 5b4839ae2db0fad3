/**
 * Carries out one run's plan against the runtime: queue its faults, send its deliveries (group by group, a group
 * at once), act as the humans at the approval card, kill and restart where the plan says, then wait until its
 * incidents settle. Everything observed goes into the run's record for the invariant checks.
 */
import { GITHUB_REPOSITORY_ID, type Request, requestFor } from "./bodies.js";
import { type IncidentIndex, SlackIncidentFinder, type UnmatchedIndex } from "./incident-index.js";
import type { Violation } from "./invariants.js";
import { matcherFor, matches } from "./operations.js";
import type { Delivery, DeliveryGroups, KillPlan, RunPlan } from "./plan.js";
import type { Answer, IncidentView, QuellApi } from "./quell-api.js";
import { databasePidsUnder, killOrphans } from "./runtime-process.js";
import { settlementOf } from "./settled.js";
import { incidentDedupKey, slackMarker } from "./subjects.js";
import { APPROVERS, type World } from "./world.js";

export interface RunRecord {
  readonly plan: RunPlan;
  /** When the run started (ms since the epoch): the deliveries' times are relative to it. */
  readonly base: number;
  /** Alert ids answered 202. */
  readonly accepted: string[];
  /** Alert ids answered 200 as replays of an earlier delivery. */
  readonly replays: string[];
  /** Deliveries refused for good (after the retries a sender makes), with the status and error code. */
  readonly refused: string[];
  readonly notes: string[];
  /** Violations seen while running (a restart that left two databases). */
  readonly violations: Violation[];
  /** The approval the run's humans decided (a click answered), if they did. */
  decided?: string;
  /** Faults the stand-ins fired at this run's requests. */
  faultsFired: number;
  /** Milliseconds from the start to each phase's end (delivered, card, decided, settled, …), for slow runs. */
  readonly timings: Record<string, number>;
  /** Finds the run's incidents through its Slack cards. */
  readonly finder: SlackIncidentFinder;
  /** The run's incidents, as last read. */
  incidents: IncidentView[];
  settled: boolean;
  endedAt: number;
}

export interface RunContext {
  readonly world: World;
  readonly index: IncidentIndex;
  readonly unmatched: UnmatchedIndex;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
/** How long a pending approval may go without a card in Slack before the run stops waiting to click it. */
const CARDLESS_PATIENCE_MS = 15_000;

function post(api: QuellApi, request: Request): Promise<Answer> {
  switch (request.route) {
    case "github":
      return api.postGitHub(request.body, request.deliveryId);
    case "generic":
      return api.postGeneric(request.body);
    case "alertmanager":
      return api.postAlertmanager(request.body);
    case "events":
      return api.postEvents(request.body);
  }
}

/**
 * Send one delivery as its tool would: what found the runtime down (no answer, 503, 429) is sent again, up to
 * `attempts` times; a 202 is an accepted alert, a 200 with an alert id a recognised replay, anything else a refusal.
 */
async function deliver(
  ctx: RunContext,
  record: RunRecord,
  delivery: Delivery,
  { attempts = 8, keepRefusal = true } = {},
): Promise<number> {
  const request = requestFor(record.plan.subject, delivery, record.base);
  for (let attempt = 1; ; attempt++) {
    const answer = await post(ctx.world.api, request);
    const alertId = typeof answer.body.alertId === "string" ? answer.body.alertId : undefined;
    // POST /events answers the ids of the events it took as `alertIds`.
    const alertIds = Array.isArray(answer.body.alertIds) ? (answer.body.alertIds as string[]) : [];
    if (answer.status === 202 && (alertId || alertIds.length)) {
      record.accepted.push(...(alertId ? [alertId] : alertIds));
      return 202;
    }
    if (answer.status === 200 && alertId) {
      record.replays.push(alertId);
      return 200;
    }
    const retryable = answer.status === 0 || answer.status === 503 || answer.status === 429;
    if (retryable && attempt < attempts) {
      await sleep(250 * attempt);
      continue;
    }
    const code = (answer.body.error as { code?: string } | undefined)?.code;
    if (keepRefusal) record.refused.push(`${delivery.kind} ${answer.status}${code ? ` ${code}` : ""}`);
    return answer.status;
  }
}

async function deliverGroups(
  ctx: RunContext,
  record: RunRecord,
  groups: DeliveryGroups,
  from = 0,
  to = groups.length,
) {
  for (const deliveries of groups.slice(from, to)) {
    await Promise.all(deliveries.map((delivery) => deliver(ctx, record, delivery)));
  }
}

/**
 * The run's incidents, read now: those its Slack cards name, else those GET /incidents lists under its dedup key.
 * A list read is a table scan in the local runtime, so the shared index is asked only for runs without a card yet
 * and refreshes at most every two seconds; the final check lists every incident.
 */
async function incidentsOf(ctx: RunContext, record: RunRecord): Promise<IncidentView[]> {
  const carded = record.finder.find();
  const listed = carded.length
    ? []
    : await ctx.index.lookup(incidentDedupKey(record.plan.subject, GITHUB_REPOSITORY_ID), 2000);
  const ids = new Set([...carded, ...listed]);
  const views = await Promise.all([...ids].map((id) => ctx.world.api.incident(id)));
  return views.filter((view): view is IncidentView => view !== undefined);
}

interface Card {
  readonly approvalId: string;
  readonly channel: string;
  readonly ts: string;
}

/**
 * The run's pending approval once its card is in Slack (a human can only click a card they see), or undefined
 * when the run's incidents settle without one, or the card never comes.
 */
async function awaitCard(ctx: RunContext, record: RunRecord, deadline: number): Promise<Card | undefined> {
  let pendingSince: number | undefined;
  for (;;) {
    const incidents = await incidentsOf(ctx, record);
    const pending = incidents
      .flatMap((incident) => incident.approvals)
      .find((approval) => approval.status === "pending" && approval.policy !== "auto");
    if (pending) {
      pendingSince ??= Date.now();
      const card = ctx.world.standins.slack.messages.find(
        (message) =>
          message.threadTs === undefined && JSON.stringify(message.blocks ?? []).includes(pending.approvalId),
      );
      if (card) return { approvalId: pending.approvalId, channel: card.channel, ts: card.ts };
      if (Date.now() - pendingSince > CARDLESS_PATIENCE_MS) {
        record.notes.push(
          `approval ${pending.approvalId} pending with no card in Slack after ${CARDLESS_PATIENCE_MS} ms`,
        );
        return undefined;
      }
    } else if (incidents.length > 0 && incidents.every((incident) => settlementOf(incident) === "terminal")) {
      return undefined;
    } else if (
      incidents.length === 0 &&
      record.accepted.length > 0 &&
      (await allKept(ctx, record, incidents))
    ) {
      // Every alert was kept as unmatched (a resolve, then older events of the same alert): nothing opens.
      record.notes.push("every alert was kept unmatched: no incident, no card");
      return undefined;
    }
    if (Date.now() > deadline) {
      record.notes.push("no approval card before the deadline");
      return undefined;
    }
    await sleep(300);
  }
}

/** The humans at the card, as the plan says. */
async function decide(ctx: RunContext, record: RunRecord, card: Card): Promise<void> {
  const { api } = ctx.world;
  const [first, second] = APPROVERS;
  const approve = (user: string) => api.approve(card.approvalId, user, card);
  const deny = (user: string) =>
    api.deny(card.approvalId, user, "Not now: checking with the key's owner first");
  const answers: Answer[] = [];
  switch (record.plan.decision) {
    case "none":
      return;
    case "approve":
    case "approve-then-late-retry":
      answers.push(await approve(first));
      break;
    case "deny":
      answers.push(await deny(first));
      break;
    case "double-approve":
      answers.push(...(await Promise.all([approve(first), approve(first)])));
      break;
    case "two-approvers":
      answers.push(...(await Promise.all([approve(first), approve(second)])));
      break;
    case "approve-and-deny":
      answers.push(...(await Promise.all([approve(first), deny(second)])));
      break;
  }
  record.notes.push(
    `${record.plan.decision} on ${card.approvalId}: ${answers.map((a) => a.status).join(",")}`,
  );
}

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
  for (let waited = 0; now.length > 1 && waited < 3000; waited += 250) {
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

async function killAndRestart(ctx: RunContext, record: RunRecord, kill: KillPlan): Promise<void> {
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
  const killed = runtime.killDatabase();
  record.notes.push(`killed the database ${killed.join(",")} (${kill.at})`);
  const health = await api.healthz();
  record.notes.push(`/healthz with the database down: ${health.status}`);
  // Alerts during the outage, each sent once: a 202 must be kept; a 503 is sent again after recovery.
  const retry: Delivery[] = [];
  for (const deliveries of kill.duringOutage ?? []) {
    const statuses = await Promise.all(
      deliveries.map((delivery) => deliver(ctx, record, delivery, { attempts: 1, keepRefusal: false })),
    );
    deliveries.forEach((delivery, i) => {
      if (statuses[i] !== 202 && statuses[i] !== 200) retry.push(delivery);
    });
  }
  record.notes.push(
    `during the outage: ${(kill.duringOutage ?? []).flat().length - retry.length} accepted, ${retry.length} refused`,
  );
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

/** Whether every accepted alert of the run is on one of its incidents or on the unmatched list. */
async function allKept(
  ctx: RunContext,
  record: RunRecord,
  incidents: readonly IncidentView[],
): Promise<boolean> {
  const stored = new Set(incidents.flatMap((incident) => incident.alerts.map((alert) => alert.id)));
  for (const id of record.accepted) {
    if (!stored.has(id) && (await ctx.unmatched.reasonOf(id)) === undefined) return false;
  }
  return true;
}

/** Wait until the run's incidents are settled and its alerts are on them, or the deadline passes. */
async function settle(ctx: RunContext, record: RunRecord, deadline: number): Promise<void> {
  for (;;) {
    const incidents = await incidentsOf(ctx, record);
    record.incidents = incidents;
    const settled = incidents.every((incident) => settlementOf(incident) !== "unsettled");
    if (settled && (await allKept(ctx, record, incidents))) {
      record.settled = true;
      return;
    }
    if (Date.now() > deadline) {
      record.settled = settled;
      return;
    }
    await sleep(300);
  }
}

export async function executeRun(plan: RunPlan, ctx: RunContext): Promise<RunRecord> {
  const record: RunRecord = {
    plan,
    base: Date.now(),
    accepted: [],
    replays: [],
    refused: [],
    notes: [],
    violations: [],
    faultsFired: 0,
    timings: {},
    finder: new SlackIncidentFinder(ctx.world.standins.slack.messages, slackMarker(plan.subject)),
    incidents: [],
    settled: false,
    endedAt: 0,
  };
  const mark = (phase: string) => {
    record.timings[phase] = Date.now() - record.base;
  };
  for (const fault of plan.faults) ctx.world.queueFault(fault, plan.subject);
  const kill = plan.kill;

  if (kill?.at === "mid-deliveries" && plan.deliveries.length > 1) {
    const split = 1 + Math.floor((plan.deliveries.length - 1) / 2);
    await deliverGroups(ctx, record, plan.deliveries, 0, split);
    await killAndRestart(ctx, record, kill);
    await deliverGroups(ctx, record, plan.deliveries, split);
  } else {
    await deliverGroups(ctx, record, plan.deliveries);
    if (kill?.at === "mid-deliveries") await killAndRestart(ctx, record, kill);
  }

  mark("delivered");
  const deadline = Date.now() + plan.settleMs;
  if (plan.decision !== "none") {
    let card = await awaitCard(ctx, record, deadline);
    if (card && kill?.at === "at-card") {
      await killAndRestart(ctx, record, kill);
      // After the restart the same approval must still be decidable (its card is the one already posted).
      card = await awaitCard(ctx, record, Date.now() + plan.settleMs);
    }
    mark("card");
    if (card) {
      await decide(ctx, record, card);
      mark("decided");
      if (kill?.at === "after-approve") await killAndRestart(ctx, record, kill);
      if (kill?.at === "write-in-flight") {
        await untilWriteSent(ctx, record, Date.now() + 10_000);
        await killAndRestart(ctx, record, kill);
      }
    }
  }
  await settle(ctx, record, Date.now() + plan.settleMs);
  mark("settled");
  if (plan.decision === "approve-then-late-retry") {
    const approval = record.incidents
      .flatMap((incident) => incident.approvals)
      .find((a) => a.policy !== "auto");
    const card = approval
      ? ctx.world.standins.slack.messages.find((m) =>
          JSON.stringify(m.blocks ?? []).includes(approval.approvalId),
        )
      : undefined;
    if (approval && card) {
      const again = await ctx.world.api.approve(approval.approvalId, APPROVERS[0], card);
      record.notes.push(`late Approve retry: ${again.status}`);
      await sleep(500);
      await settle(ctx, record, Date.now() + 5000);
    }
  }
  record.faultsFired = firedAt(ctx, record);
  if (plan.faults.length && record.faultsFired === 0) record.notes.push("its planned faults never fired");
  record.endedAt = Date.now();
  return record;
}

/** How many faults fired at the run's own requests (each planned fault matches only those). */
function firedAt(ctx: RunContext, record: RunRecord): number {
  let fired = 0;
  for (const operation of new Set(record.plan.faults.map((fault) => fault.operation))) {
    const matcher = matcherFor(operation, record.plan.subject);
    if (!matcher) continue;
    const standin = ctx.world.standinFor(matcher.target);
    fired += standin.faults.fired.filter((fault) => matches(matcher, fault.request)).length;
  }
  return fired;
}

/** Wait until the provider received the run's first write (the slow one the runtime is killed during). */
async function untilWriteSent(ctx: RunContext, record: RunRecord, deadline: number): Promise<void> {
  const fault = record.plan.faults[0];
  const matcher = fault ? matcherFor(fault.operation, record.plan.subject) : undefined;
  if (!matcher) return;
  const standin = ctx.world.standinFor(matcher.target);
  while (Date.now() < deadline) {
    if (standin.requests.some((request) => matches(matcher, request))) return;
    await sleep(25);
  }
  record.notes.push("the approved write never reached the provider before the kill");
}
