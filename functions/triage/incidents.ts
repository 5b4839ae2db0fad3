import { type CanonicalAlert, severityRank } from "../shared/alert.js";
import { type Incident, type IncidentStatus, type SubjectAsset, UNLISTED_ASSET } from "../shared/incident.js";
import type { PlaybookInput } from "../shared/machine-starter.js";
import { playbookMode } from "./config.js";
import type { NotStartedReason, TriageDeps, TriageOutcome } from "./core.js";
import { refreshEntities, takeInKeptAlerts } from "./correlate.js";
import { playbookAssetOf } from "./deployment-history.js";
import { subjectSlackUsers } from "./people.js";
import { type AssessedAlert, activeSuppression, type Route, route } from "./routing.js";

/** Duplicates beyond this many get a timeline entry only every DUPLICATE_SAMPLE-th alert (storms). */
const DUPLICATE_TIMELINE_LIMIT = 20;
const DUPLICATE_SAMPLE = 100;

/** Statuses in which triage decided that nothing runs: a later alert may still start the playbook. */
export const NOTHING_STARTED: readonly IncidentStatus[] = ["no_playbook", "suppressed", "rate_limited"];

export type Decision =
  | { start: true; route: Route; playbook: string }
  | { start: false; route: Route; reason: NotStartedReason; detail: Record<string, unknown> };

/** Suppression first, then routing: what should happen for this alert, before any rate limit. */
export function decide(assessed: AssessedAlert, deps: Pick<TriageDeps, "config" | "clock">): Decision {
  const chosen = route(deps.config, assessed);
  const suppression = activeSuppression(deps.config, assessed, deps.clock());
  if (suppression) {
    const { id, kind, owner, reason, expiresAt } = suppression;
    return {
      start: false,
      route: chosen,
      reason: "suppressed",
      detail: { rule: id, kind, owner, because: reason, expiresAt },
    };
  }
  if (chosen.playbook) return { start: true, route: chosen, playbook: chosen.playbook };
  if (assessed.alert.type !== "other")
    return { start: false, route: chosen, reason: "no_playbook", detail: { rule: chosen.rule } };
  const because = outOfScope(assessed.alert);
  return { start: false, route: chosen, reason: "out_of_scope", detail: { rule: chosen.rule, because } };
}

/** Why an alert of type `other` is outside Quell's scope, naming the source's own type when it has one. */
function outOfScope(alert: CanonicalAlert): string {
  const findingType = alert.details.findingType ?? alert.details.secretType;
  return typeof findingType === "string"
    ? `${alert.source} type ${findingType} is not one Quell maps to an AI incident type; recorded, nothing started`
    : `${alert.source} reported no AI incident type; recorded, nothing started`;
}

const STATUS_OF: Partial<Record<NotStartedReason, IncidentStatus>> = {
  suppressed: "suppressed",
  rate_limited: "rate_limited",
  out_of_scope: "no_playbook",
  no_playbook: "no_playbook",
};

const triagedSummary = ({ alert, risk, enrichment }: AssessedAlert) => {
  const unknown = enrichment.unknownAssets.map((ref) => `${ref.kind} ${ref.id}`).join(", ");
  return `${alert.type}, severity ${alert.severity}, risk ${risk.score}${unknown ? `; not in the AI asset inventory: ${unknown}` : ""}`;
};

/** Open the incident for an alert that claimed its dedup key, then start its playbook or record why not. */
export async function openIncident(
  incidentId: string,
  assessed: AssessedAlert,
  deps: TriageDeps,
): Promise<TriageOutcome> {
  const { store } = deps;
  const { alert, enrichment, risk } = assessed;
  const decision = decide(assessed, deps);
  const now = deps.clock().toISOString();
  const subjects = subjectSlackUsers(deps.config.people, alert.entities);
  const subject = await playbookAssetOf(alert, deps);
  const created = await store.createIncident(
    {
      id: incidentId,
      status: "open",
      type: alert.type,
      severity: alert.severity,
      title: alert.title,
      source: alert.source,
      dedupKey: alert.dedupKey,
      playbook: decision.start ? decision.playbook : null,
      executionName: null,
      alertCount: 1,
      createdAt: now,
      updatedAt: now,
      risk,
      route: decision.route,
      ownerTeams: [...new Set(enrichment.assets.map((asset) => asset.ownerTeam))],
      unknownAssets: enrichment.unknownAssets,
      ...(subject ? { subjectAsset: subject } : {}),
      ...(subjects.length > 0 ? { subjectSlackUsers: subjects } : {}),
    },
    alert,
  );
  if (created) {
    await store.appendTimeline(incidentId, {
      at: alert.receivedAt,
      kind: "received",
      summary: `alert ${alert.id} received from ${alert.source}`,
      detail: { alertId: alert.id, sourceIds: alert.sourceIds },
    });
    await store.appendTimeline(incidentId, {
      kind: "triaged",
      summary: triagedSummary(assessed),
      detail: {
        type: alert.type,
        severity: alert.severity,
        dedupKey: alert.dedupKey,
        tags: alert.tags,
        risk,
        route: decision.route,
        assets: enrichment.assets.map(({ kind, id, ownerTeam, environment, criticality }) => ({
          kind,
          id,
          ownerTeam,
          environment,
          criticality,
        })),
        unknownAssets: enrichment.unknownAssets,
      },
    });
    await takeInKeptAlerts(alert, incidentId, deps);
  }
  // A redelivery finds the incident: it finishes only what the first attempt left undone.
  const incident = created ? undefined : await store.getIncident(incidentId);
  if (incident?.executionName) return { outcome: "started", incidentId, playbook: incident.playbook ?? "" };
  const pending = created || incident?.status === "open" || incident?.status === "running";
  if (!pending) return recordedOutcome(incidentId, incident);
  // A first attempt that got as far as `running` already announced the start: only the start is left.
  return settle(incidentId, decision, alert, deps, {
    announce: incident?.status !== "running",
    asset: subject,
  });
}

/** Start the decided playbook within the rate limit, or record why nothing started. */
async function settle(
  incidentId: string,
  decision: Decision,
  alert: CanonicalAlert,
  deps: TriageDeps,
  options: PlaybookStart,
): Promise<TriageOutcome> {
  if (decision.start) {
    const { startsPerPlaybook, windowSeconds } = deps.config.rateLimit;
    const allowed = await deps.triageStore.takePlaybookStart(
      decision.playbook,
      startsPerPlaybook,
      windowSeconds,
    );
    if (allowed) return startPlaybook(incidentId, decision.playbook, alert, deps, options);
    return recordNotStarted(
      incidentId,
      "rate_limited",
      {
        playbook: decision.playbook,
        limit: `${startsPerPlaybook} starts per ${windowSeconds} s`,
      },
      deps,
    );
  }
  return recordNotStarted(incidentId, decision.reason, decision.detail, deps);
}

async function recordNotStarted(
  incidentId: string,
  reason: NotStartedReason,
  detail: Record<string, unknown>,
  deps: TriageDeps,
): Promise<TriageOutcome> {
  const status = STATUS_OF[reason];
  if (status) await deps.store.updateIncident(incidentId, { status });
  await deps.store.appendTimeline(incidentId, {
    kind: "not_started",
    summary: `no playbook started: ${reason}`,
    detail: { ...detail, reason },
  });
  return { outcome: "not_started", incidentId, reason };
}

/** What an earlier attempt recorded for an incident that started nothing. */
function recordedOutcome(incidentId: string, incident: Incident | undefined): TriageOutcome {
  const reasons: Partial<Record<IncidentStatus, NotStartedReason>> = {
    suppressed: "suppressed",
    rate_limited: "rate_limited",
    resolved: "resolved",
  };
  const reason = (incident && reasons[incident.status]) ?? "no_playbook";
  return { outcome: "not_started", incidentId, reason };
}

/** How a playbook is started: whether the start is announced (a first attempt), and the asset it acts on. */
interface PlaybookStart {
  readonly announce: boolean;
  readonly asset: SubjectAsset | undefined;
}

async function startPlaybook(
  incidentId: string,
  playbook: string,
  alert: CanonicalAlert,
  deps: TriageDeps,
  options: PlaybookStart,
): Promise<TriageOutcome> {
  // A shadow playbook runs in full, plan-only: its actions send nothing and its approvals ask nobody.
  const shadow = playbookMode(deps.config, playbook) === "shadow";
  // Status and timeline first: once started, the playbook writes its own steps and must not be overtaken.
  if (options.announce) {
    await deps.store.updateIncident(incidentId, {
      status: "running",
      playbook,
      ...(shadow ? { shadow } : {}),
    });
    await deps.store.appendTimeline(incidentId, {
      kind: "playbook_started",
      summary: shadow
        ? `playbook ${playbook} started in shadow mode: every write is planned and none sent, nobody is asked`
        : `playbook ${playbook} started`,
      detail: { playbook, executionName: incidentId, ...(shadow ? { mode: "shadow", dryRun: true } : {}) },
    });
  }
  const asset = options.asset ?? UNLISTED_ASSET;
  const input: PlaybookInput = { incidentId, alert, dryRun: shadow, asset };
  await deps.starter.start(playbook, incidentId, input);
  await deps.store.updateIncident(incidentId, { executionName: incidentId });
  return { outcome: "started", incidentId, playbook };
}

/**
 * An alert that joins an existing incident: an update or redelivery of its alert (`duplicate`), or a
 * different alert about one of its entities (`correlated`). It is counted and kept, raises the incident's
 * risk, and never starts a second run; it starts the first one when the incident had none and this alert
 * calls for one (a CostHarvesting finding joining an enumeration precursor, say).
 */
export async function joinIncident(
  joined: Incident,
  assessed: AssessedAlert,
  reason: "duplicate" | "correlated",
  deps: TriageDeps,
  /** Whether the caller already kept and counted this alert (`joined` is then as read after that). */
  kept = false,
): Promise<TriageOutcome> {
  const { store } = deps;
  const { alert, risk } = assessed;
  const incidentId = joined.id;
  const incident = kept ? joined : (await store.addAlert(incidentId, alert)).incident;
  const count = incident.alertCount;
  if (raises(incident, assessed)) await store.raiseIncident(incidentId, { risk, severity: alert.severity });
  if (reason === "correlated") {
    await refreshEntities(alert, incidentId, deps);
    await store.appendTimeline(incidentId, {
      kind: "correlated",
      summary: `alert ${alert.id} (${alert.type} from ${alert.source}) shares an entity with this incident and joined it`,
      detail: { alertId: alert.id, type: alert.type, dedupKey: alert.dedupKey, risk, reason },
    });
  } else if (count <= DUPLICATE_TIMELINE_LIMIT || count % DUPLICATE_SAMPLE === 0) {
    await store.appendTimeline(incidentId, {
      kind: "duplicate",
      summary: `alert ${alert.id} joined this incident (${alert.status}, ${count} alerts so far); nothing new started`,
      detail: { alertId: alert.id, status: alert.status, reason, alertCount: count },
    });
  }
  // While its opener is still deciding (open, running), the opener starts whatever starts.
  if (incident.executionName || !NOTHING_STARTED.includes(incident.status)) {
    return { outcome: "not_started", incidentId, reason };
  }
  const decision = decide(assessed, deps);
  if (!decision.start) return { outcome: "not_started", incidentId, reason };
  return settle(incidentId, decision, alert, deps, {
    announce: true,
    asset: await playbookAssetOf(alert, deps),
  });
}

/** Whether an alert would raise the incident's risk or severity (as last read; the write re-checks). */
const raises = (incident: Incident, { alert, risk }: AssessedAlert) =>
  risk.score > (incident.risk?.score ?? -1) || severityRank(alert.severity) > severityRank(incident.severity);
