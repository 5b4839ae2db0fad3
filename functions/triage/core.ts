import { z } from "zod";
import { CanonicalAlert } from "../shared/alert.js";
import { ValidationError } from "../shared/errors.js";
import type { Clock, IdGenerator } from "../shared/ids.js";
import type { Incident } from "../shared/incident.js";
import type { IncidentStore } from "../shared/store.js";
import { sourceByName } from "../sources/index.js";

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

export function normalize(detail: AlertReceivedDetail): CanonicalAlert {
  const adapter = sourceByName(detail.source);
  if (!adapter) throw new ValidationError(`unknown source ${detail.source}`);
  const payload = adapter.schema.parse(detail.payload);
  return CanonicalAlert.parse(
    adapter.normalize(payload, {
      alertId: detail.alertId,
      receivedAt: detail.receivedAt,
      ...(detail.deliveryId ? { deliveryId: detail.deliveryId } : {}),
    }),
  );
}

/**
 * Normalise, dedupe, open the incident, route and start its playbook. Safe to run twice for the same
 * event (EventBridge delivers at least once): the dedup claim and the execution name make it idempotent.
 */
export async function triage(detail: AlertReceivedDetail, deps: TriageDeps): Promise<TriageOutcome> {
  const { store } = deps;
  const alert = normalize(detail);
  const candidateId = deps.newId("inc");
  const incidentId = await store.claimDedupKey(alert.dedupKey, candidateId, deps.dedupWindowSeconds);

  if (incidentId !== candidateId) return joinExisting(incidentId, alert, deps);

  const now = deps.clock().toISOString();
  const playbook = alert.status === "resolved" ? undefined : deps.route(alert);
  const incident: Incident = {
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
  };
  await store.createIncident(incident);
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

  if (!playbook) {
    const reason: NotStartedReason =
      alert.status === "resolved" ? "resolved" : alert.type === "other" ? "out_of_scope" : "no_playbook";
    await store.updateIncident(incidentId, { status: reason === "resolved" ? "resolved" : "no_playbook" });
    await store.appendTimeline(incidentId, {
      kind: "not_started",
      summary: `no playbook started: ${reason}`,
      detail: { reason },
    });
    return { outcome: "not_started", incidentId, reason };
  }
  return startPlaybook(incidentId, playbook, alert, deps);
}

async function startPlaybook(
  incidentId: string,
  playbook: string,
  alert: CanonicalAlert,
  deps: TriageDeps,
): Promise<TriageOutcome> {
  // Status and timeline first: once started, the playbook writes its own steps and must not be overtaken.
  await deps.store.updateIncident(incidentId, { status: "running", playbook });
  await deps.store.appendTimeline(incidentId, {
    kind: "playbook_started",
    summary: `playbook ${playbook} started`,
    detail: { playbook, executionName: incidentId },
  });
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
    // The first delivery claimed the key but has not created the incident yet: let the bus retry.
    throw new Error(`incident ${incidentId} for ${alert.dedupKey} is not written yet`);
  }
  await deps.store.saveAlert(incidentId, alert);
  await deps.store.countAlert(incidentId);
  await deps.store.appendTimeline(incidentId, {
    kind: "duplicate",
    summary: `alert ${alert.id} joined this incident (${alert.status}); nothing new started`,
    detail: { alertId: alert.id, status: alert.status, reason: "duplicate" },
  });
  // A first delivery that stopped between opening the incident and starting its playbook is finished here.
  if (
    (incident.status === "open" || incident.status === "running") &&
    incident.playbook &&
    !incident.executionName
  ) {
    return startPlaybook(incidentId, incident.playbook, alert, deps);
  }
  return { outcome: "not_started", incidentId, reason: "duplicate" };
}
