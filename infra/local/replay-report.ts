import type { IncidentDetail, RehearsalAnswer, RouteView } from "./client.js";
import { printable } from "./stats.js";

/** An incident as GET /incidents/{id} returns it, with what replay reads besides the timeline. */
export interface ReplayIncident extends IncidentDetail {
  route?: RouteView;
  alerts?: { id: string; type: string; source: string; title: string; receivedAt: string }[];
  rehearsal?: { of: string; alertId: string; requestedBy: string; quiet?: boolean };
}

/** What a run did, read from its timeline: steps, writes, approvals asked (or that it would ask), outcome. */
export interface RunFacts {
  /** Comparable across a deployed run and its rehearsal (no applied/planned, no times, no ids). */
  readonly facts: readonly string[];
  readonly steps: readonly string[];
  readonly writes: readonly string[];
  readonly approvals: readonly string[];
  readonly outcome: string | null;
}

type WriteView = { kind?: string; method?: string; url?: string; body?: unknown } & {
  service?: string;
  operation?: string;
  input?: unknown;
};

const clip = (text: string, max = 300) => {
  const clean = printable(text);
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
};

/** A write as one line: `DELETE https://…/key_1`, `PATCH https://… {"state":"resolved"}`, `iam UpdateAccessKey {…}`. */
export function writeLine(write: WriteView): string {
  if (write.kind === "aws") {
    return clip(`${write.service} ${write.operation} ${JSON.stringify(write.input ?? {})}`);
  }
  const body = write.body === undefined ? "" : ` ${JSON.stringify(write.body)}`;
  return clip(`${write.method} ${write.url}${body}`);
}

const text = (value: unknown) => clip(typeof value === "string" ? value : JSON.stringify(value ?? null), 120);

/** The run's steps, writes, approvals and outcome, in timeline order. */
export function runFacts(incident: Pick<ReplayIncident, "timeline">): RunFacts {
  const facts: string[] = [];
  const steps: string[] = [];
  const writes: string[] = [];
  const approvals: string[] = [];
  let outcome: string | null = null;
  for (const entry of incident.timeline) {
    const detail = entry.detail ?? {};
    const step = text(detail.step);
    switch (entry.kind) {
      case "action_planned":
      case "action_applied": {
        const action = text(detail.action);
        const planned = (Array.isArray(detail.writes) ? detail.writes : []) as WriteView[];
        const mode = entry.kind === "action_planned" ? "planned" : "applied";
        steps.push(
          `${step}  ${action}: ${planned.length === 0 ? "nothing to write" : `${planned.length} write(s) ${mode}`}`,
        );
        facts.push(`step ${step} ${action}`);
        for (const write of planned) {
          writes.push(`${step}  ${action}  ${writeLine(write)}`);
          facts.push(`write ${step} ${action} ${writeLine(write)}`);
        }
        break;
      }
      case "action_failed": {
        const error = text((detail.error as { Error?: unknown } | undefined)?.Error ?? "error");
        steps.push(`${step}  ${text(detail.action)}: failed (${error})`);
        facts.push(`step ${step} ${text(detail.action)} failed ${error}`);
        break;
      }
      case "approval_requested":
      case "approval_would_ask": {
        const policy = text(detail.policy);
        const asked = entry.kind === "approval_would_ask" ? "would ask" : "asked";
        const approvers = Array.isArray(detail.approvers) ? ` ${detail.approvers.map(text).join(", ")}` : "";
        steps.push(`${step}  approval (${policy}): ${asked}`);
        const what = clip(typeof detail.title === "string" ? detail.title : entry.summary, 200);
        const who = `${policy === "two" ? "two of" : "one of"}${approvers || " the approvers"}`;
        approvals.push(`${step}: ${asked} ${who} in ${text(detail.channel)}: ${what}`);
        facts.push(`approval ${step} ${policy}`);
        break;
      }
      case "approval_decided":
        if (detail.policy === "auto") {
          steps.push(`${step}  approval (auto): approved by policy`);
          facts.push(`approval ${step} auto`);
        }
        break;
      case "closed":
        outcome = text(detail.outcome);
        facts.push(`outcome ${outcome}`);
        break;
    }
  }
  return { facts, steps, writes, approvals, outcome };
}

/** `- ` for what the deployed run did and the rehearsal does not, `+ ` for the reverse; empty when the same. */
export function diffFacts(then: readonly string[], now: readonly string[]): string[] {
  const left = [...now];
  const removed: string[] = [];
  for (const fact of then) {
    const at = left.indexOf(fact);
    if (at === -1) removed.push(`- ${fact}`);
    else left.splice(at, 1);
  }
  return [...removed, ...left.map((fact) => `+ ${fact}`)];
}

const routeText = (route: RouteView | undefined | null) => {
  if (!route) return "not recorded";
  const where = route.playbook ?? `no playbook${route.reason ? ` (${route.reason})` : ""}`;
  return `${clip(where, 64)} (rule ${clip(route.rule, 64)})${route.shadow ? ", shadow mode" : ""}`;
};

/** One replayed alert: the route now and then, what the rehearsal ran, planned and would ask, and the diff. */
export interface ReplayedAlert {
  readonly alert: { id: string; type: string; source: string; title: string };
  readonly answer: RehearsalAnswer;
  /** The rehearsal as it ended (or as far as it got). */
  readonly rehearsal?: ReplayIncident;
  /** The alert's own incident, what the deployed version did. */
  readonly original?: ReplayIncident;
  /** Why the rehearsal has no result: it did not finish in time, say. */
  readonly problem?: string;
}

/** The report of one alert, for a terminal: alert text is hostile, so control characters are removed. */
export function formatReplayedAlert(replayed: ReplayedAlert, playbook: string): string {
  const { alert, answer, rehearsal, original } = replayed;
  const lines = [
    `alert ${clip(alert.id, 64)}  ${clip(alert.type, 40)} from ${clip(alert.source, 40)}: ${clip(alert.title, 120)}`,
  ];
  const then = answer.original;
  lines.push(`  route now:  ${routeText(answer.route)}`);
  lines.push(
    then
      ? `  route then: ${routeText(then.route)}; incident ${then.incidentId} ran ${then.playbook ?? "no playbook"} (${then.status})`
      : "  route then: not stored (an exported alert with no incident here)",
  );
  if (!answer.started) {
    lines.push(`  skipped: neither its incident nor triage now sends it to ${playbook}`);
    return lines.join("\n");
  }
  lines.push(
    `  rehearsal ${answer.incidentId}: ${rehearsal?.status ?? "not read"}${replayed.problem ? ` (${replayed.problem})` : ""}`,
  );
  if (!rehearsal) return lines.join("\n");
  const now = runFacts(rehearsal);
  const section = (title: string, items: readonly string[], none: string) =>
    lines.push(`  ${title}:${items.length === 0 ? ` ${none}` : ""}`, ...items.map((item) => `    ${item}`));
  section("steps", now.steps, "none");
  section("writes planned (none sent)", now.writes, "none");
  section("approvals it would ask", now.approvals, "none");
  if (!original) {
    lines.push("  diff: nothing to compare (no deployed run of this alert here)");
    return lines.join("\n");
  }
  const diff = diffFacts(runFacts(original).facts, now.facts);
  lines.push(
    `  diff against ${original.id} (${original.status}): ${diff.length === 0 ? "same" : ""}`.trimEnd(),
    ...diff.map((line) => `    ${line}`),
  );
  return lines.join("\n");
}
