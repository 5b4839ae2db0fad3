import { escapeMrkdwn } from "../shared/mrkdwn.js";
import { startRehearsal } from "../shared/rehearsal.js";
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
  // Triage's findings (risk, owners, route, subjects) carry over; the thread and the outcome do not.
  const incidentId = await startRehearsal(
    {
      playbook,
      alert: found.alert,
      findings: original,
      of: original.id,
      requestedBy: userId,
      quiet: false,
    },
    deps,
  );
  return `Dry run \`${incidentId}\` of \`${escapeMrkdwn(playbook)}\` started on alert \`${escapeMrkdwn(alertId, 64)}\`: every action plans its writes and sends none; approvals still ask. \`/quell status ${incidentId}\` follows it.`;
}
