/** Reading a run's incidents through the API, and waiting until they settle. */
import { GITHUB_REPOSITORY_ID } from "./bodies.js";
import type { IncidentView } from "./quell-api.js";
import type { RunContext, RunRecord } from "./run.js";
import { settlementOf } from "./settled.js";
import { incidentDedupKey } from "./subjects.js";
import { sleep } from "./wait.js";

/**
 * The run's incidents, read now: those its Slack cards name, else those GET /incidents lists under its dedup key.
 * A list read is a table scan in the local runtime, so the shared index is asked only for runs without a card yet
 * and refreshes at most every two seconds; the final check lists every incident.
 */
export async function incidentsOf(ctx: RunContext, record: RunRecord): Promise<IncidentView[]> {
  const carded = record.finder.find();
  const listed = carded.length
    ? []
    : await ctx.index.lookup(incidentDedupKey(record.plan.subject, GITHUB_REPOSITORY_ID), 2000);
  const ids = new Set([...carded, ...listed]);
  const views = await Promise.all([...ids].map((id) => ctx.world.api.incident(id)));
  return views.filter((view): view is IncidentView => view !== undefined);
}

/** Whether every accepted alert of the run is on one of its incidents or on the unmatched list. */
export async function allKept(
  ctx: RunContext,
  record: RunRecord,
  incidents: readonly IncidentView[],
): Promise<boolean> {
  const stored = new Set(incidents.flatMap((incident) => incident.alerts.map((alert) => alert.id)));
  // A replay's answer names the first delivery's alert, which the run waits for like any other it was told of.
  for (const id of new Set([...record.accepted, ...record.replays])) {
    if (!stored.has(id) && (await ctx.unmatched.reasonOf(id)) === undefined) return false;
  }
  return true;
}

/** Wait until the run's incidents are settled and its alerts are on them, or the deadline passes. */
export async function settle(ctx: RunContext, record: RunRecord, deadline: number): Promise<void> {
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
