import { isIP } from "node:net";
import * as z from "zod";
import {
  type AlertType,
  type CanonicalAlert,
  type Entity,
  type EntityKind,
  type Severity,
  severityRank,
} from "../../shared/alert.js";
import { ValidationError } from "../../shared/errors.js";
import type { Receipt } from "../source.js";

/**
 * What the AWS EventBridge adapters share: the envelope, strict field types, time checks, bounded text,
 * entity lists and the GuardDuty AI Protection rules (R1-R3 of the reference samples) that GuardDuty and
 * Security Hub both apply.
 */

// ---------------------------------------------------------------------------------------------- text

const CONTROL =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
  /[\u0000-\u001F\u007F-\u009F\u2028\u2029]/;
/** Bidi embeddings, overrides and isolates, and the invisible marks that reorder text (Trojan Source). */
const BIDI = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const UNSAFE_IN_TITLE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
  /[\u0000-\u001F\u007F-\u009F\u00AD\u061C\u180E\u200B-\u200F\u2028-\u202E\u2060-\u2069\uFEFF]+/g;

/** An identifier (id, ARN, key id, model id): printable ASCII without spaces. It may end up in a dedup key. */
export const identifier = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[\x21-\x7E]+$/, "must be printable ASCII without spaces or control characters");

/** A short human label (names, enums the source may extend): any text without control or bidi characters. */
export const label = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((value) => !CONTROL.test(value), "control characters are not allowed")
    .refine((value) => !BIDI.test(value), "bidi override or isolate characters are not allowed");

/** Free text (descriptions, reasons, user agents): kept verbatim in details, bounded, never trusted. */
export const freeText = (max: number) => z.string().max(max);

export const AccountId = z.string().regex(/^\d{12}$/, "must be a 12-digit AWS account id");
export const Region = z
  .string()
  .max(32)
  .regex(/^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/, "must be an AWS region such as us-east-1");
export const Partition = z
  .string()
  .max(32)
  .regex(/^aws(?:-[a-z]+)*$/, "must be an AWS partition");

/** Text for a canonical title: no control, bidi or zero-width characters, whitespace collapsed, ≤ max. */
export function titleText(text: string, max = 300): string {
  const clean = text
    .replace(LONE_SURROGATE, "\uFFFD")
    .replace(UNSAFE_IN_TITLE, " ")
    .replace(/\s+/g, " ")
    .trim();
  return truncate(clean, max) || "(untitled)";
}

/** At most `max` UTF-16 units, never splitting a surrogate pair, marked with an ellipsis when cut. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let out = "";
  for (const char of text) {
    if (out.length + char.length > max - 1) break;
    out += char;
  }
  return `${out}…`;
}

/** A detail value: verbatim (well-formed) and bounded to what the canonical alert accepts. */
export const detailText = (text: string | undefined | null, max = 2048): string | null =>
  text === undefined || text === null ? null : truncate(text.replace(LONE_SURROGATE, "\uFFFD"), max);

/** Own string property of a loosely typed record (never an inherited one such as `constructor`). */
export function ownString(record: unknown, key: string): string | undefined {
  if (typeof record !== "object" || record === null || !Object.hasOwn(record, key)) return undefined;
  const value = (record as Record<string, unknown>)[key];
  return typeof value === "string" ? value : undefined;
}

// ---------------------------------------------------------------------------------------------- time

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})$/;

/**
 * No EventBridge event can predate CloudWatch Events (January 2016): earlier times are an uninitialised
 * clock, refused by the schema itself. The window relative to the receipt is checked by `assertFresh`.
 */
export const EARLIEST_EVENT_TIME = "2016-01-01T00:00:00Z";
const EARLIEST_MS = Date.parse(EARLIEST_EVENT_TIME);
const LATEST_MS = Date.UTC(9999, 11, 31, 23, 59, 59);

/** Milliseconds since the epoch of a timestamp the schema accepted (`+0000` offsets included). */
export function timeOf(value: string | number): number {
  if (typeof value === "number") return value;
  return Date.parse(value.replace(/([+-]\d{2})(\d{2})$/, "$1:$2"));
}

/** The ISO form the canonical alert stores. */
export const isoOf = (value: string | number): string => new Date(timeOf(value)).toISOString();

/** An RFC 3339 timestamp as AWS writes them (`Z`, `+00:00` or CloudWatch's `+0000`), a real date, ≥ 2016. */
export const awsTimestamp = z
  .string()
  .max(40)
  .superRefine((value, ctx) => {
    const parts = TIMESTAMP.exec(value);
    const ms = parts ? timeOf(value) : Number.NaN;
    if (!parts || Number.isNaN(ms)) {
      ctx.addIssue({ code: "custom", message: "must be an RFC 3339 timestamp such as 2026-11-18T02:16:31Z" });
      return;
    }
    const [, year, month, day, hour, minute, second] = parts.map(Number);
    const calendar = new Date(Date.UTC(year as number, (month as number) - 1, day, hour, minute, second));
    if (
      calendar.getUTCMonth() !== (month as number) - 1 ||
      calendar.getUTCDate() !== day ||
      (hour as number) > 23 ||
      (minute as number) > 59 ||
      (second as number) > 59
    ) {
      ctx.addIssue({ code: "custom", message: `${value.slice(0, 40)} is not a calendar date and time` });
      return;
    }
    if (ms < EARLIEST_MS)
      ctx.addIssue({
        code: "custom",
        message: `${value.slice(0, 40)} is before ${EARLIEST_EVENT_TIME}, earlier than any EventBridge event`,
      });
  });

/** Epoch milliseconds (OCSF `time`), with the same floor. */
export const epochMillis = z
  .number()
  .int()
  .min(EARLIEST_MS, `must be epoch milliseconds not before ${EARLIEST_EVENT_TIME}`)
  .max(LATEST_MS);

/** How far from the receipt an event's own times may be. */
export const MAX_FUTURE_MS = 24 * 3600 * 1000;
export const MAX_AGE_MS = 365 * 24 * 3600 * 1000;

export interface Issue {
  readonly path: string;
  readonly message: string;
}

export interface Stamp {
  readonly path: string;
  readonly value: string | number | undefined;
}

/**
 * Times more than a day ahead of the receipt or more than a year behind it: a wrong clock or a replayed
 * event. Pure: compares against `receivedAt`, never the wall clock.
 */
export function freshnessIssues(stamps: readonly Stamp[], receivedAt: string): Issue[] {
  const received = Date.parse(receivedAt);
  const issues: Issue[] = [];
  for (const { path, value } of stamps) {
    if (value === undefined) continue;
    const at = timeOf(value);
    const shown = typeof value === "number" ? new Date(at).toISOString() : value;
    if (at > received + MAX_FUTURE_MS)
      issues.push({ path, message: `${shown} is more than 1 day after the receipt time ${receivedAt}` });
    else if (at < received - MAX_AGE_MS)
      issues.push({ path, message: `${shown} is more than 1 year before the receipt time ${receivedAt}` });
  }
  return issues;
}

/** Refuse an event whose times are outside the window: triage does not open an incident, the bus retries and parks it. */
export function assertFresh(source: string, stamps: readonly Stamp[], receipt: Receipt): void {
  const issues = freshnessIssues(stamps, receipt.receivedAt);
  if (issues.length > 0)
    throw new ValidationError(`${source} event is outside the accepted time window`, issues);
}

// ---------------------------------------------------------------------------------------------- envelope

export const Resources = z.array(identifier(2048)).max(100);

/** The EventBridge envelope of one AWS source, its detail validated by `detail`. Unknown fields pass. */
export const envelopeOf = <
  const Source extends string,
  const DetailType extends string,
  Detail extends z.ZodType<Record<string, unknown>>,
>(
  source: Source,
  detailType: DetailType,
  detail: Detail,
  resources: z.ZodType<string[]> = Resources,
) =>
  z.looseObject({
    version: z.string().min(1).max(16),
    id: identifier(64),
    "detail-type": z.literal(detailType),
    source: z.literal(source),
    account: AccountId,
    time: awsTimestamp,
    region: Region,
    resources,
    detail,
  });

// ---------------------------------------------------------------------------------------------- alerts

/** The higher of two severities. */
export const atLeast = (severity: Severity, floor: Severity): Severity =>
  severityRank(severity) >= severityRank(floor) ? severity : floor;

/** The entities of one alert: no duplicates, no empty or oversized ids, at most 50. */
export class EntityList {
  private readonly items: Entity[] = [];
  private readonly seen = new Set<string>();

  add(kind: EntityKind, id: string | undefined | null, provider = "aws"): this {
    if (!id || id.length > 512 || this.items.length >= 50) return this;
    const key = `${kind}\u0000${id}`;
    if (this.seen.has(key)) return this;
    this.seen.add(key);
    this.items.push({ kind, id, provider });
    return this;
  }

  /** An IP address, only when it is one (CloudTrail writes service names such as `AWS Internal` there too). */
  addIp(value: string | undefined | null): this {
    return value && isIP(value) ? this.add("ip", value) : this;
  }

  toArray(): Entity[] {
    return [...this.items];
  }
}

/** Details bounded to what the canonical alert accepts: keys ≤ 64, strings ≤ 2048, no undefined. */
export function boundedDetails(
  details: Record<string, string | number | boolean | null | undefined>,
): CanonicalAlert["details"] {
  const out: CanonicalAlert["details"] = {};
  for (const [key, value] of Object.entries(details)) {
    if (value === undefined || key.length > 64) continue;
    out[key] = typeof value === "string" ? (detailText(value) as string) : value;
  }
  return out;
}

/** Source ids bounded to what the canonical alert accepts. */
export function boundedSourceIds(ids: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(ids)) if (value) out[key] = truncate(value, 512);
  return out;
}

// ---------------------------------------------------------------------------------------------- GuardDuty rules

/** R3: the GuardDuty finding types that are AI incidents. Every other type is `other` (out of scope). */
export const GUARDDUTY_AI_TYPES: ReadonlyMap<string, AlertType> = new Map<string, AlertType>([
  ["Impact:IAMUser/AnomalousModelInvocation", "llmjacking"],
  ["Impact:IAMUser/CostHarvesting", "llmjacking"],
  ["Impact:IAMUser/PromptInjection.Direct", "prompt_injection"],
  ["DefenseEvasion:IAMUser/BedrockLoggingDisabled", "guardrail_tampering"],
]);

export const guardDutyAlertType = (findingType: string): AlertType =>
  GUARDDUTY_AI_TYPES.get(findingType) ?? "other";

/** A GuardDuty finding type, `<ThreatPurpose>:<ResourceType>/<Name>`. */
export const GuardDutyFindingType = z
  .string()
  .min(1)
  .max(100)
  .regex(
    /^[A-Za-z0-9]+:[A-Za-z0-9]+\/[\x21-\x7E]+$/,
    "must be a GuardDuty finding type such as Impact:IAMUser/AnomalousModelInvocation",
  );

/** R1: GuardDuty's numeric severity. */
export function guardDutySeverity(score: number): Severity {
  if (score >= 9) return "critical";
  if (score >= 7) return "high";
  if (score >= 4) return "medium";
  return "low";
}

/**
 * R2: floors for the AI Protection types, whose default GuardDuty severity is Low. A long-term key (IAM user
 * or root) abused for model invocation is urgent; other principals at least medium; a direct prompt
 * injection at least medium. Applies to raw, ASFF and OCSF copies alike.
 */
export function guardDutyFloor(
  findingType: string,
  principalType: string | undefined,
): { floor: Severity; rule: string } | undefined {
  if (
    findingType === "Impact:IAMUser/AnomalousModelInvocation" ||
    findingType === "Impact:IAMUser/CostHarvesting"
  ) {
    return principalType === "IAMUser" || principalType === "Root"
      ? {
          floor: "high",
          rule: `R2: at least high for ${principalType === "Root" ? "a root" : "an IAM user"} key`,
        }
      : { floor: "medium", rule: "R2: at least medium for a principal other than an IAM user or root" };
  }
  if (findingType === "Impact:IAMUser/PromptInjection.Direct")
    return { floor: "medium", rule: "R2: at least medium for a direct prompt injection" };
  return undefined;
}

/** Severity per R1 then R2, and which rule raised it (for the details). */
export function guardDutyFinalSeverity(
  base: Severity,
  findingType: string,
  principalType: string | undefined,
): { severity: Severity; severityRule: string | null } {
  const floor = guardDutyFloor(findingType, principalType);
  if (!floor) return { severity: base, severityRule: null };
  const severity = atLeast(base, floor.floor);
  return { severity, severityRule: severity === base ? null : floor.rule };
}

const IAM_NAME = /^[\w+=,.@-]{1,128}$/;

/**
 * The principal ARN GuardDuty names only by type and name. GuardDuty does not carry the IAM path, so this is
 * the ARN of a principal on the default path `/`.
 */
export function principalArnOf(principal: {
  partition: string;
  accountId: string;
  type: string | undefined;
  name: string | undefined;
}): string | undefined {
  const { partition, accountId, type, name } = principal;
  if (type === "Root") return `arn:${partition}:iam::${accountId}:root`;
  if (!name || !IAM_NAME.test(name)) return undefined;
  if (type === "IAMUser") return `arn:${partition}:iam::${accountId}:user/${name}`;
  if (type === "AssumedRole" || type === "Role") return `arn:${partition}:iam::${accountId}:role/${name}`;
  if (type === "FederatedUser") return `arn:${partition}:sts::${accountId}:federated-user/${name}`;
  return undefined;
}

/** `.../finding/<id>` → `<id>` when it is a GuardDuty finding id. */
export function guardDutyFindingIdOf(arnOrId: string): string | undefined {
  const id = /\/finding\/([A-Za-z0-9_-]{1,128})$/.exec(arnOrId)?.[1];
  return id;
}

const SAGEMAKER_ENDPOINT_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
const SAGEMAKER_ENDPOINT_ARN =
  /^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:endpoint\/[a-z0-9](-*[a-z0-9]){0,62}$/;

/**
 * A SageMaker endpoint as the ARN the rollback-model playbook acts on (`details.assetId`), from its ARN or from its
 * name in a region and account (SageMaker ARNs spell endpoint names in lower case); undefined when neither is valid.
 */
export function sageMakerEndpointArn(
  nameOrArn: string | undefined,
  where: { region: string; account: string },
): string | undefined {
  if (!nameOrArn) return undefined;
  if (nameOrArn.startsWith("arn:")) return SAGEMAKER_ENDPOINT_ARN.test(nameOrArn) ? nameOrArn : undefined;
  if (!SAGEMAKER_ENDPOINT_NAME.test(nameOrArn) || !/^\d{12}$/.test(where.account)) return undefined;
  const partition = where.region.startsWith("cn-")
    ? "aws-cn"
    : where.region.startsWith("us-gov-")
      ? "aws-us-gov"
      : "aws";
  return `arn:${partition}:sagemaker:${where.region}:${where.account}:endpoint/${nameOrArn.toLowerCase()}`;
}
