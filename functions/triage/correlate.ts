import type { CanonicalAlert, Entity } from "../shared/alert.js";
import { FINAL_STATUSES, type Incident } from "../shared/incident.js";
import type { TriageDeps } from "./core.js";

/** The entities of an alert that tie it to other alerts (configured kinds; shared ones like IPs are off). */
const correlatingEntities = (alert: CanonicalAlert, deps: TriageDeps): Entity[] =>
  alert.entities.filter((entity) => deps.config.correlation.entityKinds.includes(entity.kind));

/** The incident, when it exists and is not over. */
const liveIncident = async (incidentId: string, deps: TriageDeps): Promise<Incident | undefined> => {
  const incident = await deps.store.getIncident(incidentId);
  return incident && !FINAL_STATUSES.includes(incident.status) ? incident : undefined;
};

/**
 * The open incident an earlier alert opened about one of this alert's entities within the correlation window
 * (model enumeration from a key, then a GuardDuty finding for the same key: one incident), if any.
 */
export async function correlate(alert: CanonicalAlert, deps: TriageDeps): Promise<Incident | undefined> {
  for (const entity of correlatingEntities(alert, deps)) {
    const holder = await deps.triageStore.findEntityHolder(entity);
    const incident = holder ? await liveIncident(holder, deps) : undefined;
    if (incident) return incident;
  }
  return undefined;
}

/**
 * Start (or restart) the correlation window of an incident's entities. Entities claimed by another open
 * incident stay with it; those whose incident is over move to this one. Claims are written only once the
 * incident exists, so no claim ever points at an incident that is not there.
 */
export async function claimEntities(alert: CanonicalAlert, incidentId: string, deps: TriageDeps) {
  const { windowSeconds } = deps.config.correlation;
  for (const entity of correlatingEntities(alert, deps)) {
    const holder = await deps.triageStore.claimEntity(entity, incidentId, windowSeconds);
    if (holder === incidentId || !(await liveIncident(holder, deps))) {
      await deps.triageStore.pointEntity(entity, incidentId, windowSeconds);
    }
  }
}
