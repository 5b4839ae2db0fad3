import * as z from "zod";
import { type CanonicalAlert, tagsFor } from "../shared/alert.js";
import { SecretNames } from "../shared/env.js";
import { bearerToken } from "./auth.js";
import {
  Annotations,
  alertLabels,
  appOfLabels,
  bounded,
  cleanString,
  detail,
  entitiesOfLabels,
  type Labels,
  labelDetails,
  labelOf,
  labelSet,
  severityOfLabel,
  titleFrom,
  typeOfLabels,
  uniqueEntities,
} from "./labels.js";
import { alertIdFor, type Receipt, type SourceAdapter } from "./source.js";

/** Alertmanager's fingerprint: the label set's hash, 16 lower-case hex digits (Grafana uses the same form). */
const Fingerprint = z
  .string()
  .regex(/^[0-9a-f]{16}$/, "fingerprint must be 16 lower-case hex digits (Alertmanager's label-set hash)");

const Timestamp = z.iso.datetime({ offset: true, error: "must be an RFC 3339 timestamp" });

/** One entry of `alerts[]`, as Alertmanager sends it; Grafana extends it. */
export const groupAlertShape = {
  status: z.enum(["firing", "resolved"]),
  labels: alertLabels(),
  annotations: Annotations.default({}),
  startsAt: Timestamp,
  /** `0001-01-01T00:00:00Z` while firing. */
  endsAt: Timestamp.optional(),
  generatorURL: z.string().max(4096).optional(),
  fingerprint: Fingerprint,
};

/**
 * The most alerts one notification may carry. Configure the receiver with `max_alerts: 100` so a larger group
 * is truncated by Alertmanager (counted in `truncatedAlerts`) instead of refused here.
 */
export const MAX_ALERTS_PER_NOTIFICATION = 100;

/** The group fields both tools send; `alerts` is typed by the caller. */
export const groupShape = {
  receiver: cleanString(256),
  status: z.enum(["firing", "resolved"]),
  groupLabels: labelSet().optional(),
  commonLabels: labelSet().optional(),
  commonAnnotations: Annotations.optional(),
  externalURL: z.string().max(2048).optional(),
  groupKey: cleanString(4096),
  truncatedAlerts: z.number().int().nonnegative().optional(),
};

const alertsOf = <T extends z.ZodType>(alert: T) =>
  z
    .array(alert, { error: "alerts must be a non-empty array of alerts" })
    .min(1, "alerts must be a non-empty array of alerts")
    .max(MAX_ALERTS_PER_NOTIFICATION, `at most ${MAX_ALERTS_PER_NOTIFICATION} alerts per notification`);

const AlertmanagerAlert = z.object(groupAlertShape);

/** Alertmanager's `webhook_config` body, version "4" only. Fields Quell does not read pass through. */
const AlertmanagerWebhook = z.object({
  ...groupShape,
  version: z.literal("4", { error: 'only Alertmanager webhook version "4" is supported' }),
  alerts: alertsOf(AlertmanagerAlert),
});
type AlertmanagerWebhook = z.infer<typeof AlertmanagerWebhook>;

type DetailValue = CanonicalAlert["details"][string];

/** The group an alert arrived in, as `normalizeGroup` needs it. */
export interface GroupNotification<A extends z.infer<typeof AlertmanagerAlert>> {
  readonly receiver: string;
  readonly groupKey: string;
  readonly commonAnnotations?: Readonly<Record<string, string>> | undefined;
  readonly truncatedAlerts?: number | undefined;
  readonly alerts: readonly A[];
}

/** Go's zero time, which Alertmanager sends as `endsAt` while an alert fires. */
const isZeroTime = (timestamp: string | undefined) => !timestamp || timestamp.startsWith("0001-01-01");

const annotationOf = (annotations: Readonly<Record<string, string>> | undefined, name: string) =>
  annotations && Object.hasOwn(annotations, name) && annotations[name] ? annotations[name] : undefined;

function titleOf(labels: Labels, summary: string | undefined): string {
  const rule = labelOf(labels, "alertname") ?? "alert";
  const scope = ["tenant", "app", "model_name"]
    .flatMap((name) => {
      const value = labelOf(labels, name);
      return value === undefined ? [] : [`${name}=${value}`];
    })
    .slice(0, 2)
    .join(", ");
  const text = [rule, summary ? `: ${summary}` : "", scope ? ` [${scope}]` : ""].join("");
  return titleFrom(text, rule);
}

/**
 * One canonical alert per entry of a group notification, each deduplicated by its own fingerprint (R4), so a
 * group touching two tenants opens two incidents and a repeat or a resolve joins the right one (R5).
 */
export function normalizeGroup<A extends z.infer<typeof AlertmanagerAlert>>(
  source: "alertmanager" | "grafana",
  group: GroupNotification<A>,
  receipt: Receipt,
  extra: (alert: A) => {
    sourceIds?: Record<string, string>;
    details?: Record<string, DetailValue>;
  } = () => ({}),
): CanonicalAlert[] {
  return group.alerts.map((alert, index) => {
    const { labels, annotations } = alert;
    const type = typeOfLabels(labels);
    const severityLabel = labelOf(labels, "severity");
    const summary = annotationOf(annotations, "summary") ?? annotationOf(group.commonAnnotations, "summary");
    const description = annotationOf(annotations, "description");
    const runbook =
      annotationOf(annotations, "runbook_url") ?? annotationOf(group.commonAnnotations, "runbook_url");
    const resolvedAt = alert.status === "resolved" && !isZeroTime(alert.endsAt) ? alert.endsAt : undefined;
    const app = appOfLabels(labels);
    const rule = labelOf(labels, "alertname");
    const more = extra(alert);
    return {
      id: alertIdFor(receipt, index),
      source,
      sourceIds: {
        fingerprint: alert.fingerprint,
        ...(rule ? { ruleName: rule } : {}),
        ...more.sourceIds,
      },
      type,
      severity: severityOfLabel(severityLabel),
      status: alert.status === "resolved" ? "resolved" : "firing",
      title: titleOf(labels, summary ?? description),
      occurredAt: resolvedAt ?? alert.startsAt,
      receivedAt: receipt.receivedAt,
      dedupKey: `${source}:${alert.fingerprint}`,
      entities: uniqueEntities(entitiesOfLabels(labels)),
      tags: tagsFor(type),
      details: {
        ...labelDetails(labels),
        alertname: rule ?? null,
        alertStatus: alert.status,
        fingerprint: alert.fingerprint,
        severityLabel: severityLabel ?? null,
        app: app ?? null,
        summary: summary ? detail(summary) : null,
        description: description ? detail(description) : null,
        runbookUrl: runbook ? detail(runbook) : null,
        generatorUrl: alert.generatorURL ? detail(alert.generatorURL) : null,
        startsAt: alert.startsAt,
        endsAt: isZeroTime(alert.endsAt) ? null : (alert.endsAt ?? null),
        receiver: bounded(group.receiver, 256),
        groupKey: detail(group.groupKey),
        groupSize: group.alerts.length,
        truncatedAlerts: group.truncatedAlerts ?? 0,
        ...more.details,
      },
    } satisfies CanonicalAlert;
  });
}

/**
 * Prometheus Alertmanager's webhook receiver (`webhook_configs`, payload version "4"), authenticated with
 * `http_config.authorization: { type: Bearer, credentials: <QUELL_SOURCE_TOKEN_ALERTMANAGER> }`.
 *
 * - One canonical alert per `alerts[]` entry; dedup key `alertmanager:<fingerprint>`.
 * - Status per entry: `firing` or `resolved` (a resolve joins the incident of the same fingerprint).
 * - Severity from the `severity` label (R1): critical, high, warning → medium, info; missing → medium.
 * - Type from the `quell_type` (or `ai_incident_type`) label, else by rule name (`alertname`), else `other`.
 * - Entities from labels: tenant, model/model_name, user_id, principal, access_key_id, account_id, guardrail,
 *   agent, source_ip; the application (`app`, `ml_app`) goes to `details.app`.
 */
export const alertmanager: SourceAdapter<AlertmanagerWebhook> = {
  name: "alertmanager",
  secretName: SecretNames.alertmanagerToken,
  authenticate: bearerToken,
  schema: AlertmanagerWebhook,
  normalize: (payload, receipt) => normalizeGroup("alertmanager", payload, receipt),
};
