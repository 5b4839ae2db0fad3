import * as z from "zod";
import { AlertType, type CanonicalAlert, type Entity, type Severity, tagsFor } from "../shared/alert.js";
import { SecretNames } from "../shared/env.js";
import { sha256Hex } from "../shared/hash.js";
import { bearerToken } from "./auth.js";
import { cleanString, detail, titleFrom, uniqueEntities } from "./labels.js";
import { alertIdFor, type SourceAdapter } from "./source.js";

/** The instants an RFC 3339 timestamp can name (`Date.parse` is NaN for impossible dates, which fails both). */
const FIRST_INSTANT = Date.parse("0001-01-01T00:00:00Z");
const LAST_INSTANT = Date.parse("9999-12-31T23:59:59.999Z");

/** ISO 8601 with a zone, as PagerDuty accepts it (`2026-11-22T08:47:15.000+0000` as well as `+00:00`, `Z`). */
const Timestamp = z
  .string()
  .max(64)
  .regex(
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})$/,
    "must be an ISO 8601 timestamp with a time zone",
  )
  .refine((value) => {
    const at = Date.parse(value);
    return at >= FIRST_INSTANT && at <= LAST_INSTANT;
  }, "must be a real date and time between years 1 and 9999 (UTC)");

const IpAddress = z.union([z.ipv4(), z.ipv6()], { error: "must be an IP address" });

/** The `custom_details` keys Quell reads; every other key passes through untouched. */
const CustomDetails = z.looseObject({
  quell_type: AlertType.optional(),
  tenant_id: cleanString(512).optional(),
  tenant: cleanString(512).optional(),
  model_id: cleanString(512).optional(),
  model: cleanString(512).optional(),
  model_name: cleanString(512).optional(),
  api_key_id: cleanString(256).optional(),
  source_ip: IpAddress.optional(),
  source_ips: z.array(IpAddress).max(50).optional(),
});

const Payload = z.object({
  summary: z.string().min(1).max(1024),
  source: cleanString(255),
  severity: z.enum(["critical", "error", "warning", "info"]),
  timestamp: Timestamp.optional(),
  component: cleanString(255).optional(),
  group: cleanString(255).optional(),
  class: cleanString(255).optional(),
  custom_details: CustomDetails.optional(),
});

/**
 * A PagerDuty Events API v2 event (`POST /v2/enqueue` shape). Quell authenticates with the bearer token, not
 * `routing_key`, which is required by the shape but never stored.
 */
const PagerDutyEvent = z
  .object({
    routing_key: cleanString(128),
    event_action: z.enum(["trigger", "acknowledge", "resolve"]),
    dedup_key: cleanString(255).optional(),
    payload: Payload.optional(),
    links: z
      .array(z.object({ href: z.string().max(2048), text: z.string().max(1024).optional() }))
      .max(50)
      .optional(),
    client: z.string().max(256).optional(),
    client_url: z.string().max(2048).optional(),
  })
  .superRefine((event, ctx) => {
    if (event.event_action === "trigger" && !event.payload) {
      ctx.addIssue({
        code: "custom",
        message: "payload (summary, source, severity) is required for trigger",
        path: ["payload"],
      });
    }
    if (event.event_action !== "trigger" && event.dedup_key === undefined) {
      ctx.addIssue({
        code: "custom",
        message: `dedup_key is required for ${event.event_action}: it names the alert to ${event.event_action}`,
        path: ["dedup_key"],
      });
    }
  });
type PagerDutyEvent = z.infer<typeof PagerDutyEvent>;

const STATUS: Record<PagerDutyEvent["event_action"], CanonicalAlert["status"]> = {
  trigger: "firing",
  acknowledge: "update",
  resolve: "resolved",
};

/** R1: critical critical, error high, warning medium, info info. */
const SEVERITY: Record<z.infer<typeof Payload>["severity"], Severity> = {
  critical: "critical",
  error: "high",
  warning: "medium",
  info: "info",
};

/** `custom_details.quell_type`, else a `class` that is exactly a Quell type (the samples' rows), else `other`. */
function typeOf(payload: z.infer<typeof Payload> | undefined): AlertType {
  if (payload?.custom_details?.quell_type) return payload.custom_details.quell_type;
  const byClass = AlertType.safeParse(payload?.class);
  return byClass.success ? byClass.data : "other";
}

function entitiesOf(details: z.infer<typeof CustomDetails> | undefined): Entity[] {
  if (!details) return [];
  const entities: Entity[] = [];
  const tenant = details.tenant_id ?? details.tenant;
  if (tenant) entities.push({ kind: "tenant", id: tenant });
  const model = details.model_id ?? details.model ?? details.model_name;
  if (model) entities.push({ kind: "model", id: model });
  for (const ip of [details.source_ip, ...(details.source_ips ?? [])])
    if (ip) entities.push({ kind: "ip", id: ip });
  return entities;
}

/**
 * Events API v2 events (from a monitor that speaks PagerDuty's format), authenticated with `Authorization:
 * Bearer <QUELL_SOURCE_TOKEN_PAGERDUTY>`.
 *
 * - Dedup key `pagerduty:<dedup_key>`; a trigger without one gets `pagerduty:sha256:<hash of its payload>`, so
 *   a redelivery still deduplicates (nothing can acknowledge or resolve it later, as in PagerDuty).
 * - `event_action`: trigger → firing, acknowledge → update, resolve → resolved.
 * - Severity from `payload.severity` (R1); an acknowledge or resolve without payload is `info`.
 * - Type from `custom_details.quell_type`, else `payload.class` when it is a Quell type, else `other`.
 * - Entities from `custom_details`: tenant_id/tenant, model_id/model/model_name, source_ip(s).
 */
export const pagerduty: SourceAdapter<PagerDutyEvent> = {
  name: "pagerduty",
  secretName: SecretNames.pagerdutyToken,
  authenticate: bearerToken,
  schema: PagerDutyEvent,
  normalize(event, receipt) {
    const { payload } = event;
    const type = typeOf(payload);
    const dedup = event.dedup_key ?? `sha256:${sha256Hex(JSON.stringify(payload ?? null)).slice(0, 40)}`;
    const custom = payload?.custom_details;
    const canonical: CanonicalAlert = {
      id: alertIdFor(receipt, 0),
      source: "pagerduty",
      sourceIds: { dedupKey: dedup },
      type,
      severity: payload ? SEVERITY[payload.severity] : "info",
      status: STATUS[event.event_action],
      title: titleFrom(payload?.summary ?? "", `PagerDuty ${event.event_action} for ${dedup}`),
      occurredAt: payload?.timestamp ? new Date(payload.timestamp).toISOString() : receipt.receivedAt,
      receivedAt: receipt.receivedAt,
      dedupKey: `pagerduty:${dedup}`,
      entities: uniqueEntities(entitiesOf(custom)),
      tags: tagsFor(type),
      details: {
        eventAction: event.event_action,
        dedupKey: dedup,
        summary: payload ? detail(payload.summary) : null,
        payloadSource: payload?.source ?? null,
        payloadSeverity: payload?.severity ?? null,
        component: payload?.component ?? null,
        group: payload?.group ?? null,
        class: payload?.class ?? null,
        tenant: custom?.tenant_id ?? custom?.tenant ?? null,
        apiKeyId: custom?.api_key_id ?? null,
        client: event.client ? detail(event.client) : null,
        clientUrl: event.client_url ? detail(event.client_url) : null,
        link: event.links?.[0]?.href ? detail(event.links[0].href) : null,
      },
    };
    return [canonical];
  },
};
