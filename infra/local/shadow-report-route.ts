import {
  MAX_SHADOW_REPORT_DAYS,
  parseShadowReportDays,
  readShadowReport,
} from "../../functions/shadow-digest/read.js";
import type { IncidentStore } from "../../functions/shared/store.js";
import { sendError, sendJson } from "./http.js";
import type { Route } from "./routes.js";

/**
 * `GET /shadow-report?days=N` (1–90, default 1): what shadow playbooks would have done, per playbook and per
 * incident (functions/shadow-digest/report.ts). A GET like the others: the read token, loopback Host names.
 */
export function shadowReportRoutes(deps: { readonly store: IncidentStore }): readonly Route[] {
  return [
    {
      method: "GET",
      path: /^\/shadow-report$/,
      serve: async ({ response, query }) => {
        const days = parseShadowReportDays(query.get("days"));
        if (days === undefined) {
          return sendError(response, 400, {
            code: "bad_days",
            message: `days must be a whole number from 1 to ${MAX_SHADOW_REPORT_DAYS}`,
          });
        }
        return sendJson(response, 200, await readShadowReport(deps.store, days, new Date()));
      },
    },
  ];
}
