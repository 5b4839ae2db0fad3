import type { CanonicalAlert } from "./alert.js";
import type { Clock, IdGenerator } from "./ids.js";
import { type Incident, UNLISTED_ASSET } from "./incident.js";
import type { MachineStarter, PlaybookInput } from "./machine-starter.js";
import type { IncidentStore } from "./store.js";

/** What triage found about an alert, as a rehearsal's incident keeps it (risk, owners, route, subjects). */
export type TriageFindings = Pick<Incident, "type" | "severity" | "title" | "source"> &
  Partial<
    Pick<Incident, "risk" | "route" | "ownerTeams" | "unknownAssets" | "subjectAsset" | "subjectSlackUsers">
  >;

const FINDINGS = [
  "type",
  "severity",
  "title",
  "source",
  "risk",
  "route",
  "ownerTeams",
  "unknownAssets",
  "subjectAsset",
  "subjectSlackUsers",
] as const satisfies readonly (keyof TriageFindings)[];

/** Only the findings, of an incident or of a fresh triage: never its thread, outcome or run. */
const findingsOf = (from: TriageFindings): TriageFindings =>
  Object.fromEntries(
    FINDINGS.filter((name) => from[name] !== undefined).map((name) => [name, from[name]]),
  ) as TriageFindings;

export interface RehearsalRequest {
  readonly playbook: string;
  readonly alert: CanonicalAlert;
  readonly findings: TriageFindings;
  /** The incident whose alert this rehearses, when the alert is stored; else the rehearsal names itself. */
  readonly of: string | undefined;
  /** Who asked: a Slack user (`/quell dry-run`), or the command line (`replay`). */
  readonly requestedBy: string;
  /**
   * A quiet rehearsal (replay): approvals are recorded as would-ask, no card is posted and nothing reaches Slack.
   * Otherwise approvals ask as they would (the dry run's cards).
   */
  readonly quiet: boolean;
}

export interface RehearsalDeps {
  readonly store: IncidentStore;
  readonly machines: MachineStarter;
  readonly clock: Clock;
  readonly newId: IdGenerator;
}

/**
 * Rehearse a playbook on an alert: a new incident, marked as a rehearsal (of the alert's incident when it is
 * stored), runs the real state machine with `dryRun` set, so every action plans its writes and sends none. The
 * alert's own incident is left untouched. Returns the rehearsal's incident id.
 */
export async function startRehearsal(request: RehearsalRequest, deps: RehearsalDeps): Promise<string> {
  const { playbook, alert, findings, quiet } = request;
  const now = deps.clock().toISOString();
  const incidentId = deps.newId("inc");
  const of = request.of ?? incidentId;
  const label = quiet ? "Replay" : "Dry run";
  await deps.store.createIncident({
    ...findingsOf(findings),
    id: incidentId,
    status: "running",
    title: `${label} of ${playbook}: ${findings.title}`.slice(0, 300),
    dedupKey: `dry-run:${incidentId}`,
    playbook,
    executionName: incidentId,
    alertCount: 1,
    createdAt: now,
    updatedAt: now,
    rehearsal: { of, alertId: alert.id, requestedBy: request.requestedBy, ...(quiet ? { quiet } : {}) },
  });
  await deps.store.saveAlert(incidentId, alert);
  const origin = request.of ? ` (incident ${request.of})` : "";
  await deps.store.appendTimeline(incidentId, {
    kind: "playbook_started",
    summary: `${label.toLowerCase()} of ${playbook} on alert ${alert.id}${origin} requested by ${request.requestedBy}`,
    actor: request.requestedBy,
    detail: {
      playbook,
      executionName: incidentId,
      dryRun: true,
      rehearsalOf: of,
      ...(quiet ? { quiet } : {}),
      ...(findings.route ? { route: findings.route } : {}),
    },
  });
  const input: PlaybookInput = {
    incidentId,
    alert,
    dryRun: true,
    asset: { ...UNLISTED_ASSET, ...findings.subjectAsset },
  };
  await deps.machines.start(playbook, incidentId, input);
  return incidentId;
}
