import { FINAL_STATUSES, type Incident } from "../shared/incident.js";
import { escapeMrkdwn } from "../shared/mrkdwn.js";
import type { IncidentStore } from "../shared/store.js";
import { SLACK_USER_ID } from "./ids.js";

export const HELP = [
  "*/quell* commands:",
  "• `list`: open incidents",
  "• `status <incident>`: where an incident stands, with its latest steps",
  "• `ack <incident>`: say you are on it (recorded)",
  "• `resolve <incident> <reason>`: close it as resolved (not while an approval is pending)",
  "• `help`: this text",
].join("\n");

export interface CommandDeps {
  readonly store: IncidentStore;
  /** Who may change an incident from Slack (the configured approvers). */
  readonly isResponder: (userId: string) => Promise<boolean>;
}

const INCIDENT_ID = /^inc_[a-z0-9]{10,40}$/;
const isOpen = (incident: Incident) =>
  !FINAL_STATUSES.includes(incident.status) && incident.status !== "no_playbook";
const line = (incident: Incident) =>
  `\`${incident.id}\` *${escapeMrkdwn(incident.status)}* ${escapeMrkdwn(incident.severity)} · ${escapeMrkdwn(incident.title, 200)}`;

/** Answer `/quell <text>` for one user. Every answer is mrkdwn with incident text escaped. */
export async function runCommand(text: string, userId: string, deps: CommandDeps): Promise<string> {
  const [verb = "help", target, ...rest] = text.trim().split(/\s+/).filter(Boolean);
  switch (verb.toLowerCase()) {
    case "list": {
      const open = (await deps.store.listIncidents(200)).filter(isOpen).slice(0, 20);
      return open.length === 0 ? "No open incidents." : `*Open incidents*\n${open.map(line).join("\n")}`;
    }
    case "status": {
      const detail =
        target && INCIDENT_ID.test(target) ? await deps.store.getIncidentDetail(target) : undefined;
      if (!detail) return `No incident ${escapeMrkdwn(target ?? "(missing id)", 60)}. Try \`/quell list\`.`;
      const recent = detail.timeline
        .slice(-5)
        .map((event) => `• ${escapeMrkdwn(event.at)} ${escapeMrkdwn(event.summary, 200)}`);
      return `${line(detail)}\nplaybook \`${escapeMrkdwn(detail.playbook)}\`, ${detail.alertCount} alert(s)\n${recent.join("\n")}`;
    }
    case "ack":
    case "resolve":
      return changeIncident(verb.toLowerCase() as "ack" | "resolve", target, rest.join(" "), userId, deps);
    default:
      return HELP;
  }
}

async function changeIncident(
  verb: "ack" | "resolve",
  target: string | undefined,
  reason: string,
  userId: string,
  deps: CommandDeps,
): Promise<string> {
  if (!SLACK_USER_ID.test(userId) || !(await deps.isResponder(userId))) {
    return "You are not authorised to change incidents (you are not a configured approver).";
  }
  const detail = target && INCIDENT_ID.test(target) ? await deps.store.getIncidentDetail(target) : undefined;
  if (!detail) return `No incident ${escapeMrkdwn(target ?? "(missing id)", 60)}. Try \`/quell list\`.`;
  if (!isOpen(detail)) return `\`${detail.id}\` is already ${escapeMrkdwn(detail.status)}; nothing changed.`;
  if (verb === "ack") {
    await deps.store.appendTimeline(detail.id, {
      kind: "acknowledged",
      summary: `acknowledged by ${userId}`,
      actor: userId,
    });
    return `Acknowledged \`${detail.id}\`; it is on the record that you are on it.`;
  }
  if (reason.trim().length < 3) return "Give a reason: `/quell resolve <incident> <reason>`.";
  if (detail.approvals.some((approval) => approval.status === "pending")) {
    return `\`${detail.id}\` has a pending approval: decide it (or let it expire) before resolving.`;
  }
  const summary = `resolved by ${userId}: ${reason.trim().slice(0, 280)}`;
  await deps.store.appendTimeline(detail.id, {
    kind: "closed",
    summary,
    actor: userId,
    detail: { outcome: "resolved" },
  });
  await deps.store.updateIncident(detail.id, { status: "resolved", outcome: summary });
  return `Resolved \`${detail.id}\`.`;
}
