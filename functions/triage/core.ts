import * as z from "zod";
import { incidentOfSession } from "../shared/action-session.js";
import { CanonicalAlert } from "../shared/alert.js";
import { TransientError, ValidationError } from "../shared/errors.js";
import { type Clock, type IdGenerator, unixSeconds } from "../shared/ids.js";
import type { MachineStarter } from "../shared/machine-starter.js";
import type { IncidentStore } from "../shared/store.js";
import { eventSourceByName } from "../sources/event-sources.js";
import { linkOwnAction, resolveFromSource } from "./annotations.js";
import type { ClaimMemory } from "./claim-memory.js";
import type { TriageConfig } from "./config.js";
import { correlate, keepForCorrelation } from "./correlate.js";
import { isDeploymentRecord, learnDeployment } from "./deployment-history.js";
import { enrich, type Inventory } from "./enrich.js";
import { judgeEnumeration } from "./enumeration.js";
import { joinIncident, openIncident } from "./incidents.js";
import { isBeforeResolve, keepOutOfOrder, orderOf } from "./ordering.js";
import type { AssessedAlert } from "./routing.js";
import { scoreRisk } from "./score.js";
import { isSmokeTest, triageSmokeTest } from "./smoke.js";
import type { TriageStore } from "./triage-store.js";

export const AlertReceivedDetail = z.object({
  alertId: z.string().min(1).max(64),
  source: z.string().min(1).max(64),
  receivedAt: z.iso.datetime({ offset: true }),
  deliveryId: z.string().max(128).optional(),
  /** An AWS event as delivered: normalised here. */
  payload: z.unknown().optional(),
  /** A webhook's alerts, normalised by ingest: validated again here. */
  alerts: z.array(z.unknown()).min(1).max(100).optional(),
});
export type AlertReceivedDetail = z.infer<typeof AlertReceivedDetail>;

/** Why an alert started nothing. Every such alert records one. */
export type NotStartedReason =
  | "duplicate"
  | "correlated"
  | "suppressed"
  | "out_of_scope"
  | "no_playbook"
  | "rate_limited"
  | "resolved"
  | "own_action"
  /** Older, by the source's clock, than an event of its alert already seen: kept, changes nothing. */
  | "out_of_order";

export type TriageOutcome =
  | { outcome: "started"; incidentId: string; playbook: string }
  /**
   * `incidentId` is absent only for an alert kept as unmatched: a resolve that matched no open case, or model
   * enumeration that is not (yet) a precursor.
   */
  | { outcome: "not_started"; incidentId?: string; reason: NotStartedReason };

/** Starts a playbook's execution, named after the incident (see MachineStarter). */
export type PlaybookStarter = MachineStarter;

export interface TriageDeps {
  readonly store: IncidentStore;
  readonly triageStore: TriageStore;
  readonly starter: PlaybookStarter;
  readonly config: TriageConfig;
  readonly inventory: Inventory;
  readonly clock: Clock;
  readonly newId: IdGenerator;
  readonly dedupWindowSeconds: number;
  /** Dedup claims this process saw lately (see ClaimMemory); without it every duplicate reads its claim. */
  readonly claimMemory?: ClaimMemory;
}

/**
 * Every alert a delivery carries, in Quell's canonical form: a webhook's alerts as ingest normalised them, or an
 * AWS event normalised here by its source's adapter (triage carries no webhook adapter: see event-sources.ts).
 */
export function normalize(detail: AlertReceivedDetail): CanonicalAlert[] {
  if (detail.alerts) return detail.alerts.map((alert) => CanonicalAlert.parse(alert));
  const adapter = eventSourceByName(detail.source);
  if (!adapter) {
    throw new ValidationError(
      `no alerts and no AWS event source ${JSON.stringify(detail.source.slice(0, 64))}: a webhook's delivery ` +
        "carries the alerts ingest normalised, an AWS event the event of a known source",
    );
  }
  const payload = adapter.schema.parse(detail.payload);
  const receipt = {
    alertId: detail.alertId,
    receivedAt: detail.receivedAt,
    ...(detail.deliveryId ? { deliveryId: detail.deliveryId } : {}),
  };
  return adapter.normalize(payload, receipt).map((alert) => CanonicalAlert.parse(alert));
}

/** What triage learns about an alert before deciding: inventory assets, unknown AI assets, risk. */
export function assess(alert: CanonicalAlert, deps: Pick<TriageDeps, "inventory">): AssessedAlert {
  const enrichment = enrich(alert, deps.inventory);
  return { alert, enrichment, risk: scoreRisk(alert, enrichment) };
}

/**
 * Normalise, dedupe, correlate, enrich, score, suppress, route and start a playbook. Safe to run again for
 * the same event (EventBridge delivers at least once): claims remember which alert made them, every write is
 * conditional or idempotent, and the execution name is the incident id.
 */
export async function triage(detail: AlertReceivedDetail, deps: TriageDeps): Promise<TriageOutcome[]> {
  const outcomes: TriageOutcome[] = [];
  for (const alert of normalize(detail)) outcomes.push(await triageAlert(alert, deps));
  return outcomes;
}

async function triageAlert(alert: CanonicalAlert, deps: TriageDeps): Promise<TriageOutcome> {
  // A smoke test is a rehearsal of its own, apart from every claim real alerts share (smoke.ts).
  if (isSmokeTest(alert)) return triageSmokeTest(alert, deps);
  const causedBy = ownActionIncident(alert, deps.config);
  // A configuration put live (CloudTrail): learnt as the endpoint's history whoever deployed it, Quell included.
  const learnt = isDeploymentRecord(alert) ? await learnDeployment(alert, deps) : undefined;
  const linked = causedBy ? await linkOwnAction(causedBy, alert, deps) : undefined;
  if (linked) return linked;
  if (learnt) {
    await deps.triageStore.recordUnmatched(alert, "out_of_scope", learnt);
    return { outcome: "not_started", reason: "out_of_scope" };
  }
  if (alert.status === "resolved") return resolveFromSource(alert, deps);
  const enumeration = await judgeEnumeration(alert, deps);
  if (!enumeration.precursor) {
    await deps.triageStore.recordUnmatched(alert, "out_of_scope", enumeration.because);
    await keepForCorrelation(alert, deps);
    return { outcome: "not_started", reason: "out_of_scope" };
  }
  const order = await orderOf(alert, deps);
  if (isBeforeResolve(order)) {
    const held = await deps.triageStore.findDedupClaim(alert.dedupKey);
    // The alert that made the claim, delivered again after its first attempt was cut short (a crash between
    // claiming and starting): it finishes that work on the usual path, which takes in the resolve kept meanwhile.
    // Otherwise its incident would stay `running` with nothing running.
    if (held?.alertId !== alert.id) return keepOutOfOrder(alert, order, held?.incidentId, deps);
  }
  const countedOnRemembered = await countOnRememberedIncident(alert, deps);
  if (countedOnRemembered) return countedOnRemembered;

  let claim = await deps.triageStore.claimDedupKey(
    alert.dedupKey,
    { incidentId: deps.newId("inc"), alertId: alert.id },
    deps.dedupWindowSeconds,
  );
  if (claim.alertId !== alert.id) {
    // The common duplicate (storms): counted on its open incident in the same write that reads it.
    const counted = await deps.store.addAlertIfOpen(claim.incidentId, alert);
    if (counted.kind !== "not_open") {
      deps.claimMemory?.remember(alert.dedupKey, claim, unixSeconds(deps.clock));
      return joinIncident(counted.incident, assess(alert, deps), "duplicate", deps, true);
    }
    const holder = await existingIncident(claim.incidentId, alert, deps);
    if (holder.status !== "resolved") return joinIncident(holder, assess(alert, deps), "duplicate", deps);
    // The incident is over. The alert firing again after that, by the source's clock, is a new occurrence (a new
    // incident); a delivery no later than what was already seen (GitHub's `created` sent again) is not.
    if (!order.newest) return keepOutOfOrder(alert, order, holder.id, deps);
    const fresh = { incidentId: deps.newId("inc"), alertId: alert.id };
    claim = await deps.triageStore.reclaimDedupKey(alert.dedupKey, claim, fresh, deps.dedupWindowSeconds);
    if (claim.alertId !== alert.id) {
      const reopened = await existingIncident(claim.incidentId, alert, deps);
      return joinIncident(reopened, assess(alert, deps), "duplicate", deps);
    }
  }
  // This alert made the claim (first delivery, or a redelivery finishing what a failed attempt left).
  const assessed = assess(alert, deps);
  const correlatedInto = await correlate(alert, claim.incidentId, deps);
  if (correlatedInto) {
    await deps.triageStore.moveDedupKey(alert.dedupKey, claim, correlatedInto.id);
    return joinIncident(correlatedInto, assessed, "correlated", deps);
  }
  return openIncident(claim.incidentId, assessed, deps);
}

/**
 * A duplicate of an alert whose claim this process remembers: kept and counted on that claim's incident in one
 * conditional transaction, without reading the claim. When the write finds the incident gone or resolved, the hint
 * is forgotten and the caller reads the claim (undefined is returned).
 */
async function countOnRememberedIncident(
  alert: CanonicalAlert,
  deps: TriageDeps,
): Promise<TriageOutcome | undefined> {
  const remembered = deps.claimMemory?.recall(alert.dedupKey, unixSeconds(deps.clock));
  // The alert that made the claim (a redelivery) finishes its own work on the usual path.
  if (!remembered || remembered.alertId === alert.id) return undefined;
  const counted = await deps.store.addAlertIfOpen(remembered.incidentId, alert);
  if (counted.kind !== "not_open")
    return joinIncident(counted.incident, assess(alert, deps), "duplicate", deps, true);
  deps.claimMemory?.forget(alert.dedupKey);
  return undefined;
}

async function existingIncident(incidentId: string, alert: CanonicalAlert, deps: TriageDeps) {
  const incident = await deps.store.getIncident(incidentId);
  if (!incident) {
    // The alert that claimed the key has not opened its incident yet: let the bus retry this one.
    throw new TransientError(`incident ${incidentId} for ${alert.dedupKey} is not written yet`);
  }
  return incident;
}

/** The incident one of Quell's own action sessions was serving when it caused this event. */
function ownActionIncident(alert: CanonicalAlert, config: TriageConfig): string | undefined {
  for (const entity of alert.entities) {
    if (entity.kind !== "principal") continue;
    const incidentId = incidentOfSession(entity.id, config.ownActions);
    if (incidentId) return incidentId;
  }
  return undefined;
}
