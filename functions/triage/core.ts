import { z } from "zod";
import { CanonicalAlert } from "../shared/alert.js";
import { TransientError, ValidationError } from "../shared/errors.js";
import type { Clock, IdGenerator } from "../shared/ids.js";
import type { IncidentStore } from "../shared/store.js";
import { eventSourceByName, sourceByName } from "../sources/index.js";

export const AlertReceivedDetail = z.object({
  alertId: z.string().min(1).max(64),
  source: z.string().min(1).max(64),
  receivedAt: z.iso.datetime({ offset: true }),
  deliveryId: z.string().max(128).optional(),
  payload: z.unknown(),
});
export type AlertReceivedDetail = z.infer<typeof AlertReceivedDetail>;

/** Why an alert started nothing. Every such alert records one. */
export type NotStartedReason = "duplicate" | "out_of_scope" | "no_playbook" | "resolved";

export type TriageOutcome =
  | { outcome: "started"; incidentId: string; playbook: string }
  | { outcome: "not_started"; incidentId: string; reason: NotStartedReason };

export interface PlaybookStarter {
  /** Start the playbook's execution, named after the incident; starting twice must not run it twice. */
  start(
    playbook: string,
    executionName: string,
    input: { incidentId: string; alert: CanonicalAlert },
  ): Promise<void>;
}

export interface TriageDeps {
  readonly store: IncidentStore;
  readonly starter: PlaybookStarter;
  /** Which playbook answers an alert type. */
  readonly route: (alert: CanonicalAlert) => string | undefined;
  readonly clock: Clock;
  readonly newId: IdGenerator;
  readonly dedupWindowSeconds: number;
}

/** Every alert a delivery carries, in Quell's canonical form. */
export function normalize(detail: AlertReceivedDetail): CanonicalAlert[] {
  const adapter = sourceByName(detail.source) ?? eventSourceByName(detail.source);
  if (!adapter) throw new ValidationError(`unknown source ${detail.source}`);
  const payload = adapter.schema.parse(detail.payload);
  const receipt = {
    alertId: detail.alertId,
    receivedAt: detail.receivedAt,
    ...(detail.deliveryId ? { deliveryId: detail.deliveryId } : {}),
  };
  return adapter.normalize(payload, receipt).map((alert) => CanonicalAlert.parse(alert));
}

/**
 * Normalise, dedupe, open the incident, route and start its playbook. Safe to run again for the same event
 * (EventBridge delivers at least once): the dedup claim remembers which alert made it, every write below is
 * conditional or idempotent, and the execution name is the incident id.
 */
export async function triage(detail: AlertReceivedDetail, deps: TriageDeps): Promise<TriageOutcome[]> {
  const outcomes: TriageOutcome[] = [];
  for (const alert of normalize(detail)) outcomes.push(await triageAlert(alert, deps));
  return outcomes;
}

async function triageAlert(alert: CanonicalAlert, deps: TriageDeps): Promise<TriageOutcome> {
  const claim = await deps.store.claimDedupKey(
    alert.dedupKey,
    { incidentId: deps.newId("inc"), alertId: alert.id },
    deps.dedupWindowSeconds,
  );
  // Another alert holds the key: this one joins its incident. The same alert means a redelivery of the
  // event that made the claim, which finishes whatever that first attempt did not.
  if (claim.alertId !== alert.id) return joinExisting(claim.incidentId, alert, deps);
  return openIncident(claim.incidentId, alert, deps);
}

async function openIncident(
  incidentId: string,
  alert: CanonicalAlert,
  deps: TriageDeps,
): Promise<TriageOutcome> {
  const { store } = deps;
  const now = deps.clock().toISOString();
  const playbook = alert.status === "resolved" ? undefined : deps.route(alert);
  const created = await store.createIncident({
    id: incidentId,
    status: "open",
    type: alert.type,
    severity: alert.severity,
    title: alert.title,
    source: alert.source,
    dedupKey: alert.dedupKey,
    playbook: playbook ?? null,
    executionName: null,
    alertCount: 1,
    createdAt: now,
    updatedAt: now,
  });
  if (created) {
    await store.saveAlert(incidentId, alert);
    await store.appendTimeline(incidentId, {
      at: alert.receivedAt,
      kind: "received",
      summary: `alert ${alert.id} received from ${alert.source}`,
      detail: { alertId: alert.id, sourceIds: alert.sourceIds },
    });
    await store.appendTimeline(incidentId, {
      kind: "triaged",
      summary: `${alert.type}, severity ${alert.severity}`,
      detail: { type: alert.type, severity: alert.severity, dedupKey: alert.dedupKey, tags: alert.tags },
    });
  }
  const incident = created ? undefined : await store.getIncident(incidentId);
  if (!playbook) {
    const reason: NotStartedReason =
      alert.status === "resolved" ? "resolved" : alert.type === "other" ? "out_of_scope" : "no_playbook";
    if (created || incident?.status === "open") {
      await store.updateIncident(incidentId, { status: reason === "resolved" ? "resolved" : "no_playbook" });
      await store.appendTimeline(incidentId, {
        kind: "not_started",
        summary: `no playbook started: ${reason}`,
        detail: { reason },
      });
    }
    return { outcome: "not_started", incidentId, reason };
  }
  if (incident?.executionName) return { outcome: "started", incidentId, playbook };
  return startPlaybook(incidentId, playbook, alert, deps, {
    announce: created || incident?.status === "open",
  });
}

async function startPlaybook(
  incidentId: string,
  playbook: string,
  alert: CanonicalAlert,
  deps: TriageDeps,
  options: { announce: boolean },
): Promise<TriageOutcome> {
  // Status and timeline first: once started, the playbook writes its own steps and must not be overtaken.
  if (options.announce) {
    await deps.store.updateIncident(incidentId, { status: "running", playbook });
    await deps.store.appendTimeline(incidentId, {
      kind: "playbook_started",
      summary: `playbook ${playbook} started`,
      detail: { playbook, executionName: incidentId },
    });
  }
  await deps.starter.start(playbook, incidentId, { incidentId, alert });
  await deps.store.updateIncident(incidentId, { executionName: incidentId });
  return { outcome: "started", incidentId, playbook };
}

/** A redelivery or update of an alert that already has an incident: count it, never start a second run. */
async function joinExisting(
  incidentId: string,
  alert: CanonicalAlert,
  deps: TriageDeps,
): Promise<TriageOutcome> {
  const incident = await deps.store.getIncident(incidentId);
  if (!incident) {
    // The alert that claimed the key has not opened its incident yet: let the bus retry this one.
    throw new TransientError(`incident ${incidentId} for ${alert.dedupKey} is not written yet`);
  }
  await deps.store.saveAlert(incidentId, alert);
  await deps.store.countAlert(incidentId);
  await deps.store.appendTimeline(incidentId, {
    kind: "duplicate",
    summary: `alert ${alert.id} joined this incident (${alert.status}); nothing new started`,
    detail: { alertId: alert.id, status: alert.status, reason: "duplicate" },
  });
  return { outcome: "not_started", incidentId, reason: "duplicate" };
}
