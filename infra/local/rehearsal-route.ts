import type { ServerResponse } from "node:http";
import * as z from "zod";
import { CanonicalAlert } from "../../functions/shared/alert.js";
import { newId, systemClock } from "../../functions/shared/ids.js";
import type { Incident } from "../../functions/shared/incident.js";
import type { MachineStarter } from "../../functions/shared/machine-starter.js";
import { startRehearsal } from "../../functions/shared/rehearsal.js";
import type { IncidentStore } from "../../functions/shared/store.js";
import type { TriageConfig } from "../../functions/triage/config.js";
import { Inventory } from "../../functions/triage/enrich.js";
import { triageForRehearsal } from "../../functions/triage/route-now.js";
import type { TriageStore } from "../../functions/triage/triage-store.js";
import { sendError, sendJson } from "./http.js";
import { checkHost, checkReadToken, LOOPBACK_HOST_NAMES } from "./request-guard.js";
import type { Route } from "./routes.js";

/** One canonical alert with room to spare (a canonical alert's fields are bounded far below this). */
export const REHEARSAL_MAX_BODY_BYTES = 256 * 1024;
/** Who a replay's rehearsals name as their requester: the command line, not a Slack user. */
export const REPLAY_REQUESTER = "quell replay";

export interface RehearsalRouteDeps {
  readonly store: IncidentStore;
  readonly triageStore: TriageStore;
  readonly readToken: string;
  /** The playbooks a rehearsal may name. */
  readonly playbooks: readonly string[];
  readonly machines: MachineStarter;
  /** The triage configuration in force (the team file, re-read as triage re-reads it). */
  readonly config: () => Promise<TriageConfig>;
}

const Name = z.string().min(1).max(64);
/** A stored alert by id, or an alert's body (as GET /incidents/{id} returns it); one of the two. */
const RehearsalBody = z.strictObject({
  playbook: Name,
  alertId: Name.optional(),
  alert: z.unknown().optional(),
  /** Start only when the alert's incident went to the playbook, or triage would route it there now. */
  onlyIfRouted: z.boolean().optional(),
});

/**
 * `POST /rehearsals`: start a quiet rehearsal of a playbook on one alert, for `npm run quell -- replay`. The local
 * operator's route: the read token (constant time) and a loopback Host (never a tunnel's) are required, whatever
 * QUELL_ALLOWED_HOSTS adds. A rehearsal plans every write and sends none, records its approvals as would-ask and
 * posts nothing to Slack; the answer says where triage routes the alert now and which incident it came from.
 */
export function rehearsalRoutes(deps: RehearsalRouteDeps): Route[] {
  return [
    {
      method: "POST",
      path: /^\/rehearsals$/,
      body: { maxBytes: REHEARSAL_MAX_BODY_BYTES, mediaTypes: ["application/json"] },
      serve: async ({ request, response, body }) => {
        const host = checkHost(request, LOOPBACK_HOST_NAMES);
        if (!host.ok) return sendError(response, host.status, host);
        const token = checkReadToken(request, deps.readToken);
        if (!token.ok) {
          return sendError(response, token.status, token, {
            headers: { "www-authenticate": 'Bearer realm="quell"' },
          });
        }
        return rehearse(response, body, deps);
      },
    },
  ];
}

const USAGE =
  'send {"playbook": "<name>", "alertId": "<stored alert id>"} or {"playbook": "<name>", "alert": {<canonical alert>}}';

async function rehearse(response: ServerResponse, body: Buffer, deps: RehearsalRouteDeps) {
  const bad = (message: string) => sendError(response, 400, { code: "bad_rehearsal", message });
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    return bad(`not JSON: ${USAGE}`);
  }
  const wanted = RehearsalBody.safeParse(parsed);
  if (!wanted.success || (wanted.data.alertId === undefined) === (wanted.data.alert === undefined)) {
    return bad(USAGE);
  }
  const { playbook, alertId, onlyIfRouted } = wanted.data;
  if (!deps.playbooks.includes(playbook)) {
    const message = `no playbook ${JSON.stringify(playbook)} (known: ${deps.playbooks.join(", ")})`;
    return sendError(response, 404, { code: "no_playbook", message });
  }
  let alert: CanonicalAlert;
  let found = alertId !== undefined ? await deps.store.findAlert(alertId) : undefined;
  if (found) alert = found.alert;
  else if (alertId !== undefined) {
    return sendError(response, 404, { code: "no_alert", message: `no stored alert ${alertId}` });
  } else {
    const checked = CanonicalAlert.safeParse(wanted.data.alert);
    if (!checked.success) {
      const issues = checked.error.issues.map((issue) => ({
        path: ["alert", ...issue.path].join("."),
        message: issue.message,
      }));
      return sendJson(response, 422, {
        error: { code: "invalid_alert", message: "the alert is not a canonical alert", issues },
      });
    }
    alert = checked.data;
    found = await deps.store.findAlert(alert.id);
  }
  const original = await originalIncident(found?.incidentId, deps.store);
  const config = await deps.config();
  const now = await triageForRehearsal(alert, {
    config,
    inventory: new Inventory(config.inventory),
    clock: systemClock,
    triageStore: deps.triageStore,
  });
  const then = original
    ? { incidentId: original.id, status: original.status, playbook: original.playbook, route: original.route }
    : undefined;
  const answer = { route: now.route, ...(then ? { original: then } : {}) };
  if (onlyIfRouted && now.route.playbook !== playbook && original?.playbook !== playbook) {
    return sendJson(response, 200, { started: false, ...answer });
  }
  const incidentId = await startRehearsal(
    { playbook, alert, findings: now.findings, of: original?.id, requestedBy: REPLAY_REQUESTER, quiet: true },
    { store: deps.store, machines: deps.machines, clock: systemClock, newId },
  );
  return sendJson(response, 202, { started: true, incidentId, ...answer });
}

/**
 * The incident a stored alert belongs to (`holder`: the incident its copy was found in), never a rehearsal of
 * it: a rehearsal keeps a copy of its alert, so the copy found may be a rehearsal's, which names the incident it
 * rehearsed (or itself, for an alert that is not stored).
 */
async function originalIncident(
  holder: string | undefined,
  store: IncidentStore,
): Promise<Incident | undefined> {
  const incident = holder ? await store.getIncident(holder) : undefined;
  if (!incident?.rehearsal) return incident;
  const { of } = incident.rehearsal;
  return of === incident.id ? undefined : store.getIncident(of);
}
