import * as z from "zod";
import type { CanonicalAlert } from "../shared/alert.js";
import { SecretNames } from "../shared/env.js";
import { groupAlertShape, groupShape, MAX_ALERTS_PER_NOTIFICATION, normalizeGroup } from "./alertmanager.js";
import { bearerToken } from "./auth.js";
import { detail } from "./labels.js";
import type { SourceAdapter } from "./source.js";

/** A link Grafana fills in, or leaves empty when the rule has no dashboard or panel. */
const Link = z.string().max(4096);

/** Grafana's entry of `alerts[]`: Alertmanager's, plus links, the query values and their rendering. */
const GrafanaAlert = z.object({
  ...groupAlertShape,
  silenceURL: Link.optional(),
  dashboardURL: Link.optional(),
  panelURL: Link.optional(),
  imageURL: Link.optional(),
  /** Query results by reference id (`A`, `C`...): numbers only, never numeric strings. */
  values: z.record(z.string().max(64), z.number()).nullish(),
  valueString: z.string().max(16_384).optional(),
});
type GrafanaAlert = z.infer<typeof GrafanaAlert>;

/**
 * Grafana's unified-alerting webhook contact point (payload version "1"): Alertmanager's group plus `orgId`,
 * `title`, `state` and `message` (free text, not read). Fields Quell does not read pass through.
 */
const GrafanaWebhook = z.object({
  ...groupShape,
  version: z.literal("1", {
    error: 'only Grafana webhook payload version "1" (unified alerting) is supported',
  }),
  orgId: z.number().int().nonnegative(),
  alerts: z
    .array(GrafanaAlert, { error: "alerts must be a non-empty array of alerts" })
    .min(1, "alerts must be a non-empty array of alerts")
    .max(MAX_ALERTS_PER_NOTIFICATION, `at most ${MAX_ALERTS_PER_NOTIFICATION} alerts per notification`),
});
type GrafanaWebhook = z.infer<typeof GrafanaWebhook>;

type DetailValue = CanonicalAlert["details"][string];

function grafanaDetails(alert: GrafanaAlert, orgId: number): Record<string, DetailValue> {
  const details: Record<string, DetailValue> = { orgId };
  if (alert.silenceURL) details.silenceUrl = detail(alert.silenceURL);
  if (alert.dashboardURL) details.dashboardUrl = detail(alert.dashboardURL);
  if (alert.panelURL) details.panelUrl = detail(alert.panelURL);
  if (alert.valueString) details.valueString = detail(alert.valueString);
  for (const [ref, value] of Object.entries(alert.values ?? {})) {
    if (/^[A-Za-z0-9_]{1,32}$/.test(ref)) details[`value_${ref}`] = value;
  }
  return details;
}

/**
 * Grafana alerting's webhook contact point, authenticated with `Authorization: Bearer
 * <QUELL_SOURCE_TOKEN_GRAFANA>` (the contact point's "Authorization header" setting, scheme Bearer).
 * Same rules as Alertmanager: one alert per `alerts[]` entry, dedup key `grafana:<fingerprint>`, severity from
 * the `severity` label, type from `quell_type` or the rule name.
 */
export const grafana: SourceAdapter<GrafanaWebhook> = {
  name: "grafana",
  secretName: SecretNames.grafanaToken,
  authenticate: bearerToken,
  schema: GrafanaWebhook,
  normalize: (payload, receipt) =>
    normalizeGroup("grafana", payload, receipt, (alert) => ({
      sourceIds: { orgId: String(payload.orgId) },
      details: grafanaDetails(alert, payload.orgId),
    })),
};
