import {
  DAY_MS,
  DEFAULT_STATS_DAYS,
  formatDuration,
  type GroupSummary,
  type ListedIncident,
  MAX_STATS_DAYS,
  type MetricSummary,
  openedWithin,
  parseStatsDays,
  type ResponseIncident,
  type ResponseReport,
  summarize,
  withTimelines,
} from "../../functions/shared/response-metrics.js";
import type { IncidentDetail, IncidentPage } from "./client.js";

/** What `stats` reads of the local API (QuellClient): incidents a page at a time, then each one. */
export interface StatsSource {
  incidents(page: { limit?: number; cursor?: string }): Promise<IncidentPage>;
  incident(id: string): Promise<IncidentDetail | undefined>;
}

/** The largest page GET /incidents serves (infra/local/pagination.ts). */
const PAGE = 200;
/** Incidents read at once: the local runtime shares the machine with whatever it is serving. */
const READS_AT_ONCE = 4;

/**
 * The incidents opened from `since` to `until`, each with its timeline: GET /incidents newest first, page by page
 * with its cursor, until an older one; then GET /incidents/<id> of each that counts.
 */
export async function readWindow(source: StatsSource, since: Date, until: Date): Promise<ResponseIncident[]> {
  const listed: ListedIncident[] = [];
  let cursor: string | undefined;
  do {
    const page = await source.incidents({ limit: PAGE, ...(cursor ? { cursor } : {}) });
    // The list's items are the stored incidents (rehearsals carry `rehearsal`), more than IncidentSummary names.
    const incidents = page.incidents as (IncidentPage["incidents"][number] & { rehearsal?: unknown })[];
    const older = incidents.findIndex((incident) => Date.parse(incident.createdAt) < since.getTime());
    const reached = older === -1 ? incidents : incidents.slice(0, older);
    listed.push(...reached.filter((incident) => openedWithin(incident, since, until)));
    cursor = older === -1 ? page.nextCursor : undefined;
  } while (cursor);
  return withTimelines(listed, async (id) => (await source.incident(id))?.timeline, READS_AT_ONCE);
}

/** `npm run quell -- stats [days]`: the report as a table, or a usage error. */
export async function statsCommand(
  source: StatsSource,
  daysText: string | undefined,
  now: Date = new Date(),
): Promise<{ code: number; output: string }> {
  const days = parseStatsDays(daysText);
  if (days === undefined) {
    return {
      code: 1,
      output: `stats takes a number of days from 1 to ${MAX_STATS_DAYS} (default ${DEFAULT_STATS_DAYS}): npm run quell -- stats [days]`,
    };
  }
  const since = new Date(now.getTime() - days * DAY_MS);
  const incidents = await readWindow(source, since, now);
  return { code: 0, output: formatStatsTable(summarize(incidents, since, now), days) };
}

const DEFINITIONS = [
  "  acknowledge: first approval asked of a person -> first human answer (ack, vote, approve or deny)",
  "  contain:     incident opened -> first verified step that applied writes (dry runs never contain)",
  "  resolve:     incident opened -> closed (any outcome)",
];

/** The report as a terminal table: all incidents, then per playbook, then per alert type. */
export function formatStatsTable(report: ResponseReport, days: number): string {
  const leftOut = [
    report.rehearsals > 0 ? `${report.rehearsals} rehearsal(s)` : "",
    report.shadows > 0 ? `${report.shadows} shadow run(s)` : "",
    report.notStarted > 0 ? `${report.notStarted} where no playbook started` : "",
  ].filter(Boolean);
  const head = `Response times of incidents opened since ${report.since} (last ${days} day(s)): ${report.incidents} counted${leftOut.length > 0 ? `; left out: ${leftOut.join(", ")}` : ""}`;
  if (report.incidents === 0) return head;
  return [
    head,
    ...DEFINITIONS,
    "",
    table("all incidents", [report.overall]),
    "",
    table("playbook", report.byPlaybook),
    "",
    table("alert type", report.byAlertType),
  ].join("\n");
}

const HEADER = ["metric", "reached", "median", "p90", "max", "not reached", "not asked"];

function table(title: string, groups: readonly GroupSummary[]): string {
  const rows = [
    [title.toUpperCase(), ...HEADER.map((name) => name.toUpperCase())],
    ...groups.flatMap((group) => [
      [printable(group.key), ...metricRow("acknowledge", group.acknowledge, true)],
      ["", ...metricRow("contain", group.contain, false)],
      ["", ...metricRow("resolve", group.resolve, false)],
    ]),
  ];
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? "").length))) ?? [];
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

function metricRow(name: string, metric: MetricSummary, asked: boolean): string[] {
  const duration = (ms: number | null) => (ms === null ? "-" : formatDuration(ms));
  return [
    name,
    String(metric.count),
    duration(metric.medianMs),
    duration(metric.p90Ms),
    duration(metric.maxMs),
    String(metric.missing),
    asked ? String(metric.notApplicable) : "",
  ];
}

/** A playbook or alert type as a terminal shows it: no control characters (escape sequences). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point.
export const printable = (text: string) => text.replace(/[\u0000-\u001F\u007F-\u009F]/g, "");
