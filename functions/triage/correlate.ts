import type { CanonicalAlert, Entity } from "../shared/alert.js";
import { TransientError } from "../shared/errors.js";
import { FINAL_STATUSES, type Incident } from "../shared/incident.js";
import type { TriageDeps } from "./core.js";

/**
 * How long a claim may point at an incident that is not written yet before it counts as abandoned (its alert
 * failed for good after claiming). Until then, an alert that meets it waits for that incident.
 */
const CLAIM_SETTLE_SECONDS = 30;

const entityKey = (entity: Entity) => `${entity.kind}\u0000${entity.provider ?? ""}\u0000${entity.id}`;

/**
 * The entities of an alert that tie it to other alerts (configured kinds; shared ones like IPs are off), in
 * one global order, so two alerts claiming the same entities never wait for each other in a circle.
 */
export const correlatingEntities = (alert: CanonicalAlert, deps: Pick<TriageDeps, "config">): Entity[] =>
  alert.entities
    .filter((entity) => deps.config.correlation.entityKinds.includes(entity.kind))
    .sort((a, b) => (entityKey(a) < entityKey(b) ? -1 : 1));

const isLive = (incident: Incident | undefined): incident is Incident =>
  incident !== undefined && !FINAL_STATUSES.includes(incident.status);

/**
 * Claim the alert's entities for `incidentId`, the incident it is about to open, and return the open incident
 * that already holds one of them, if any: the alert joins that one instead (model enumeration from a key, then
 * a GuardDuty finding for the same key: one incident). Claims come before the incident is written, so two
 * alerts about one entity at the same instant cannot both open incidents: the later one finds the earlier
 * claim and waits (TransientError: the bus retries it) until that incident exists.
 */
export async function correlate(
  alert: CanonicalAlert,
  incidentId: string,
  deps: TriageDeps,
): Promise<Incident | undefined> {
  const { windowSeconds } = deps.config.correlation;
  const claimed: Entity[] = [];
  for (const entity of correlatingEntities(alert, deps)) {
    const held = await deps.triageStore.claimEntity(entity, incidentId, windowSeconds);
    if (held.incidentId !== incidentId) {
      const holder = await deps.store.getIncident(held.incidentId);
      if (isLive(holder)) {
        // What this alert claimed so far follows it into the incident it joins.
        for (const mine of claimed) await deps.triageStore.pointEntity(mine, holder.id, windowSeconds);
        return holder;
      }
      if (!holder && held.ageSeconds < CLAIM_SETTLE_SECONDS) {
        throw new TransientError(
          `incident ${held.incidentId}, which claimed ${entity.kind} ${entity.id}, is not written yet`,
        );
      }
      // The holder is over, or its claim was abandoned: the entity is this incident's now.
      await deps.triageStore.pointEntity(entity, incidentId, windowSeconds);
    }
    claimed.push(entity);
  }
  return undefined;
}

/**
 * Restart the correlation window of a joining alert's entities on the incident it joined. Entities another
 * open incident holds stay with it; free ones, and those whose incident is over, come to this one.
 */
export async function refreshEntities(alert: CanonicalAlert, incidentId: string, deps: TriageDeps) {
  const { windowSeconds } = deps.config.correlation;
  for (const entity of correlatingEntities(alert, deps)) {
    const held = await deps.triageStore.claimEntity(entity, incidentId, windowSeconds);
    if (held.incidentId === incidentId || !isLive(await deps.store.getIncident(held.incidentId))) {
      await deps.triageStore.pointEntity(entity, incidentId, windowSeconds);
    }
  }
}

/**
 * Alerts that opened nothing on their own (model enumeration below the burst) are kept under their entities for
 * the correlation window; an incident that opens about one of those entities takes them in, so "enumeration,
 * then a CostHarvesting finding for the same key" is one incident even when the enumeration was not a burst.
 */
export async function keepForCorrelation(alert: CanonicalAlert, deps: TriageDeps): Promise<void> {
  const { windowSeconds } = deps.config.correlation;
  for (const entity of correlatingEntities(alert, deps))
    await deps.triageStore.keepForEntity(entity, alert, windowSeconds);
}

/** Take in the alerts kept under the opening alert's entities: stored, counted, and said on the timeline. */
export async function takeInKeptAlerts(alert: CanonicalAlert, incidentId: string, deps: TriageDeps) {
  const kept = new Map<string, CanonicalAlert>();
  for (const entity of correlatingEntities(alert, deps))
    for (const earlier of await deps.triageStore.takeKeptAlerts(entity)) kept.set(earlier.id, earlier);
  kept.delete(alert.id);
  for (const earlier of kept.values()) {
    await deps.store.addAlert(incidentId, earlier);
    await deps.store.appendTimeline(incidentId, {
      kind: "correlated",
      summary: `earlier alert ${earlier.id} (${earlier.type} from ${earlier.source}), kept because it was not an attack on its own, shares an entity with this incident and joined it`,
      detail: { alertId: earlier.id, type: earlier.type, dedupKey: earlier.dedupKey, reason: "kept_earlier" },
    });
  }
}
