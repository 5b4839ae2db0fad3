import * as z from "zod";
import {
  AlertType,
  type CanonicalAlert,
  type Entity,
  type EntityKind,
  Severity,
  tagsFor,
} from "../shared/alert.js";
import { SecretNames } from "../shared/env.js";
import { quellReplay, quellSignature } from "./auth.js";
import { guarded, MAX_BODY_DEPTH, MAX_GENERIC_BYTES } from "./body-guard.js";
import { SMOKE_EMITTER } from "./smoke-emitter.js";
import { alertIdFor, type SourceAdapter } from "./source.js";
import { clip, escapeText, identifier, labelValue, Provider, printableAscii } from "./text-rules.js";

/**
 * `POST /alerts/generic`: Quell's own wire format (`schemaVersion: "1"`) for emitters with no native
 * integration. It is a public contract, documented field by field in GENERIC-WIRE-FORMAT.md: change both
 * together, and only in ways that keep every body valid today valid tomorrow.
 *
 * The building blocks below (time window, principals), the text rules (text-rules.ts) and the body guard
 * (body-guard.ts) are shared with the inline-detector routes, which take the same principal and signing scheme.
 */

export { bodyGuardIssues, FORBIDDEN_KEYS, guarded, MAX_BODY_DEPTH, MAX_GENERIC_BYTES } from "./body-guard.js";
export { clip, escapeText, identifier, ipAddress, Provider, printableAscii } from "./text-rules.js";

// ---------------------------------------------------------------------------------------------------------
// Time: an alert from an unset clock (1970) or from the future is refused.

export const MAX_FUTURE_SKEW_SECONDS = 15 * 60;
export const MAX_AGE_DAYS = 30;

/** An RFC 3339 timestamp within [now - 30 days, now + 15 minutes]; `utcOnly` requires the `Z` form. */
export const recentTimestamp = (options: { utcOnly: boolean }) =>
  z.iso
    .datetime({
      offset: !options.utcOnly,
      error: options.utcOnly
        ? "must be an RFC 3339 UTC timestamp such as 2026-11-24T03:12:00Z"
        : "must be an RFC 3339 timestamp such as 2026-11-24T03:12:00Z or 2026-11-24T04:12:00+01:00",
    })
    .superRefine((value, ctx) => {
      const at = Date.parse(value);
      if (!Number.isFinite(at)) return; // the format check has said why
      const now = Date.now();
      if (at > now + MAX_FUTURE_SKEW_SECONDS * 1000)
        ctx.addIssue({
          code: "custom",
          message: `is more than ${MAX_FUTURE_SKEW_SECONDS / 60} minutes in the future (check the sender's clock)`,
        });
      else if (at < now - MAX_AGE_DAYS * 86_400_000)
        ctx.addIssue({
          code: "custom",
          message: `is more than ${MAX_AGE_DAYS} days old; the window is 30 days`,
        });
    });

// ---------------------------------------------------------------------------------------------------------
// Principals: who did it. Shared with the inline detectors.

export const PrincipalType = z.enum([
  "end_user",
  "iam_user",
  "iam_role",
  "service_account",
  "api_key",
  "agent",
  "unknown",
]);
export type PrincipalType = z.infer<typeof PrincipalType>;

/** The entity a principal becomes: end users and agents have their own kinds; the rest are principals. */
export const principalEntityKind = (type: PrincipalType): EntityKind =>
  type === "end_user" ? "end_user" : type === "agent" ? "agent" : "principal";

// ---------------------------------------------------------------------------------------------------------
// The generic alert, schemaVersion "1".

export const Environment = z.enum(["prod", "staging", "dev", "test"]);

export const AssetKind = z.enum([
  "model",
  "model_endpoint",
  "model_artifact",
  "dataset",
  "knowledge_base",
  "guardrail",
  "agent",
  "agent_tool",
  "application",
  "api_key",
  "prompt_template",
  "repository",
  "account",
]);
type AssetKind = z.infer<typeof AssetKind>;

/** Assets that have an entity kind of their own; the others are kept in details only. */
const ASSET_ENTITY_KIND: Partial<Record<AssetKind, EntityKind>> = {
  model: "model",
  model_endpoint: "model",
  guardrail: "guardrail",
  agent: "agent",
  api_key: "provider_key",
  repository: "repository",
  account: "account",
};

/** The 14 AI alert types; `other` is Quell's own bucket and not something an emitter reports. */
export const GenericAlertType = AlertType.exclude(["other"]);

const mapKey = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,47}$/, {
  error:
    "keys are 1-48 characters: letters, digits, '_', '.', ':', '/', '-' (starting with a letter or digit)",
});

const GenericPrincipal = z.strictObject({
  type: PrincipalType,
  id: identifier(256),
  provider: Provider,
  displayName: identifier(128).optional(),
});

const GenericAsset = z.strictObject({
  kind: AssetKind,
  id: identifier(512),
  provider: Provider,
  environment: Environment,
  region: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{1,31}$/, { error: "must be a region name such as us-east-1 or westeurope" })
    .optional(),
  accountId: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, {
      error: "must be 1-64 letters, digits, '.', '_', ':' or '-'",
    })
    .optional(),
});

export const GenericAlertV1 = z.strictObject({
  schemaVersion: z.literal("1", { error: 'must be "1" (the only version of this format)' }),
  id: printableAscii(128),
  source: z
    .string()
    .min(8)
    .max(64)
    .regex(new RegExp(`^(custom:[a-z0-9:._-]+|${SMOKE_EMITTER})$`), {
      error: "must be custom:<emitter-name> in lower case (letters, digits, ':', '.', '_', '-'), at most 64",
    }),
  type: GenericAlertType,
  severity: Severity,
  status: z.enum(["firing", "resolved"]).default("firing"),
  title: z.string().min(1).max(300).optional(),
  description: z.string().min(1).max(4000).optional(),
  occurredAt: recentTimestamp({ utcOnly: true }),
  principal: GenericPrincipal,
  asset: GenericAsset,
  evidence: z
    .record(mapKey, z.unknown())
    .refine((evidence) => Object.keys(evidence).length <= 64, { error: "at most 64 top-level keys" })
    .optional(),
  labels: z
    .record(mapKey, labelValue)
    .refine((labels) => Object.keys(labels).length <= 32, { error: "at most 32 labels" })
    .optional(),
  dedupKey: printableAscii(255),
  frameworks: z
    .strictObject({
      owasp: z
        .array(
          z.string().regex(/^LLM(0[1-9]|10)(:2025)?$/, {
            error: "must be an OWASP Top 10 for LLM Applications 2025 id, LLM01 to LLM10 (optionally :2025)",
          }),
        )
        .max(10)
        .optional(),
      atlas: z
        .array(
          z.string().regex(/^AML\.T\d{4}(\.\d{3})?$/, {
            error: "must be a MITRE ATLAS technique id such as AML.T0051 or AML.T0051.000",
          }),
        )
        .max(20)
        .optional(),
    })
    .optional(),
});
export type GenericAlertV1 = z.infer<typeof GenericAlertV1>;

const GenericBody = guarded(GenericAlertV1, { maxDepth: MAX_BODY_DEPTH, maxBytes: MAX_GENERIC_BYTES });

type DetailValue = CanonicalAlert["details"][string];
const MAX_DETAIL_TEXT = 2048;

const KEEP_LINE_BREAKS = { keepLineBreaks: true } as const;

/** A free-text fact: escaped, and cut (with a flag saying so) when it exceeds what details can hold. */
function textFact(details: Record<string, DetailValue>, key: string, text: string, keepLineBreaks = false) {
  const escaped = escapeText(text, keepLineBreaks ? KEEP_LINE_BREAKS : undefined);
  details[key] = clip(escaped, MAX_DETAIL_TEXT);
  if (escaped.length > MAX_DETAIL_TEXT) details[`${key}Truncated`] = true;
}

/**
 * The detail keys made from a sender's keys (`evidence.<key>`, `label.<key>`), kept once made: the same few
 * keys come back with every alert of an emitter, and a key string made once is a property key found at
 * once. Bounded: a flood of distinct keys only empties it.
 */
class PrefixedKeys {
  private readonly made = new Map<string, string>();
  constructor(private readonly prefix: string) {}
  named(key: string): string {
    let name = this.made.get(key);
    if (name === undefined) {
      if (this.made.size >= MAX_PREFIXED_KEYS) this.made.clear();
      name = `${this.prefix}${key}`;
      this.made.set(key, name);
    }
    return name;
  }
}
const MAX_PREFIXED_KEYS = 1024;
const EVIDENCE_KEYS = new PrefixedKeys("evidence.");
const LABEL_KEYS = new PrefixedKeys("label.");

/** Evidence is free-form: scalars are kept as facts, arrays and objects as compact JSON. */
function evidenceFacts(details: Record<string, DetailValue>, evidence: Record<string, unknown>) {
  for (const key of Object.keys(evidence)) {
    const value = evidence[key];
    const name = EVIDENCE_KEYS.named(key);
    if (value === null || typeof value === "boolean" || typeof value === "number") details[name] = value;
    else textFact(details, name, typeof value === "string" ? value : JSON.stringify(value));
  }
}

/** The first 50 distinct entities, in order. */
export const uniqueEntities = (entities: readonly Entity[]): Entity[] => {
  if (entities.length > FEW_ENTITIES) return uniqueManyEntities(entities);
  const unique: Entity[] = [];
  for (const entity of entities) if (!unique.some((seen) => sameEntity(seen, entity))) unique.push(entity);
  return unique;
};

/** Up to this many, entities are compared pairwise (most alerts name a handful); more go through a set. */
const FEW_ENTITIES = 16;

const entityKey = (entity: Entity) => `${entity.kind}\u0000${entity.id}\u0000${entity.provider ?? ""}`;

/** Equal keys; kinds hold no NUL, so differing kinds are told apart without building the keys. */
const sameEntity = (a: Entity, b: Entity) => a.kind === b.kind && entityKey(a) === entityKey(b);

function uniqueManyEntities(entities: readonly Entity[]): Entity[] {
  const seen = new Set<string>();
  const unique: Entity[] = [];
  for (const entity of entities) {
    const key = entityKey(entity);
    if (seen.has(key)) continue;
    seen.add(key);
    if (unique.push(entity) === 50) break;
  }
  return unique;
}

const withOwaspYear = (id: string) => (id.includes(":") ? id : `${id}:2025`);
/** The ids of both lists, each once, in order of first appearance. */
function union(first: readonly string[], second: readonly string[]): string[] {
  const ids: string[] = [];
  for (const id of first) if (!ids.includes(id)) ids.push(id);
  for (const id of second) if (!ids.includes(id)) ids.push(id);
  return ids;
}

/** ATLAS technique ids without a parent whose sub-technique is listed too (`AML.T0024` beside `.002`). */
const withoutCoveredParents = (ids: string[]) =>
  ids.filter((id) => !ids.some((other) => isChildOf(other, id)));

/** `other` starts with `${id}.` (compared in place, without building that string). */
const isChildOf = (other: string, id: string) =>
  other.length > id.length && other.charCodeAt(id.length) === 46 /* . */ && other.startsWith(id);

export const generic: SourceAdapter<GenericAlertV1> = {
  name: "generic",
  secretName: SecretNames.webhookSecret,
  authenticate: quellSignature,
  replayOf: quellReplay,
  schema: GenericBody,
  normalize(alert, receipt) {
    const { principal, asset } = alert;
    const taxonomy = tagsFor(alert.type);
    const assetKind = ASSET_ENTITY_KIND[asset.kind];
    // Built key by key, in this order (the order of the keys): V8 builds `{ ...a, b }` on a slow path, and
    // this runs for every alert.
    const entities: Entity[] = [
      { kind: principalEntityKind(principal.type), id: principal.id, provider: principal.provider },
    ];
    if (assetKind) entities.push({ kind: assetKind, id: asset.id, provider: asset.provider });
    if (asset.accountId) entities.push({ kind: "account", id: asset.accountId, provider: asset.provider });
    const details: Record<string, DetailValue> = {
      schemaVersion: alert.schemaVersion,
      emitter: alert.source,
      emitterAlertId: alert.id,
      principalType: principal.type,
      principalId: principal.id,
      principalProvider: principal.provider,
    };
    if (principal.displayName) details.principalDisplayName = principal.displayName;
    details.assetKind = asset.kind;
    details.assetId = asset.id;
    details.assetProvider = asset.provider;
    details.environment = asset.environment;
    if (asset.region) details.region = asset.region;
    if (asset.accountId) details.accountId = asset.accountId;
    if (alert.description) textFact(details, "description", alert.description, true);
    const labels = alert.labels ?? {};
    for (const key of Object.keys(labels)) details[LABEL_KEYS.named(key)] = labels[key] as string;
    if (alert.evidence) evidenceFacts(details, alert.evidence);
    const sourceIds: Record<string, string> = { emitter: alert.source, id: alert.id };
    if (receipt.deliveryId) sourceIds.deliveryId = receipt.deliveryId;

    const title = alert.title
      ? escapeText(alert.title)
      : `${alert.type} on ${asset.kind} ${asset.id} reported by ${alert.source}`;
    const canonical: CanonicalAlert = {
      id: alertIdFor(receipt, 0),
      source: "generic",
      sourceIds,
      type: alert.type,
      severity: alert.severity,
      status: alert.status,
      title: clip(title, 300),
      occurredAt: alert.occurredAt,
      receivedAt: receipt.receivedAt,
      dedupKey: `generic:${alert.dedupKey}`,
      entities: uniqueEntities(entities),
      tags: {
        owasp: union(taxonomy.owasp, (alert.frameworks?.owasp ?? []).map(withOwaspYear)),
        atlas: withoutCoveredParents(union(taxonomy.atlas, alert.frameworks?.atlas ?? [])),
      },
      details,
    };
    return [canonical];
  },
};
