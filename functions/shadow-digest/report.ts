import type { WriteDescription } from "../actions/contract.js";
import { writeLabel } from "../actions/journal.js";
import type { Incident, TimelineEvent } from "../shared/incident.js";

/**
 * What shadow playbooks would have done, per playbook and per incident, composed from the incidents' timelines
 * alone (the same entries GET /incidents/{id} shows): the steps and the writes each planned, and whom each approval
 * would have asked. The daily digest (digest-message.ts) and `npm run quell -- shadow-report` render it.
 */

/** What a report reads of an incident: the stored incident (or its JSON) with its timeline. */
export type ShadowIncidentInput = Pick<
  Incident,
  "id" | "title" | "type" | "severity" | "source" | "status" | "createdAt" | "playbook" | "outcome" | "shadow"
> & { readonly timeline: readonly Pick<TimelineEvent, "kind" | "summary" | "detail">[] };

export interface ShadowStep {
  readonly step: string;
  readonly action: string;
  /** `planned`: it would have written (nothing sent); `read`: it only read; `failed`: it failed, as it would have. */
  readonly result: "planned" | "read" | "failed";
  /** The writes it planned, in a few words each (`DELETE https://…`, `iam UpdateAccessKey`). */
  readonly writes: readonly string[];
}

export interface WouldAsk {
  readonly step: string;
  readonly title: string;
  /** Who would have been asked: Slack user or group ids; `policy auto` when no one would have been. */
  readonly approvers: readonly string[];
  readonly channel: string | null;
  readonly policy: string;
  readonly fourEyes: boolean;
}

export interface ShadowIncidentReport {
  readonly id: string;
  readonly title: string;
  readonly type: string;
  readonly severity: string;
  readonly source: string;
  readonly status: string;
  readonly createdAt: string;
  /** How the playbook would have ended, when it has ended. */
  readonly outcome: string | null;
  readonly steps: readonly ShadowStep[];
  readonly wouldAsk: readonly WouldAsk[];
}

export interface ShadowPlaybookReport {
  readonly playbook: string;
  readonly incidents: readonly ShadowIncidentReport[];
  readonly plannedWrites: number;
  readonly wouldAsk: number;
}

export interface ShadowReport {
  readonly since: string;
  readonly until: string;
  readonly incidents: number;
  /** Most incidents first, then by name. */
  readonly playbooks: readonly ShadowPlaybookReport[];
}

const text = (value: unknown): string => (typeof value === "string" ? value : "");
const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
const STEP_RESULTS: Readonly<Record<string, ShadowStep["result"]>> = {
  action_planned: "planned",
  action_applied: "read",
  action_failed: "failed",
};

/** Each action step of the run, in timeline order, with the writes it planned. */
function stepsOf(timeline: ShadowIncidentInput["timeline"]): ShadowStep[] {
  return timeline.flatMap((event) => {
    const result = STEP_RESULTS[event.kind];
    if (!result) return [];
    const detail = event.detail ?? {};
    const writes = Array.isArray(detail.writes) ? (detail.writes as WriteDescription[]).map(writeLabel) : [];
    return [{ step: text(detail.step), action: text(detail.action), result, writes }];
  });
}

/** Each approval the run reached: whom it would have asked, or that policy would have approved it. */
function wouldAskOf(timeline: ShadowIncidentInput["timeline"]): WouldAsk[] {
  return timeline.flatMap((event): WouldAsk[] => {
    const detail = event.detail ?? {};
    if (event.kind === "approval_would_ask") {
      return [
        {
          step: text(detail.step),
          title: text(detail.title),
          approvers: strings(detail.approvers),
          channel: text(detail.channel) || null,
          policy: text(detail.policy),
          fourEyes: detail.fourEyes === true,
        },
      ];
    }
    if (event.kind === "approval_decided" && detail.policy === "auto") {
      const title = event.summary.replace(/^.*?: /, "").replace(/; shadow: no card posted$/, "");
      return [
        { step: text(detail.step), title, approvers: [], channel: null, policy: "auto", fourEyes: false },
      ];
    }
    return [];
  });
}

export function shadowIncidentReport(incident: ShadowIncidentInput): ShadowIncidentReport {
  return {
    id: incident.id,
    title: incident.title,
    type: incident.type,
    severity: incident.severity,
    source: incident.source,
    status: incident.status,
    createdAt: incident.createdAt,
    outcome: incident.outcome ?? null,
    steps: stepsOf(incident.timeline),
    wouldAsk: wouldAskOf(incident.timeline),
  };
}

/** The report over the shadow incidents opened from `since` to `until`, grouped by playbook. */
export function shadowReport(
  incidents: readonly ShadowIncidentInput[],
  since: Date,
  until: Date,
): ShadowReport {
  const opened = (incident: ShadowIncidentInput) => {
    const at = Date.parse(incident.createdAt);
    return at >= since.getTime() && at <= until.getTime();
  };
  const byPlaybook = new Map<string, ShadowIncidentReport[]>();
  for (const incident of incidents) {
    if (!incident.shadow || !incident.playbook || !opened(incident)) continue;
    const reports = byPlaybook.get(incident.playbook) ?? [];
    reports.push(shadowIncidentReport(incident));
    byPlaybook.set(incident.playbook, reports);
  }
  const playbooks = [...byPlaybook]
    .map(([playbook, reports]) => ({
      playbook,
      incidents: reports.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id)),
      plannedWrites: reports.reduce(
        (sum, report) => sum + report.steps.reduce((writes, step) => writes + step.writes.length, 0),
        0,
      ),
      wouldAsk: reports.reduce((sum, report) => sum + report.wouldAsk.length, 0),
    }))
    .sort((a, b) => b.incidents.length - a.incidents.length || a.playbook.localeCompare(b.playbook));
  return {
    since: since.toISOString(),
    until: until.toISOString(),
    incidents: playbooks.reduce((sum, playbook) => sum + playbook.incidents.length, 0),
    playbooks,
  };
}

/** Who an approval would have asked, in words: `two of U1, U2 in C0… (four eyes)`, `policy auto (nobody)`. */
export function wouldAskWords(ask: WouldAsk): string {
  if (ask.policy === "auto") return "approved by policy auto (nobody would be asked)";
  const who = `${ask.fourEyes ? "two of" : "one of"} ${ask.approvers.join(", ") || "(no approvers listed)"}`;
  return `${who}${ask.channel ? ` in ${ask.channel}` : ""}${ask.fourEyes ? " (four eyes)" : ""}`;
}
