import type { CanonicalAlert } from "../shared/alert.js";
import type { TriageFindings } from "../shared/rehearsal.js";
import { playbookMode } from "./config.js";
import { assess, type TriageDeps } from "./core.js";
import { playbookAssetOf } from "./deployment-history.js";
import { decide } from "./incidents.js";
import { subjectSlackUsers } from "./people.js";
import type { AssessedAlert } from "./routing.js";

/** Where triage sends an alert under the configuration in force: a playbook, or why none starts. */
export interface RouteNow {
  readonly playbook: string | null;
  /** The routing rule that decided, or `default` (the playbook for the alert's type). */
  readonly rule: string;
  /** Why nothing would start (a suppression, no playbook for the type, out of scope, a resolve). */
  readonly reason?: "suppressed" | "no_playbook" | "out_of_scope" | "resolved";
  /** The playbook runs in shadow mode under this configuration. */
  readonly shadow?: boolean;
}

export type RouteNowDeps = Pick<TriageDeps, "config" | "clock" | "inventory">;

/**
 * Triage's decision for one alert, as a replay asks for it: enrich, score, suppress and route under `deps.config`,
 * with none of the claims that dedup and correlation write (a pure function of the alert, configuration and clock).
 */
export function routeNow(alert: CanonicalAlert, deps: RouteNowDeps): RouteNow {
  return decided(assess(alert, deps), deps).route;
}

function decided(assessed: AssessedAlert, deps: RouteNowDeps) {
  const decision = decide(assessed, deps);
  const reason =
    assessed.alert.status === "resolved" ? "resolved" : decision.start ? undefined : decision.reason;
  const playbook = decision.start && reason === undefined ? decision.playbook : null;
  const shadow = playbook !== null && playbookMode(deps.config, playbook) === "shadow";
  const route: RouteNow = {
    playbook,
    rule: decision.route.rule,
    ...(reason ? { reason: reason as NonNullable<RouteNow["reason"]> } : {}),
    ...(shadow ? { shadow } : {}),
  };
  return { route, decision };
}

/**
 * The route now, and what a rehearsal of the alert keeps (risk, owners, route, subjects) as an incident opened
 * for it now would.
 */
export async function triageForRehearsal(
  alert: CanonicalAlert,
  deps: RouteNowDeps & Pick<TriageDeps, "triageStore">,
): Promise<{ route: RouteNow; findings: TriageFindings }> {
  const assessed = assess(alert, deps);
  const { route, decision } = decided(assessed, deps);
  const subject = await playbookAssetOf(alert, deps);
  const subjects = subjectSlackUsers(deps.config.people, alert.entities);
  return {
    route,
    findings: {
      type: alert.type,
      severity: alert.severity,
      title: alert.title,
      source: alert.source,
      risk: assessed.risk,
      route: decision.route,
      ownerTeams: [...new Set(assessed.enrichment.assets.map((asset) => asset.ownerTeam))],
      unknownAssets: assessed.enrichment.unknownAssets,
      ...(subject ? { subjectAsset: subject } : {}),
      ...(subjects.length > 0 ? { subjectSlackUsers: subjects } : {}),
    },
  };
}
