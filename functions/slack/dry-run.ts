import { UNLISTED_ASSET } from "../shared/incident.js";
import type { PlaybookInput } from "../shared/machine-starter.js";
import { escapeMrkdwn } from "../shared/mrkdwn.js";
import type { CommandDeps } from "./commands.js";

/**
 * Rehearse a playbook on a stored alert (`/quell dry-run <playbook> <alert-id>`): a new incident, marked as a
 * rehearsal of the alert's, runs the real state machine with `dryRun` set, so every action plans its writes
 * and sends none while approvals ask as they would. The alert's own incident is left untouched.
 */
export async function startDryRun(
  playbook: string | undefined,
  alertId: string | undefined,
  userId: string,
  deps: CommandDeps,
): Promise<string> {
  const usage = "Usage: `/quell dry-run <playbook> <alert-id>`.";
  if (!playbook || !alertId)
    return `${usage} Playbooks: ${deps.playbooks.map((name) => `\`${name}\``).join(", ")}.`;
  if (!deps.playbooks.includes(playbook)) {
    return `No playbook ${escapeMrkdwn(playbook, 64)}. Playbooks: ${deps.playbooks.map((name) => `\`${name}\``).join(", ")}.`;
  }
  if (alertId.length > 64) return `No alert ${escapeMrkdwn(alertId, 64)}.`;
  const found = await deps.store.findAlert(alertId);
  const original = found ? await deps.store.getIncident(found.incidentId) : undefined;
  if (!found || !original)
    return `No alert ${escapeMrkdwn(alertId, 64)}. \`/quell status <incident>\` lists an incident's alerts.`;
  const now = deps.clock().toISOString();
  const incidentId = deps.newId("inc");
  // Triage's findings (risk, owners, route, subjects) carry over; the thread and the outcome do not.
  const { slackThread: _thread, outcome: _outcome, ...triaged } = original;
  await deps.store.createIncident({
    ...triaged,
    id: incidentId,
    status: "running",
    title: `Dry run of ${playbook}: ${original.title}`.slice(0, 300),
    dedupKey: `dry-run:${incidentId}`,
    playbook,
    executionName: incidentId,
    alertCount: 1,
    createdAt: now,
    updatedAt: now,
    rehearsal: { of: original.id, alertId, requestedBy: userId },
  });
  await deps.store.saveAlert(incidentId, found.alert);
  await deps.store.appendTimeline(incidentId, {
    kind: "playbook_started",
    summary: `dry run of ${playbook} on alert ${alertId} (incident ${original.id}) requested by ${userId}`,
    actor: userId,
    detail: { playbook, executionName: incidentId, dryRun: true, rehearsalOf: original.id },
  });
  const input: PlaybookInput = {
    incidentId,
    alert: found.alert,
    dryRun: true,
    asset: { ...UNLISTED_ASSET, ...original.subjectAsset },
  };
  await deps.machines.start(playbook, incidentId, input);
  return `Dry run \`${incidentId}\` of \`${escapeMrkdwn(playbook)}\` started on alert \`${escapeMrkdwn(alertId, 64)}\`: every action plans its writes and sends none; approvals still ask. \`/quell status ${incidentId}\` follows it.`;
}
