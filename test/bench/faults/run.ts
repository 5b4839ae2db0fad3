/**
 * Carries out one run's plan against the runtime: queue its faults, send its deliveries (group by group, a group
 * at once), act as the humans at the approval card, kill and restart where the plan says, then wait until its
 * incidents settle. Everything observed goes into the run's record for the invariant checks.
 */
import { awaitCard, decide } from "./humans.js";
import { type IncidentIndex, SlackIncidentFinder, type UnmatchedIndex } from "./incident-index.js";
import type { Violation } from "./invariants.js";
import { type KillLog, killAndRestart } from "./kill-restart.js";
import { settle } from "./observe.js";
import { matcherFor, matches } from "./operations.js";
import type { RunPlan } from "./plan.js";
import type { IncidentView } from "./quell-api.js";
import { deliver, deliverGroups } from "./send.js";
import { slackMarker } from "./subjects.js";
import { sleep } from "./wait.js";
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
  /** Other runs whose kill -9 happened while this run was in flight (replay it with them). */
  witnessed: number[];
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
  /** Kills happen one at a time, and are remembered: which runs were in flight through each. */
  readonly kills: KillLog;
}

/**
 * How long any run may take to settle, at least: one playbook task may retry a transient failure for about 90 s
 * (6 retries, 2 s doubling to 30 s, playbooks/compile.ts), and eight runs share two cores. A run still unsettled
 * after that is a violation; a settled run never waits for it.
 */
const TASK_RETRY_PATIENCE_MS = 120_000;

export async function executeRun(plan: RunPlan, ctx: RunContext): Promise<RunRecord> {
  const record: RunRecord = {
    plan,
    base: Date.now(),
    accepted: [],
    replays: [],
    refused: [],
    notes: [],
    violations: [],
    witnessed: [],
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
  const settleMs = Math.max(plan.settleMs, TASK_RETRY_PATIENCE_MS);
  const deadline = Date.now() + settleMs;
  if (plan.decision !== "none") {
    let card = await awaitCard(ctx, record, deadline);
    if (card && kill?.at === "at-card") {
      await killAndRestart(ctx, record, kill);
      // After the restart the same approval must still be decidable (its card is the one already posted).
      card = await awaitCard(ctx, record, Date.now() + settleMs);
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
  await settle(ctx, record, Date.now() + settleMs);
  mark("settled");
  if (plan.late?.length) {
    for (const delivery of plan.late) await deliver(ctx, record, delivery);
    await settle(ctx, record, Date.now() + settleMs);
    mark("late deliveries settled");
  }
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
  record.witnessed = ctx.kills.during(record.base, record.endedAt, plan.run);
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
