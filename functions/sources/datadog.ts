import * as z from "zod";
import { AlertType, type CanonicalAlert, type Entity, type Severity, tagsFor } from "../shared/alert.js";
import { SecretNames } from "../shared/env.js";
import { bearerToken } from "./auth.js";
import { cleanString, detail, titleFrom, uniqueEntities } from "./labels.js";
import { alertIdFor, type SourceAdapter } from "./source.js";

/*
 * Quell's Datadog webhook template. Datadog posts whatever JSON the webhook is configured with, substituting
 * `$VARIABLES`; this adapter accepts exactly this template (every key present, "Encode as form" off), so keep
 * it stable: changing it is a breaking change for every configured webhook.
 *
 *   {
 *     "source": "datadog",
 *     "alert_id": "$ALERT_ID",
 *     "aggreg_key": "$AGGREG_KEY",
 *     "cycle_key": "$ALERT_CYCLE_KEY",
 *     "transition": "$ALERT_TRANSITION",
 *     "alert_type": "$ALERT_TYPE",
 *     "status": "$ALERT_STATUS",
 *     "priority": "$ALERT_PRIORITY",
 *     "title": "$EVENT_TITLE",
 *     "message": "$EVENT_MSG",
 *     "query": "$ALERT_QUERY",
 *     "scope": "$ALERT_SCOPE",
 *     "metric": "$ALERT_METRIC",
 *     "tags": "$TAGS",
 *     "hostname": "$HOSTNAME",
 *     "link": "$LINK",
 *     "snapshot": "$SNAPSHOT",
 *     "event_id": "$ID",
 *     "event_type": "$EVENT_TYPE",
 *     "date": "$DATE",
 *     "last_updated": "$LAST_UPDATED",
 *     "org": { "id": "$ORG_ID", "name": "$ORG_NAME" }
 *   }
 *
 * Custom headers (JSON): `{"Authorization": "Bearer <QUELL_SOURCE_TOKEN_DATADOG>"}`.
 *
 * - Dedup key `datadog:<alert_id>:<cycle_key>` (the cycle key is the same from Triggered until Recovered).
 * - `transition`: Triggered, Warn → firing; Re-Triggered, Re-Warn, Renotify, No Data, Re-No Data, Null → update;
 *   Recovered → resolved.
 * - Severity from `priority` (R1): P1 critical, P2 high, P3 medium, P4 low, P5 info; an empty priority falls
 *   back to `alert_type`: error high, warning medium, info and success info.
 * - Type from a `quell_type:<type>` monitor tag, else by metric (`metric`, else the metric names in `query`):
 *   `ml_obs.span.llm.*.tokens` → token_spend_anomaly, `*.pii_detections` → sensitive_data_leak; else `other`.
 * - Entities from the scope tags (the triggering group), then the monitor tags: `tenant`/`tenant_id`,
 *   `model_name`/`model`/`model_id`; the application (`ml_app`, `app`) goes to `details.app`.
 */

const unsubstituted = (variable: string) =>
  `must be Datadog's value for ${variable}; a literal "${variable}" or an empty value means the webhook template was not substituted`;

/** A numeric id Datadog renders as a string in the template (`"81234567"`). */
const NumericId = (variable: string) => z.string().regex(/^\d{1,20}$/, unsubstituted(variable));

/** The last millisecond of year 9999: later dates have no RFC 3339 form. */
const MAX_EPOCH_MILLIS = 253_402_300_799_999;

/** Epoch milliseconds as a string (`"1794970812000"`), up to the end of year 9999. */
const EpochMillis = (variable: string) =>
  z
    .string()
    .regex(/^\d{1,15}$/, `must be epoch milliseconds (${variable})`)
    .refine(
      (value) => Number(value) <= MAX_EPOCH_MILLIS,
      `must be epoch milliseconds before year 10000 (${variable})`,
    );

/** A comma-separated tag list (`env:prod,ml_app:support-chat`): entities come from it, so no control characters. */
const TagList = cleanString(4096, 0);

const HttpUrlOrEmpty = z
  .string()
  .max(2048)
  .refine((value) => value === "" || /^https:\/\/[^\s]+$/.test(value), "must be an https URL or empty");

export const DATADOG_TRANSITIONS = [
  "Triggered",
  "Re-Triggered",
  "Warn",
  "Re-Warn",
  "No Data",
  "Re-No Data",
  "Renotify",
  "Null",
  "Recovered",
] as const;

const DatadogWebhook = z
  .object({
    source: z.literal("datadog", { error: 'source must be "datadog" (the template\'s constant)' }),
    alert_id: NumericId("$ALERT_ID"),
    aggreg_key: cleanString(128, 0),
    cycle_key: NumericId("$ALERT_CYCLE_KEY"),
    transition: z.enum(DATADOG_TRANSITIONS),
    alert_type: z.enum(["error", "warning", "success", "info"]),
    status: z.string().max(4096),
    priority: z.enum(["P1", "P2", "P3", "P4", "P5", ""]),
    title: z.string().min(1).max(1024),
    message: z.string().max(16_384),
    query: z.string().max(8192),
    scope: TagList,
    metric: cleanString(512, 0),
    tags: TagList,
    hostname: cleanString(255, 0),
    link: HttpUrlOrEmpty,
    snapshot: HttpUrlOrEmpty,
    event_id: NumericId("$ID"),
    event_type: cleanString(64, 0),
    date: EpochMillis("$DATE"),
    last_updated: EpochMillis("$LAST_UPDATED"),
    org: z.object({ id: NumericId("$ORG_ID"), name: z.string().max(256) }),
  })
  .superRefine((payload, ctx) => {
    const declared = tagValues(payload.tags).get("quell_type");
    if (declared !== undefined && !AlertType.safeParse(declared).success) {
      ctx.addIssue({
        code: "custom",
        message: `tag quell_type:${declared.slice(0, 64)} is not a Quell alert type; use one of ${AlertType.options.join(", ")}`,
        path: ["tags"],
      });
    }
  });
type DatadogWebhook = z.infer<typeof DatadogWebhook>;

/** `k:v` pairs of a Datadog tag list, first value per key; bare tags (`monitor`) are skipped. */
function tagValues(list: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const tag of list.split(",")) {
    const separator = tag.indexOf(":");
    if (separator <= 0) continue;
    const key = tag.slice(0, separator).trim();
    const value = tag.slice(separator + 1).trim();
    if (value && !values.has(key)) values.set(key, value);
  }
  return values;
}

const STATUS: Record<DatadogWebhook["transition"], CanonicalAlert["status"]> = {
  Triggered: "firing",
  Warn: "firing",
  "Re-Triggered": "update",
  "Re-Warn": "update",
  Renotify: "update",
  "No Data": "update",
  "Re-No Data": "update",
  Null: "update",
  Recovered: "resolved",
};

const PRIORITY: Record<Exclude<DatadogWebhook["priority"], "">, Severity> = {
  P1: "critical",
  P2: "high",
  P3: "medium",
  P4: "low",
  P5: "info",
};

const ALERT_TYPE_SEVERITY: Record<DatadogWebhook["alert_type"], Severity> = {
  error: "high",
  warning: "medium",
  info: "info",
  success: "info",
};

/** Metric name → alert type, from the reference samples' rows. */
const METRIC_TYPES: readonly [pattern: RegExp, type: AlertType][] = [
  [/^ml_obs\.span\.llm\.[a-z_]+\.tokens$/, "token_spend_anomaly"],
  [/\.pii_detections$/, "sensitive_data_leak"],
];

function typeOf(payload: DatadogWebhook, tags: Map<string, string>): AlertType {
  const declared = AlertType.safeParse(tags.get("quell_type"));
  if (declared.success) return declared.data;
  const metrics = [payload.metric, ...(payload.query.match(/[A-Za-z_][\w.]*/g) ?? [])].filter(Boolean);
  for (const metric of metrics) {
    const match = METRIC_TYPES.find(([pattern]) => pattern.test(metric));
    if (match) return match[1];
  }
  return "other";
}

function entitiesOf(scope: Map<string, string>, tags: Map<string, string>): Entity[] {
  const value = (...keys: string[]) => {
    for (const source of [scope, tags])
      for (const key of keys) {
        const found = source.get(key);
        if (found && found.length <= 512) return found;
      }
    return undefined;
  };
  const entities: Entity[] = [];
  const tenant = value("tenant", "tenant_id");
  if (tenant) entities.push({ kind: "tenant", id: tenant });
  const model = value("model_name", "model", "model_id");
  if (model) entities.push({ kind: "model", id: model });
  return entities;
}

export const datadog: SourceAdapter<DatadogWebhook> = {
  name: "datadog",
  secretName: SecretNames.datadogToken,
  authenticate: bearerToken,
  schema: DatadogWebhook,
  normalize(payload, receipt) {
    const scope = tagValues(payload.scope);
    const tags = tagValues(payload.tags);
    const type = typeOf(payload, tags);
    const app = scope.get("ml_app") ?? tags.get("ml_app") ?? scope.get("app") ?? tags.get("app");
    const canonical: CanonicalAlert = {
      id: alertIdFor(receipt, 0),
      source: "datadog",
      sourceIds: {
        monitorId: payload.alert_id,
        cycleKey: payload.cycle_key,
        eventId: payload.event_id,
        orgId: payload.org.id,
      },
      type,
      severity: payload.priority ? PRIORITY[payload.priority] : ALERT_TYPE_SEVERITY[payload.alert_type],
      status: STATUS[payload.transition],
      title: titleFrom(payload.title, `Datadog monitor ${payload.alert_id} ${payload.transition}`),
      occurredAt: new Date(Number(payload.date)).toISOString(),
      receivedAt: receipt.receivedAt,
      dedupKey: `datadog:${payload.alert_id}:${payload.cycle_key}`,
      entities: uniqueEntities(entitiesOf(scope, tags)),
      tags: tagsFor(type),
      details: {
        monitorId: payload.alert_id,
        transition: payload.transition,
        alertType: payload.alert_type,
        priority: payload.priority || null,
        app: app ? detail(app) : null,
        metric: payload.metric || null,
        query: detail(payload.query),
        scope: detail(payload.scope),
        tags: detail(payload.tags),
        alertStatus: detail(payload.status),
        hostname: payload.hostname || null,
        link: payload.link || null,
        snapshot: payload.snapshot || null,
        eventType: payload.event_type || null,
        aggregKey: payload.aggreg_key || null,
        orgId: payload.org.id,
        orgName: detail(payload.org.name),
      },
    };
    return [canonical];
  },
};
