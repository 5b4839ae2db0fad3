/**
 * Response metrics: how fast an incident was acknowledged, contained and resolved, read from its timeline alone.
 * Pure (no I/O): the CLI (`npm run quell -- stats`), Slack (`/quell stats`) and the recorder's EMF line share it.
 *
 * Per incident, with `opened` = the incident's `createdAt` (when triage opened it) and times taken from the
 * timeline entries' `at`, in whatever order the entries come. A duration is never negative.
 *
 * - Time to acknowledge: from the first `approval_requested` (a person was asked: policy `one` or `two`) to the
 *   first human response, whichever comes first of: `acknowledged` (`/quell ack`), `approval_vote` (the first
 *   of a four-eyes pair) and `approval_decided` deciding `approved` or `denied` by a person (its actor is not
 *   `quell:…`). A response before the first request (an ack while the playbook still ran) counts as 0.
 *   Not applicable when nobody was asked (no `approval_requested`: `auto` approvals, written as
 *   `approval_decided` by `quell:auto`, ask no one). Not a response: `approval_refused` (a person not
 *   authorised or excluded, or a click that came too late), `escalated`, and expiries (`approval_expired`,
 *   approvals expired by `quell:timeout`, `quell:interrupted`, `quell:playbook-ended`). Asked and never
 *   answered (expired, or still pending) is counted as not acknowledged.
 * - Time to contain: from opened to the first `action_verified` of a step whose `action_applied` sent at least
 *   one write (`detail.writes` not empty): a mitigation sent and read back in its wanted state. A dry run or a
 *   rehearsal only plans (`action_planned`), a step that found nothing to change sends nothing, a failed step
 *   (`action_failed`, including a read-back that disagreed) or one held by the kill switch (`action_paused`)
 *   verifies nothing: none of them contains. A later undo does not take a containment back.
 * - Time to resolve: from opened to the first `closed` entry, whatever its outcome (mitigated, resolved,
 *   denied, expired, failed; the outcome is kept beside it).
 *
 * Which incidents count: those opened in the window (at or after `since`, not after `until`: now) whose playbook started. Rehearsals (`/quell dry-run`,
 * smoke tests) and incidents where nothing started (no playbook, suppressed, rate limited) are left out and
 * counted apart. An incident still open counts as not (yet) acknowledged, contained or resolved.
 *
 * Aggregates (over all, per playbook, per alert type), for each metric: how many incidents reached it, the median,
 * p90 and max of their exact durations, and how many did not. Percentiles are by nearest rank, so always one of
 * the durations: the p-th is the smallest duration that at least p% of them are at or under (the median of an
 * even count is the lower of the two middle ones).
 */

/** A timeline entry as the store and the local API give it (`kind` is a TimelineKind). */
export interface TimelineEntry {
  readonly at: string;
  readonly kind: string;
  readonly actor?: string;
  readonly detail?: Readonly<Record<string, unknown>>;
}

/** An incident as listed (the store's, or the local API's JSON): what says whether and where it counts. */
export interface ListedIncident {
  readonly id: string;
  readonly playbook: string | null;
  readonly type: string;
  readonly status: string;
  readonly createdAt: string;
  /** Set on rehearsals (`/quell dry-run`, smoke tests). */
  readonly rehearsal?: unknown;
  /** Set when its playbook ran in shadow mode: nothing was sent, nobody asked, so nothing to measure. */
  readonly shadow?: unknown;
}

export interface ResponseIncident extends ListedIncident {
  readonly timeline: readonly TimelineEntry[];
}

/** A milestone of one incident: reached after `ms` (at `at`), not (yet) reached, or not applicable. */
export type Measured =
  | { readonly kind: "reached"; readonly ms: number; readonly at: string }
  | { readonly kind: "missing" }
  | { readonly kind: "not_applicable" };

export interface IncidentTimes {
  readonly id: string;
  readonly playbook: string;
  readonly alertType: string;
  readonly acknowledge: Measured;
  readonly contain: Measured;
  readonly resolve: Measured;
  /** The first `closed` entry's outcome, null while open. */
  readonly outcome: string | null;
}

export interface MetricSummary {
  /** Incidents that reached it. */
  readonly count: number;
  /** Median, p90 and max of their durations in milliseconds; null when none reached it. */
  readonly medianMs: number | null;
  readonly p90Ms: number | null;
  readonly maxMs: number | null;
  /** Incidents that did not (yet): for acknowledge, those asked and never answered. */
  readonly missing: number;
  /** Acknowledge only: incidents nobody was asked about (0 for the others). */
  readonly notApplicable: number;
}

export interface GroupSummary {
  /** The playbook or alert type, or `all`. */
  readonly key: string;
  readonly incidents: number;
  readonly acknowledge: MetricSummary;
  readonly contain: MetricSummary;
  readonly resolve: MetricSummary;
}

export interface ResponseReport {
  readonly since: string;
  /** Incidents counted (opened since `since`, playbook started, not rehearsals). */
  readonly incidents: number;
  /** Opened in the window but left out. */
  readonly rehearsals: number;
  /** Shadow runs (triage `playbooks.<name>.mode: shadow`): they contained nothing. */
  readonly shadows: number;
  readonly notStarted: number;
  readonly overall: GroupSummary;
  /** Most incidents first, then by name. */
  readonly byPlaybook: readonly GroupSummary[];
  readonly byAlertType: readonly GroupSummary[];
}

/** Statuses in which triage started nothing (functions/triage/incidents.ts NOTHING_STARTED). */
const NOTHING_STARTED: readonly string[] = ["no_playbook", "suppressed", "rate_limited"];

export const DAY_MS = 86_400_000;
export const DEFAULT_STATS_DAYS = 7;
export const MAX_STATS_DAYS = 90;

/** `[days]` of the stats commands: a whole number from 1 to MAX_STATS_DAYS, 7 when absent; else undefined. */
export function parseStatsDays(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === "") return DEFAULT_STATS_DAYS;
  if (!/^\d{1,3}$/.test(text.trim())) return undefined;
  const days = Number(text.trim());
  return days >= 1 && days <= MAX_STATS_DAYS ? days : undefined;
}

/** Whether an incident is one response metrics count: not a rehearsal nor a shadow run, and its playbook started. */
export const countsTowardsMetrics = (incident: ListedIncident): boolean =>
  !incident.rehearsal &&
  !incident.shadow &&
  incident.playbook !== null &&
  !NOTHING_STARTED.includes(incident.status);

const isPerson = (actor: unknown): boolean =>
  typeof actor === "string" && actor !== "" && !actor.startsWith("quell:");

/** Whether an entry is a person answering for the incident (see the module comment). */
function isHumanResponse(entry: TimelineEntry): boolean {
  if (!isPerson(entry.actor)) return false;
  if (entry.kind === "acknowledged" || entry.kind === "approval_vote") return true;
  if (entry.kind !== "approval_decided") return false;
  const decision = entry.detail?.decision;
  return (decision === "approved" || decision === "denied") && entry.detail?.policy !== "auto";
}

interface Dated {
  readonly entry: TimelineEntry;
  readonly time: number;
}

/** The earliest entry that satisfies `test` (entries with an unreadable time are skipped). */
function earliest(entries: readonly Dated[], test: (entry: TimelineEntry) => boolean): Dated | undefined {
  let found: Dated | undefined;
  for (const dated of entries) {
    if (test(dated.entry) && (!found || dated.time < found.time)) found = dated;
  }
  return found;
}

const reached = (from: number, to: Dated | undefined): Measured =>
  to && Number.isFinite(from)
    ? { kind: "reached", ms: Math.max(0, to.time - from), at: to.entry.at }
    : { kind: "missing" };

/** One incident's times to acknowledge, contain and resolve (see the module comment for the rules). */
export function incidentTimes(incident: ResponseIncident): IncidentTimes {
  const entries: Dated[] = incident.timeline
    .map((entry) => ({ entry, time: Date.parse(entry.at) }))
    .filter((dated) => Number.isFinite(dated.time));
  const opened = Date.parse(incident.createdAt);

  const asked = earliest(
    entries,
    (entry) => entry.kind === "approval_requested" && entry.detail?.policy !== "auto",
  );
  const acknowledge: Measured = asked
    ? reached(asked.time, earliest(entries, isHumanResponse))
    : { kind: "not_applicable" };

  // Steps that sent writes, wherever their entries sit: entries of the same millisecond come in any order.
  const wrote = new Set(
    entries
      .filter(({ entry }) => entry.kind === "action_applied" && hasWrites(entry))
      .map(({ entry }) => entry.detail?.step),
  );
  const verified = earliest(
    entries,
    (entry) => entry.kind === "action_verified" && wrote.has(entry.detail?.step),
  );
  const closed = earliest(entries, (entry) => entry.kind === "closed");
  const outcome = closed?.entry.detail?.outcome;
  return {
    id: incident.id,
    playbook: incident.playbook ?? "none",
    alertType: incident.type,
    acknowledge,
    contain: reached(opened, verified),
    resolve: reached(opened, closed),
    outcome: typeof outcome === "string" ? outcome : closed ? "closed" : null,
  };
}

const hasWrites = (entry: TimelineEntry): boolean => {
  const writes = entry.detail?.writes;
  return Array.isArray(writes) && writes.length > 0;
};

/** The nearest-rank p-th percentile (0 < p ≤ 100) of values sorted ascending; undefined when there are none. */
export function percentile(sortedAscending: readonly number[], p: number): number | undefined {
  if (sortedAscending.length === 0) return undefined;
  // Integer arithmetic first, so 90 × 30 / 100 is exactly 27 and never 27.000000000000004.
  const rank = Math.max(1, Math.ceil((p * sortedAscending.length) / 100));
  return sortedAscending[Math.min(rank, sortedAscending.length) - 1];
}

function summarizeMetric(measured: readonly Measured[]): MetricSummary {
  const durations = measured.flatMap((one) => (one.kind === "reached" ? [one.ms] : [])).sort((a, b) => a - b);
  return {
    count: durations.length,
    medianMs: percentile(durations, 50) ?? null,
    p90Ms: percentile(durations, 90) ?? null,
    maxMs: durations.at(-1) ?? null,
    missing: measured.filter((one) => one.kind === "missing").length,
    notApplicable: measured.filter((one) => one.kind === "not_applicable").length,
  };
}

function summarizeGroup(key: string, times: readonly IncidentTimes[]): GroupSummary {
  return {
    key,
    incidents: times.length,
    acknowledge: summarizeMetric(times.map((one) => one.acknowledge)),
    contain: summarizeMetric(times.map((one) => one.contain)),
    resolve: summarizeMetric(times.map((one) => one.resolve)),
  };
}

function groupBy(times: readonly IncidentTimes[], keyOf: (one: IncidentTimes) => string): GroupSummary[] {
  const groups = new Map<string, IncidentTimes[]>();
  for (const one of times) {
    const members = groups.get(keyOf(one));
    if (members) members.push(one);
    else groups.set(keyOf(one), [one]);
  }
  return [...groups]
    .map(([key, members]) => summarizeGroup(key, members))
    .sort((a, b) => b.incidents - a.incidents || a.key.localeCompare(b.key));
}

/** Whether an incident was opened at or after `since` and not after `until`. */
export const openedWithin = (
  incident: Pick<ListedIncident, "createdAt">,
  since: Date,
  until: Date,
): boolean => {
  const opened = Date.parse(incident.createdAt);
  return opened >= since.getTime() && opened <= until.getTime();
};

/** The response report over the incidents opened from `since` to `until` (see the module comment). */
export function summarize(incidents: readonly ResponseIncident[], since: Date, until: Date): ResponseReport {
  const inWindow = incidents.filter((incident) => openedWithin(incident, since, until));
  const counted = inWindow.filter(countsTowardsMetrics);
  const rehearsals = inWindow.filter((incident) => Boolean(incident.rehearsal)).length;
  const shadows = inWindow.filter((incident) => Boolean(incident.shadow) && !incident.rehearsal).length;
  const times = counted.map(incidentTimes);
  return {
    since: since.toISOString(),
    incidents: counted.length,
    rehearsals,
    shadows,
    notStarted: inWindow.length - counted.length - rehearsals - shadows,
    overall: summarizeGroup("all", times),
    byPlaybook: groupBy(times, (one) => one.playbook),
    byAlertType: groupBy(times, (one) => one.alertType),
  };
}

/**
 * The listed incidents that count, each with its timeline read by `read` (undefined: the incident is gone, and
 * left out), `atOnce` reads at a time. Incidents that do not count are kept without a read (they are counted
 * apart by summarize).
 */
export async function withTimelines(
  listed: readonly ListedIncident[],
  read: (incidentId: string) => Promise<readonly TimelineEntry[] | undefined>,
  atOnce = 8,
): Promise<ResponseIncident[]> {
  const result: ResponseIncident[] = [];
  for (let start = 0; start < listed.length; start += atOnce) {
    const batch = listed.slice(start, start + atOnce);
    const timelines = await Promise.all(
      batch.map(async (incident) => (countsTowardsMetrics(incident) ? read(incident.id) : [])),
    );
    batch.forEach((incident, index) => {
      const timeline = timelines[index];
      if (timeline) result.push({ ...incident, timeline });
    });
  }
  return result;
}

/** A duration as people read it: `850ms`, `42s`, `4m 12s`, `2h 5m`, `3d 4h` (rounded down). */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.floor(ms))}ms`;
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${seconds % 60}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h ${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

/** The CloudWatch metric of each milestone (namespace Quell, unit Milliseconds). */
export const RESPONSE_METRIC_NAMES = {
  acknowledge: "TimeToAcknowledge",
  contain: "TimeToContain",
  resolve: "TimeToResolve",
} as const;

/**
 * One Embedded Metric Format line for a closed incident: namespace `Quell`, dimensions `Playbook` and
 * `AlertType`, and only the milestones it reached, in Milliseconds, dated `timestampMs`. Undefined when it
 * reached none.
 */
export function responseMetricsEmf(times: IncidentTimes, timestampMs: number): string | undefined {
  const values = (Object.keys(RESPONSE_METRIC_NAMES) as (keyof typeof RESPONSE_METRIC_NAMES)[]).flatMap(
    (milestone) => {
      const measured = times[milestone];
      return measured.kind === "reached" ? [[RESPONSE_METRIC_NAMES[milestone], measured.ms] as const] : [];
    },
  );
  if (values.length === 0) return undefined;
  return JSON.stringify({
    _aws: {
      Timestamp: timestampMs,
      CloudWatchMetrics: [
        {
          Namespace: "Quell",
          Dimensions: [["Playbook", "AlertType"]],
          Metrics: values.map(([name]) => ({ Name: name, Unit: "Milliseconds" })),
        },
      ],
    },
    Playbook: times.playbook,
    AlertType: times.alertType,
    ...Object.fromEntries(values),
  });
}
