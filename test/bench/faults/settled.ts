/** When an incident is done with: a recorded outcome, or an approval still waiting with a live timer. */
import type { IncidentView } from "./quell-api.js";

/**
 * Statuses in which nothing more happens by itself: outcomes (mitigated, resolved, denied, expired, failed), the
 * triage decisions that start nothing (no_playbook, suppressed, rate_limited), and `interrupted` (an execution
 * lost to a crash, recorded and offered for a rerun).
 */
export const TERMINAL_STATUSES: ReadonlySet<string> = new Set([
  "mitigated",
  "resolved",
  "denied",
  "expired",
  "failed",
  "no_playbook",
  "suppressed",
  "rate_limited",
  "interrupted",
]);

export type Settlement = "terminal" | "pending" | "unsettled";

/** Terminal; or awaiting approval with an approval pending whose timeout is still ahead; else unsettled. */
export function settlementOf(incident: IncidentView, now = Date.now()): Settlement {
  if (TERMINAL_STATUSES.has(incident.status)) return "terminal";
  if (incident.status !== "awaiting_approval") return "unsettled";
  const live = incident.approvals.some(
    (approval) =>
      approval.status === "pending" &&
      approval.timeoutAt !== undefined &&
      Date.parse(approval.timeoutAt) > now,
  );
  return live ? "pending" : "unsettled";
}
