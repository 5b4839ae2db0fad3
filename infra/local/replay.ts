import { readFileSync, statSync } from "node:fs";
import { FINAL_STATUSES } from "../../functions/shared/incident.js";
import type { IncidentDetail, IncidentPage, RehearsalAnswer, RehearsalRequestBody } from "./client.js";
import { MAX_FILE_BYTES, parseAlertFile, parseReplayArgs, type ReplayOptions } from "./replay-input.js";
import { formatReplayedAlert, type ReplayedAlert, type ReplayIncident } from "./replay-report.js";

/** What `replay` uses of the local API (QuellClient): incidents page by page, one incident, POST /rehearsals. */
export interface ReplaySource {
  incidents(page: { limit?: number; cursor?: string }): Promise<IncidentPage>;
  incident(id: string): Promise<IncidentDetail | undefined>;
  rehearse(request: RehearsalRequestBody): Promise<RehearsalAnswer>;
}

export const REPLAY_USAGE =
  "npm run quell -- replay --playbook <name> [--since 7d | --from <file.json|file.jsonl>] [--limit 50] [--wait 120]";

/** A rehearsal is over: its playbook ended (or was interrupted). */
const ENDED: readonly string[] = [...FINAL_STATUSES, "interrupted"];
/** Timeline kinds that only a write that went out leaves: never on a rehearsal. */
const SENT_KINDS = new Set(["write_attempted", "write_settled"]);

interface Candidate {
  readonly alert: { id: string; type: string; source: string; title: string };
  readonly request: RehearsalRequestBody;
}

/**
 * `npm run quell -- replay`: run stored alerts (received within `--since`, whose incident went to the playbook or
 * that triage routes there now) or a file's alerts (`--from`) through triage and the playbook as quiet rehearsals,
 * wait for them, and report per alert the route now and then, the steps, the planned writes, the approvals it
 * would ask and the difference from what the deployed version did. Exit 0 when every alert was replayed.
 */
export async function replayCommand(
  argv: readonly string[],
  source: ReplaySource,
  options: { now?: Date; pollMs?: number } = {},
): Promise<{ code: number; output: string }> {
  const parsed = parseReplayArgs(argv);
  if ("error" in parsed) return { code: 1, output: `replay: ${parsed.error}\nusage: ${REPLAY_USAGE}` };
  const candidates = parsed.from
    ? fileCandidates(parsed)
    : await storedCandidates(parsed, source, options.now);
  if ("errors" in candidates) return { code: 1, output: candidates.errors.join("\n") };
  const replayed: ReplayedAlert[] = [];
  const failures: string[] = [];
  for (const candidate of candidates.items) {
    try {
      replayed.push({ alert: candidate.alert, answer: await source.rehearse(candidate.request) });
    } catch (error) {
      failures.push(`alert ${candidate.alert.id}: ${(error as Error).message}`);
    }
  }
  const deadline = Date.now() + parsed.waitSeconds * 1000;
  const finished = await Promise.all(
    replayed.map((item) => settle(item, source, deadline, options.pollMs ?? 100)),
  );
  const problems = [
    ...failures,
    ...finished.flatMap((item) => (item.problem ? [`alert ${item.alert.id}: ${item.problem}`] : [])),
  ];
  const started = finished.filter((item) => item.answer.started).length;
  const what = parsed.from
    ? `alert(s) from ${parsed.from}`
    : `stored alert(s) of the last ${parsed.sinceText}`;
  const summary = `replay of ${parsed.playbook}: ${candidates.items.length} ${what}, ${started} rehearsed, ${finished.length - started} skipped (not routed to it); rehearsals plan every write and send none`;
  const body = finished.flatMap((item) => [formatReplayedAlert(item, parsed.playbook), ""]);
  const tail =
    problems.length === 0 ? [] : ["", `replay failed for ${problems.length} alert(s):`, ...problems];
  const output = [summary, "", ...body, ...tail].join("\n").trimEnd();
  return { code: problems.length === 0 ? 0 : 1, output };
}

function fileCandidates(options: ReplayOptions): { items: Candidate[] } | { errors: string[] } {
  const file = options.from as string;
  let text: string;
  try {
    const size = statSync(file).size;
    if (size > MAX_FILE_BYTES)
      return { errors: [`${file}: ${size} bytes; replay reads at most ${MAX_FILE_BYTES}`] };
    text = readFileSync(file, "utf8");
  } catch (error) {
    return { errors: [`${file}: ${(error as Error).message}`] };
  }
  const parsed = parseAlertFile(text);
  if (!parsed.ok)
    return {
      errors: [`${file}: not replayed, nothing was sent:`, ...parsed.errors.map((error) => `  ${error}`)],
    };
  if (parsed.alerts.length > options.limit) {
    return {
      errors: [`${file}: ${parsed.alerts.length} alerts; replay takes at most --limit ${options.limit}`],
    };
  }
  return {
    items: parsed.alerts.map((alert) => ({ alert, request: { playbook: options.playbook, alert } })),
  };
}

/**
 * The first alert (the one triage routed) of each incident opened within the window, newest first, rehearsals
 * left out: GET /incidents page by page until an older one, then GET /incidents/{id} of each.
 */
async function storedCandidates(
  options: ReplayOptions,
  source: ReplaySource,
  now = new Date(),
): Promise<{ items: Candidate[] }> {
  const since = now.getTime() - options.sinceMs;
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await source.incidents({ limit: 200, ...(cursor ? { cursor } : {}) });
    const listed = page.incidents as (IncidentPage["incidents"][number] & { rehearsal?: unknown })[];
    const older = listed.findIndex((incident) => Date.parse(incident.createdAt) < since);
    const inWindow = older === -1 ? listed : listed.slice(0, older);
    ids.push(...inWindow.filter((incident) => !incident.rehearsal).map((incident) => incident.id));
    cursor = older === -1 && ids.length < options.limit ? page.nextCursor : undefined;
  } while (cursor);
  const items: Candidate[] = [];
  for (const id of ids.slice(0, options.limit)) {
    const first = ((await source.incident(id)) as ReplayIncident | undefined)?.alerts?.[0];
    if (!first || Date.parse(first.receivedAt) < since) continue;
    items.push({
      alert: first,
      request: { playbook: options.playbook, alertId: first.id, onlyIfRouted: true },
    });
  }
  return { items };
}

/** Wait for a rehearsal to end (until the deadline), then read it and the alert's own incident. */
async function settle(
  item: ReplayedAlert,
  source: ReplaySource,
  deadline: number,
  pollMs: number,
): Promise<ReplayedAlert> {
  const { incidentId, original } = item.answer;
  if (!item.answer.started || !incidentId) return item;
  let rehearsal: ReplayIncident | undefined;
  for (;;) {
    rehearsal = (await source.incident(incidentId)) as ReplayIncident | undefined;
    if (rehearsal && ENDED.includes(rehearsal.status)) break;
    if (Date.now() > deadline) {
      const status = rehearsal?.status ?? "not found";
      return {
        ...item,
        ...(rehearsal ? { rehearsal } : {}),
        problem: `rehearsal ${incidentId} did not finish in time (still ${status}); raise --wait, or see npm run quell -- incident ${incidentId}`,
      };
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  const sent = rehearsal.timeline.filter(
    (entry) =>
      SENT_KINDS.has(entry.kind) ||
      (entry.kind === "action_applied" &&
        Array.isArray(entry.detail?.writes) &&
        entry.detail.writes.length > 0),
  );
  const deployed = original
    ? ((await source.incident(original.incidentId)) as ReplayIncident | undefined)
    : undefined;
  return {
    ...item,
    rehearsal,
    ...(deployed ? { original: deployed } : {}),
    ...(sent.length > 0
      ? { problem: `rehearsal ${incidentId} recorded ${sent.length} write(s) as sent: report this as a bug` }
      : {}),
  };
}
