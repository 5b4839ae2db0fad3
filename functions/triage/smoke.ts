import type { CanonicalAlert } from "../shared/alert.js";
import { UNLISTED_ASSET } from "../shared/incident.js";
import type { PlaybookInput } from "../shared/machine-starter.js";
import { SMOKE_EMITTER } from "../sources/smoke-emitter.js";
import type { TriageDeps, TriageOutcome } from "./core.js";

/**
 * The smoke test (`npm run quell -- smoke`): one signed generic alert that runs the deployed path (ingest, bus,
 * triage, a playbook, its approval card) as a rehearsal, so it never sends a write, whatever the deployment's
 * dry run.
 *
 * What marks it, and why that cannot stop a real incident: its emitter (the generic `source` field) is
 * SMOKE_EMITTER, a value the generic schema reserves and no other emitter may send (theirs are
 * `custom:<name>`), and which the signature covers like the rest of the body. No other source produces a generic
 * alert. A smoke alert also never touches what real alerts share: no dedup claim, no entity claim, no alert kept
 * for correlation; so it can neither join a real incident nor take in a real alert, and real alerts triage
 * exactly as if it had never come.
 */
export { SMOKE_EMITTER };

/**
 * The playbook a smoke test rehearses: its generic alert names no gateway principal, so the run goes straight to
 * a review-by-hand approval card whose Approve only records the review (no action step behind it).
 */
export const SMOKE_PLAYBOOK = "throttle-abuser";

/** Who asked for a smoke run, as its rehearsal records it (no Slack user: a command line did). */
const SMOKE_REQUESTER = "quell smoke test";

export const isSmokeTest = (alert: CanonicalAlert): boolean =>
  alert.source === "generic" && alert.details.emitter === SMOKE_EMITTER;

/**
 * The incident a smoke alert opens, named after the alert so the smoke command finds it without a list (and a
 * redelivery finds the same one). Undefined for an id that is not one of ingest's alert ids.
 */
export const smokeIncidentId = (alertId: string): string | undefined => {
  const match = /^alr_([a-z0-9]{10,40})$/.exec(alertId);
  return match ? `inc_${match[1]}` : undefined;
};

/** Open the smoke alert's own incident and start its rehearsal; a redelivery finishes what is left undone. */
export async function triageSmokeTest(alert: CanonicalAlert, deps: TriageDeps): Promise<TriageOutcome> {
  const incidentId = smokeIncidentId(alert.id);
  if (!incidentId) return { outcome: "not_started", reason: "out_of_scope" };
  const { store } = deps;
  const now = deps.clock().toISOString();
  const created = await store.createIncident(
    {
      id: incidentId,
      status: "open",
      type: alert.type,
      severity: alert.severity,
      title: `Smoke test: ${alert.title}`.slice(0, 300),
      source: alert.source,
      dedupKey: `quell-smoke:${alert.id}`,
      playbook: SMOKE_PLAYBOOK,
      executionName: null,
      alertCount: 1,
      createdAt: now,
      updatedAt: now,
      rehearsal: { of: incidentId, alertId: alert.id, requestedBy: SMOKE_REQUESTER },
    },
    alert,
  );
  if (created) {
    await store.appendTimeline(incidentId, {
      at: alert.receivedAt,
      kind: "received",
      summary: `alert ${alert.id} received from ${alert.source} (smoke test)`,
      detail: { alertId: alert.id, sourceIds: alert.sourceIds },
    });
    await store.appendTimeline(incidentId, {
      kind: "triaged",
      summary: `smoke test: a rehearsal of ${SMOKE_PLAYBOOK}; every action plans its writes and sends none`,
      detail: { type: alert.type, severity: alert.severity, smokeTest: true },
    });
  }
  const incident = created ? undefined : await store.getIncident(incidentId);
  if (incident?.executionName) return { outcome: "started", incidentId, playbook: SMOKE_PLAYBOOK };
  if (incident && incident.status !== "open" && incident.status !== "running") {
    return { outcome: "not_started", incidentId, reason: "rate_limited" };
  }
  // Smoke runs share one start budget of their own: a flood of them cannot use up a real playbook's.
  const { startsPerPlaybook, windowSeconds } = deps.config.rateLimit;
  if (!(await deps.triageStore.takePlaybookStart(SMOKE_EMITTER, startsPerPlaybook, windowSeconds))) {
    await store.updateIncident(incidentId, { status: "rate_limited" });
    await store.appendTimeline(incidentId, {
      kind: "not_started",
      summary: "no playbook started: rate_limited",
      detail: { reason: "rate_limited", limit: `${startsPerPlaybook} smoke runs per ${windowSeconds} s` },
    });
    return { outcome: "not_started", incidentId, reason: "rate_limited" };
  }
  await store.updateIncident(incidentId, { status: "running" });
  await store.appendTimeline(incidentId, {
    kind: "playbook_started",
    summary: `playbook ${SMOKE_PLAYBOOK} started as a smoke test (dry run)`,
    detail: { playbook: SMOKE_PLAYBOOK, executionName: incidentId, dryRun: true, smokeTest: true },
  });
  const input: PlaybookInput = { incidentId, alert, dryRun: true, asset: UNLISTED_ASSET };
  await deps.starter.start(SMOKE_PLAYBOOK, incidentId, input);
  await store.updateIncident(incidentId, { executionName: incidentId });
  return { outcome: "started", incidentId, playbook: SMOKE_PLAYBOOK };
}
