import type { Clock } from "../shared/ids.js";
import { escapeMrkdwn } from "../shared/mrkdwn.js";
import {
  DAY_MS,
  DEFAULT_STATS_DAYS,
  formatDuration,
  type GroupSummary,
  MAX_STATS_DAYS,
  type MetricSummary,
  openedWithin,
  parseStatsDays,
  type ResponseReport,
  summarize,
  withTimelines,
} from "../shared/response-metrics.js";
import type { IncidentStore } from "../shared/store.js";

/**
 * The most incidents `/quell stats` reads, newest first: each costs one query for its timeline (8 at a time), and
 * Slack waits 3 s for the answer. A window holding more is cut to its newest ones, and the answer says so.
 */
export const STATS_MAX_INCIDENTS = 200;
/** Playbooks or alert types listed, most incidents first; the rest are named as a count. */
const MAX_GROUPS = 15;

export interface StatsDeps {
  readonly store: Pick<IncidentStore, "listIncidents" | "getTimeline">;
  readonly clock: Clock;
}

/**
 * `/quell stats [days]`: times to acknowledge, contain and resolve over the incidents opened in the last `days`
 * (functions/shared/response-metrics.ts), as compact mrkdwn. A read command: anyone who may use /quell.
 */
export async function statsCommand(
  daysText: string | undefined,
  deps: StatsDeps,
  maxIncidents = STATS_MAX_INCIDENTS,
): Promise<string> {
  const days = parseStatsDays(daysText);
  if (days === undefined)
    return `Usage: \`/quell stats [days]\`, days a whole number from 1 to ${MAX_STATS_DAYS} (default ${DEFAULT_STATS_DAYS}).`;
  const now = deps.clock();
  const since = new Date(now.getTime() - days * DAY_MS);
  // Newest first; one more than the bound tells whether the window holds more than it.
  const page = await deps.store.listIncidents({ limit: maxIncidents + 1 });
  const inWindow = page.items.filter((incident) => openedWithin(incident, since, now));
  const read = inWindow.slice(0, maxIncidents);
  const incidents = await withTimelines(read, (incidentId) => deps.store.getTimeline(incidentId));
  const cut =
    inWindow.length > maxIncidents ? { count: maxIncidents, back: read.at(-1)?.createdAt } : undefined;
  return statsMrkdwn(summarize(incidents, since, now), days, cut);
}

/** The report as Slack mrkdwn, every value from the table escaped. */
export function statsMrkdwn(
  report: ResponseReport,
  days: number,
  cut?: { readonly count: number; readonly back: string | undefined },
): string {
  const leftOut = [
    report.rehearsals > 0 ? `${report.rehearsals} rehearsal(s)` : "",
    report.shadows > 0 ? `${report.shadows} shadow run(s)` : "",
    report.notStarted > 0 ? `${report.notStarted} where no playbook started` : "",
  ].filter(Boolean);
  const head = `*Response times, last ${days} day(s)* (incidents opened since ${escapeMrkdwn(report.since)}): ${report.incidents} counted${leftOut.length > 0 ? `; left out: ${leftOut.join(", ")}` : ""}.`;
  const cutLine = cut
    ? `:warning: Only the newest ${cut.count} incidents were read (back to ${escapeMrkdwn(cut.back ?? "?")}); older ones of the window are not counted. CloudWatch's \`Quell\` metrics TimeToAcknowledge, TimeToContain and TimeToResolve count every closed incident.`
    : undefined;
  if (report.incidents === 0) return [head, ...(cutLine ? [cutLine] : [])].join("\n");
  return [
    head,
    "_median / p90 / max (how many reached it)._ ack: first approval asked → first human answer; contain: opened → first verified step that applied writes; resolve: opened → closed.",
    `*All*: ${groupLine(report.overall)}`,
    "*By playbook*",
    ...groupLines(report.byPlaybook),
    "*By alert type*",
    ...groupLines(report.byAlertType),
    ...(cutLine ? [cutLine] : []),
  ].join("\n");
}

function groupLines(groups: readonly GroupSummary[]): string[] {
  const shown = groups
    .slice(0, MAX_GROUPS)
    .map((group) => `• \`${escapeMrkdwn(group.key, 64)}\` (${group.incidents}): ${groupLine(group)}`);
  const rest = groups.length - MAX_GROUPS;
  return rest > 0 ? [...shown, `• and ${rest} more`] : shown;
}

const groupLine = (group: GroupSummary): string =>
  [
    `ack ${metricText(group.acknowledge, group.acknowledge.count + group.acknowledge.missing, " asked")}`,
    `contain ${metricText(group.contain, group.incidents, "")}`,
    `resolve ${metricText(group.resolve, group.incidents, "")}`,
  ].join(" · ");

function metricText(metric: MetricSummary, of: number, what: string): string {
  if (of === 0) return "— (none asked)";
  const reached = `(${metric.count} of ${of}${what})`;
  if (metric.medianMs === null || metric.p90Ms === null || metric.maxMs === null) return `— ${reached}`;
  return `${formatDuration(metric.medianMs)} / ${formatDuration(metric.p90Ms)} / ${formatDuration(metric.maxMs)} ${reached}`;
}
