import type { Clock, IdGenerator } from "../shared/ids.js";
import { FINAL_STATUSES, type Incident } from "../shared/incident.js";
import type { MachineStarter } from "../shared/machine-starter.js";
import { escapeMrkdwn } from "../shared/mrkdwn.js";
import type { QuellEventPublisher } from "../shared/quell-events.js";
import type { IncidentStore } from "../shared/store.js";
import { startDryRun } from "./dry-run.js";
import { SLACK_USER_ID } from "./ids.js";
import { rerunIncident } from "./rerun.js";
import { statsCommand } from "./stats.js";
import { requestUndo } from "./undo.js";

export const HELP = [
  "*/quell* commands:",
  "• `list`: open incidents",
  "• `status <incident>`: where an incident stands, with its latest steps",
  "• `ack <incident>`: say you are on it (recorded)",
  "• `stats [days]`: times to acknowledge, contain and resolve over the last days (default 7)",
  "• `resolve <incident> <reason>`: close it as resolved (not while an approval is pending)",
  "• `rerun <incident>`: start an interrupted incident's playbook again (its approvals ask again)",
  "• `pause [reason]`: stop every action from writing until `resume` (approvals are still asked; steps wait)",
  "• `resume`: let paused steps go on",
  "• `dry-run <playbook> <alert-id>`: rehearse a playbook on a stored alert; actions plan and send nothing",
  "• `undo <action-run>`: restore what an applied action changed (run ids are in the incident's thread)",
  "• `help`: this text",
].join("\n");

export interface CommandDeps {
  readonly store: IncidentStore;
  /** Who may change an incident from Slack (the configured approvers). */
  readonly isResponder: (userId: string) => Promise<boolean>;
  /** Starts playbooks (a dry run) and the undo machine. */
  readonly machines: MachineStarter;
  /** The playbooks a dry run may name. */
  readonly playbooks: readonly string[];
  readonly events: QuellEventPublisher;
  readonly clock: Clock;
  readonly newId: IdGenerator;
}

const NOT_A_RESPONDER = "You are not authorised to change incidents (you are not a configured approver).";
const isAuthorised = async (userId: string, deps: CommandDeps) =>
  SLACK_USER_ID.test(userId) && (await deps.isResponder(userId));

const INCIDENT_ID = /^inc_[a-z0-9]{10,40}$/;
const isOpen = (incident: Incident) =>
  !FINAL_STATUSES.includes(incident.status) && incident.status !== "no_playbook";
const line = (incident: Incident) =>
  `\`${incident.id}\`${incident.rehearsal ? " (dry run)" : incident.shadow ? " (shadow)" : ""} *${escapeMrkdwn(incident.status)}* ${escapeMrkdwn(incident.severity)} · ${escapeMrkdwn(incident.title, 200)}`;

/** Answer `/quell <text>` for one user. Every answer is mrkdwn with incident text escaped. */
export async function runCommand(text: string, userId: string, deps: CommandDeps): Promise<string> {
  const [verb = "help", target, ...rest] = text.trim().split(/\s+/).filter(Boolean);
  switch (verb.toLowerCase()) {
    case "list": {
      const open = (await deps.store.listIncidents({ limit: 200 })).items.filter(isOpen).slice(0, 20);
      return open.length === 0 ? "No open incidents." : `*Open incidents*\n${open.map(line).join("\n")}`;
    }
    case "status": {
      const detail =
        target && INCIDENT_ID.test(target) ? await deps.store.getIncidentDetail(target) : undefined;
      if (!detail) return `No incident ${escapeMrkdwn(target ?? "(missing id)", 60)}. Try \`/quell list\`.`;
      const recent = detail.timeline
        .slice(-5)
        .map((event) => `• ${escapeMrkdwn(event.at)} ${escapeMrkdwn(event.summary, 200)}`);
      const alerts = detail.alerts.slice(-3).map((alert) => `\`${escapeMrkdwn(alert.id, 64)}\``);
      const runs = detail.actionRuns.map(
        (run) => `\`${escapeMrkdwn(run.runId)}\` ${escapeMrkdwn(run.action)} ${escapeMrkdwn(run.status)}`,
      );
      return [
        line(detail),
        `playbook \`${escapeMrkdwn(detail.playbook)}\`, ${detail.alertCount} alert(s), latest: ${alerts.join(", ") || "none"}`,
        ...(runs.length > 0 ? [`action runs: ${runs.join("; ")}`] : []),
        ...recent,
      ].join("\n");
    }
    case "stats":
      // A read, like list and status: anyone who may use /quell.
      return statsCommand(target, deps);
    case "ack":
    case "resolve":
      return changeIncident(verb.toLowerCase() as "ack" | "resolve", target, rest.join(" "), userId, deps);
    case "undo":
      return requestUndo(target ?? "", userId, deps);
    case "rerun":
      if (!(await isAuthorised(userId, deps))) return NOT_A_RESPONDER;
      if (!target || !INCIDENT_ID.test(target))
        return "Usage: `/quell rerun <incident>` (ids are in `/quell list`).";
      return rerunIncident(target, userId, deps);
    case "pause":
    case "resume":
      if (!(await isAuthorised(userId, deps))) return NOT_A_RESPONDER;
      return setPause(verb.toLowerCase() === "pause", userId, [target, ...rest].join(" "), deps);
    case "dry-run":
      if (!(await isAuthorised(userId, deps))) return NOT_A_RESPONDER;
      return startDryRun(target, rest[0], userId, deps);
    default:
      return HELP;
  }
}

/** The kill switch: who paused or resumed, and why, is kept with it and said to whoever asks again. */
async function setPause(paused: boolean, userId: string, reason: string, deps: CommandDeps): Promise<string> {
  const why = reason.trim().slice(0, 280) || null;
  const before = await deps.store.pause.set(paused, userId, why);
  if (before.paused === paused) {
    const since = before.by
      ? ` (since ${escapeMrkdwn(before.at ?? "?")}, by <@${escapeMrkdwn(before.by, 30)}>)`
      : "";
    return paused
      ? `Quell was already paused${since}; still paused.`
      : "Quell was not paused; nothing changed.";
  }
  return paused
    ? ":double_vertical_bar: Quell is paused: no action writes anything until `/quell resume`. Approvals are still asked; steps that would write wait and are recorded as paused."
    : ":arrow_forward: Quell is resumed: paused steps go on at their next check (within 5 minutes).";
}

async function changeIncident(
  verb: "ack" | "resolve",
  target: string | undefined,
  reason: string,
  userId: string,
  deps: CommandDeps,
): Promise<string> {
  if (!(await isAuthorised(userId, deps))) return NOT_A_RESPONDER;
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
