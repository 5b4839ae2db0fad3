import * as z from "zod";
import { AlertType, type CanonicalAlert, type Entity, type Severity } from "../shared/alert.js";

/**
 * Shared by the ops-tool adapters (Alertmanager, Grafana, Datadog, PagerDuty): the character rules for
 * anything that becomes a dedup key, an entity or a label, and the label → canonical mapping that
 * Alertmanager and Grafana share.
 */

/**
 * Never allowed in identifiers, label names or label values: C0/C1 control characters (NUL, ESC, CR, LF...),
 * zero-width and direction marks, line/paragraph separators, bidi embeddings/overrides/isolates and the BOM.
 */
const FORBIDDEN_CHARACTER =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
  /[\u0000-\u001F\u007F-\u009F\u200B-\u200F\u2028\u2029\u202A-\u202E\u2060-\u2069\uFEFF]/;
const FORBIDDEN_CHARACTERS = new RegExp(FORBIDDEN_CHARACTER.source, "g");

const codePoint = (char: string) =>
  `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;

/** Why a value is refused, naming the first offending character; undefined when it is clean. */
export function forbiddenCharacterIn(value: string): string | undefined {
  const found = FORBIDDEN_CHARACTER.exec(value)?.[0];
  if (found === undefined) return undefined;
  return (
    `contains ${codePoint(found)}: control characters (U+0000-U+001F, U+007F-U+009F) and zero-width or ` +
    "bidi controls (U+200B-U+200F, U+202A-U+202E, U+2066-U+2069) are not allowed in identifiers or labels"
  );
}

/** A string with no control or bidi characters, `min`..`max` long. */
export const cleanString = (max: number, min = 1) =>
  z
    .string()
    .min(min)
    .max(max)
    .superRefine((value, ctx) => {
      const problem = forbiddenCharacterIn(value);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    });

/** Keys that would reach `Object.prototype` through careless code; refused as label names. */
const RESERVED_KEYS = new Set(["__proto__", "constructor", "prototype"]);

export const MAX_LABELS = 100;
export const MAX_LABEL_NAME = 128;
/** Label values become entity ids (at most 512) and dedup material. */
export const MAX_LABEL_VALUE = 512;

/** The label names a type can be declared with, in order of precedence: `quell_type`, then `ai_incident_type`. */
export const TYPE_LABELS = ["quell_type", "ai_incident_type"] as const;

const checkLabelNames = (value: unknown, ctx: z.core.$RefinementCtx) => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return;
  const names = Object.keys(value);
  if (names.length > MAX_LABELS)
    ctx.addIssue({ code: "custom", message: `at most ${MAX_LABELS} labels; got ${names.length}` });
  for (const name of names) {
    const problem = RESERVED_KEYS.has(name)
      ? `label name "${name}" is reserved`
      : name.length === 0 || name.length > MAX_LABEL_NAME
        ? `label names are 1 to ${MAX_LABEL_NAME} characters`
        : forbiddenCharacterIn(name);
    if (problem) ctx.addIssue({ code: "custom", message: problem, path: [name] });
  }
};

/**
 * A label set: string values only (never numbers or objects), no control or bidi characters in names or
 * values, no `__proto__`/`constructor`/`prototype` names. Names are checked on the raw input, because a parsed
 * record silently drops an own `__proto__` key. Empty values are allowed (Prometheus treats them as absent) and
 * are never turned into entities.
 */
export const labelSet = () =>
  z.preprocess(
    (value, ctx) => {
      checkLabelNames(value, ctx);
      return value;
    },
    z.record(z.string(), cleanString(MAX_LABEL_VALUE, 0)),
  );

/** An alert's own labels: a label set whose `quell_type` / `ai_incident_type`, if present, is a Quell type. */
export const alertLabels = () =>
  labelSet().superRefine((labels, ctx) => {
    for (const name of TYPE_LABELS) {
      const value = labelOf(labels, name);
      if (value !== undefined && !AlertType.safeParse(value).success) {
        ctx.addIssue({
          code: "custom",
          message: `${name} "${value.slice(0, 64)}" is not a Quell alert type; use one of ${AlertType.options.join(", ")}`,
          path: [name],
        });
      }
    }
  });

/** Annotations are free text (newlines allowed, rendered escaped), bounded. */
export const Annotations = z.record(z.string().max(MAX_LABEL_NAME), z.string().max(16_384));

export type Labels = Readonly<Record<string, string>>;

/** A label's value when it is present and non-empty; own properties only. */
export const labelOf = (labels: Labels | undefined, name: string): string | undefined => {
  if (!labels || !Object.hasOwn(labels, name)) return undefined;
  const value = labels[name];
  return value ? value : undefined;
};

const firstLabel = (labels: Labels, names: readonly string[]) => {
  for (const name of names) {
    const value = labelOf(labels, name);
    if (value !== undefined) return value;
  }
  return undefined;
};

/** R1 for Alertmanager/Grafana's `severity` label: critical, high, warning → medium, info; missing → medium. */
const SEVERITY_LABELS = new Map<string, Severity>([
  ["critical", "critical"],
  ["high", "high"],
  ["error", "high"],
  ["warning", "medium"],
  ["warn", "medium"],
  ["medium", "medium"],
  ["low", "low"],
  ["info", "info"],
  ["informational", "info"],
  ["none", "info"],
]);

/** Unrecognised values count as missing (medium); the raw value is kept in the details. */
export const severityOfLabel = (value: string | undefined): Severity =>
  (value !== undefined ? SEVERITY_LABELS.get(value.toLowerCase()) : undefined) ?? "medium";

/**
 * Rule names (`alertname`) with a known type, from the reference samples' rows. Exact matches only: a rule
 * that is not here and declares no `quell_type` label is `other`.
 */
export const RULE_TYPES: ReadonlyMap<string, AlertType> = new Map<string, AlertType>([
  ["VLLMTokenRateAnomaly", "token_spend_anomaly"],
  ["PromptAttackDetectionsSpike", "prompt_injection"],
]);

/** The declared type label (already validated by `alertLabels`), else the rule name, else `other`. */
export function typeOfLabels(labels: Labels): AlertType {
  const declared = AlertType.safeParse(firstLabel(labels, TYPE_LABELS));
  if (declared.success) return declared.data;
  const rule = labelOf(labels, "alertname");
  return (rule !== undefined ? RULE_TYPES.get(rule) : undefined) ?? "other";
}

/** Which labels name which entity, first match per row wins. */
const ENTITY_LABELS: readonly [kind: Entity["kind"], names: readonly string[]][] = [
  ["tenant", ["tenant", "tenant_id"]],
  ["model", ["model", "model_name", "model_id"]],
  ["end_user", ["end_user", "user_id"]],
  ["principal", ["principal", "principal_arn"]],
  ["access_key", ["access_key_id"]],
  ["account", ["account_id", "aws_account_id"]],
  ["guardrail", ["guardrail", "guardrail_id"]],
  ["agent", ["agent", "agent_id"]],
];

/** The application an alert concerns (no entity kind exists for it; it goes to `details.app`). */
export const APP_LABELS = ["app", "application", "ml_app"] as const;

const IpAddress = z.union([z.ipv4(), z.ipv6()]);

/** Entities named by labels: tenant, model, user, principal, key, account, guardrail, agent, client IP. */
export function entitiesOfLabels(labels: Labels): Entity[] {
  const entities: Entity[] = [];
  for (const [kind, names] of ENTITY_LABELS) {
    const id = firstLabel(labels, names);
    if (id !== undefined) entities.push({ kind, id });
  }
  const ip = firstLabel(labels, ["source_ip", "client_ip"]);
  if (ip !== undefined && IpAddress.safeParse(ip).success) entities.push({ kind: "ip", id: ip });
  return entities;
}

export const appOfLabels = (labels: Labels) => firstLabel(labels, APP_LABELS);

/** Cut to `max` UTF-16 units without splitting a surrogate pair, marking the cut with an ellipsis. */
export function bounded(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}

/** A title: control and bidi characters become spaces, whitespace collapses, at most 300 characters. */
export function titleFrom(text: string, fallback: string): string {
  const cleaned = text.replace(FORBIDDEN_CHARACTERS, " ").replace(/\s+/g, " ").trim();
  return bounded(cleaned || fallback, 300);
}

type DetailValue = CanonicalAlert["details"][string];

/** Detail strings are at most 2,048 characters; longer ones are cut (the payload itself was accepted whole). */
export const detail = (text: string): string => bounded(text, 2048);

/** `label_<name>` details for label names that are plain identifiers, so playbooks can read any label. */
export function labelDetails(labels: Labels): Record<string, DetailValue> {
  const details: Record<string, DetailValue> = {};
  for (const [name, value] of Object.entries(labels)) {
    if (/^[A-Za-z_][A-Za-z0-9_]{0,57}$/.test(name)) details[`label_${name}`] = value;
  }
  return details;
}

/** At most 50 entities, each kind+id once. */
export function uniqueEntities(entities: readonly Entity[]): Entity[] {
  const seen = new Set<string>();
  const unique: Entity[] = [];
  for (const entity of entities) {
    const key = `${entity.kind}\u0000${entity.id}`;
    if (seen.has(key)) continue;
    seen.add(key);
    unique.push(entity);
  }
  return unique.slice(0, 50);
}
