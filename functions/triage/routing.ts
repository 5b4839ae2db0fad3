import { playbookFacts } from "../../playbooks/playbook-facts.generated.js";
import type { PlaybookFacts } from "../../playbooks/playbook-facts.js";
import { type AlertType, type CanonicalAlert, severityRank } from "../shared/alert.js";
import type { IncidentRoute, Risk } from "../shared/incident.js";
import type { AlertMatch, SuppressionRule, TriageConfig } from "./config.js";
import type { Enrichment } from "./enrich.js";
import { indexOf } from "./rule-index.js";

/** An alert with what triage learnt about it: the facts rules match on. */
export interface AssessedAlert {
  readonly alert: CanonicalAlert;
  readonly enrichment: Enrichment;
  readonly risk: Risk;
}

/** What routing decided: the playbook (or none), where its card goes and how many must approve. */
export type Route = IncidentRoute;

/**
 * The first playbook that handles the alert's type and takes an alert with these details (a playbook with
 * `onlyWithDetail` takes only alerts carrying that detail), from the playbooks' facts, not their definitions.
 */
export const playbookForType = (
  type: AlertType,
  details: CanonicalAlert["details"] = {},
): string | undefined =>
  playbookFacts.find((playbook: PlaybookFacts) => {
    if (!(playbook.handles as readonly string[]).includes(type)) return false;
    const needed = playbook.onlyWithDetail;
    return needed === undefined || (details[needed] !== undefined && details[needed] !== null);
  })?.name;

/** Whether the alert names this entity. */
function names(alert: CanonicalAlert, wanted: NonNullable<AlertMatch["entity"]>): boolean {
  for (const entity of alert.entities)
    if (entity.kind === wanted.kind && entity.id === wanted.id) return true;
  return false;
}

export function matches(match: AlertMatch, { alert, enrichment, risk }: AssessedAlert): boolean {
  if (match.types && !match.types.includes(alert.type)) return false;
  if (match.sources && !match.sources.includes(alert.source)) return false;
  if (match.minSeverity && severityRank(alert.severity) < severityRank(match.minSeverity)) return false;
  if (match.minRisk !== undefined && risk.score < match.minRisk) return false;
  if (match.dedupKey !== undefined && alert.dedupKey !== match.dedupKey) return false;
  if (match.entity && !names(alert, match.entity)) return false;
  const { environments, ownerTeams } = match;
  if (environments && !enrichment.assets.some((asset) => environments.includes(asset.environment)))
    return false;
  if (ownerTeams && !enrichment.assets.some((asset) => ownerTeams.includes(asset.ownerTeam))) return false;
  return true;
}

/**
 * The suppression or snooze rule that silences this alert now, if any. Expired rules silence nothing. (A
 * rule's expiry is read only once it matches: most rules match nothing.)
 */
export function activeSuppression(
  config: TriageConfig,
  assessed: AssessedAlert,
  now: Date,
): SuppressionRule | undefined {
  const at = now.getTime();
  return indexOf(config.suppressions).first(
    assessed.alert,
    (rule) => matches(rule.match, assessed) && Date.parse(rule.expiresAt) > at,
  );
}

/**
 * The first matching routing rule decides; fields it leaves out fall back to the playbook for the type, the
 * owning team's channel (from the inventory) and the playbook's own approval policy.
 */
export function route(config: TriageConfig, assessed: AssessedAlert): Route {
  const rule = indexOf(config.routes).first(assessed.alert, (candidate) =>
    matches(candidate.match, assessed),
  );
  const ownerChannel = assessed.enrichment.assets.find((asset) => asset.slackChannel)?.slackChannel;
  const playbook =
    rule?.playbook === undefined
      ? (playbookForType(assessed.alert.type, assessed.alert.details) ?? null)
      : rule.playbook;
  const channel = rule?.channel ?? ownerChannel;
  // Written out, not spread: V8 builds `{ ...a, ...b }` on a slow path, and this runs for every alert.
  const decided: { -readonly [K in keyof Route]: Route[K] } = { playbook, rule: rule?.id ?? "default" };
  if (channel) decided.channel = channel;
  if (rule?.approvalPolicy) decided.approvalPolicy = rule.approvalPolicy;
  return decided;
}
