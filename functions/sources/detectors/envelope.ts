import * as z from "zod";
import { type AlertType, type CanonicalAlert, type Severity, tagsFor } from "../../shared/alert.js";
import { SecretNames } from "../../shared/env.js";
import { sha256Hex } from "../../shared/hash.js";
import { quellReplay, quellSignature } from "../auth.js";
import {
  clip,
  Environment,
  escapeText,
  guarded,
  identifier,
  ipAddress,
  MAX_BODY_DEPTH,
  PrincipalType,
  Provider,
  printableAscii,
  recentTimestamp,
  uniqueEntities,
} from "../generic.js";
import { alertIdFor, type SourceAdapter } from "../source.js";
import { detailsOf, entitiesOf, sourceIdsOf } from "./alert-parts.js";

/**
 * The envelope every inline-detector route takes: an app forwards its detector's verdict as
 * `{detector?, app, principal, context?, result}`, where `result` is the detector's native response,
 * unmodified. Signed like `generic` (X-Quell-Signature with QUELL_WEBHOOK_SECRET).
 */

export const AppName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, {
  error: "must be 1-64 letters, digits, '.', '_' or '-' (the calling application, e.g. support-chat)",
});

export const DetectorPrincipal = z.strictObject({
  type: PrincipalType,
  id: identifier(256),
  provider: Provider,
  tenantId: identifier(128).optional(),
  sessionId: identifier(128).optional(),
  sourceIp: ipAddress.optional(),
  displayName: identifier(128).optional(),
});
export type DetectorPrincipal = z.infer<typeof DetectorPrincipal>;

/** What the app knows that the native result does not say: when, which request, guardrail and model. */
export const DetectorContext = z.strictObject({
  requestId: printableAscii(128).optional(),
  observedAt: recentTimestamp({ utcOnly: false }).optional(),
  environment: Environment.optional(),
  modelId: identifier(256).optional(),
  guardrailIdentifier: identifier(256).optional(),
  guardrailVersion: identifier(32).optional(),
  /** Bedrock: which side was screened. */
  source: z.enum(["INPUT", "OUTPUT"]).optional(),
  /** LLM Guard: which endpoint was called. */
  scanMode: z.enum(["prompt", "output"]).optional(),
  operation: identifier(64).optional(),
  awsAccountId: z
    .string()
    .regex(/^\d{12}$/, { error: "must be a 12-digit AWS account id" })
    .optional(),
  region: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{1,31}$/, { error: "must be a region name such as us-east-1" })
    .optional(),
  endpoint: z
    .url({ protocol: /^https?$/ })
    .max(2048)
    .optional(),
  apiVersion: identifier(32).optional(),
  projectId: identifier(128).optional(),
  llmGuardVersion: identifier(32).optional(),
});
export type DetectorContext = z.infer<typeof DetectorContext>;

export interface DetectorEnvelope<Result> {
  readonly detector?: string | undefined;
  readonly app: string;
  readonly principal: DetectorPrincipal;
  readonly context?: DetectorContext | undefined;
  readonly result: Result;
}

export type DetailValue = CanonicalAlert["details"][string];

/** What one detector's native result means, in Quell's terms (rules R1 and R3 of the samples README). */
export interface Verdict {
  readonly type: AlertType;
  readonly severity: Severity;
  /** What was found, as the start of the title: "Prompt attack blocked by Bedrock guardrail q7x2k9m4w1ba". */
  readonly finding: string;
  /** A further detection next to the main one ("PII next to a prompt attack"): a label, not a second case. */
  readonly secondaryTypes?: readonly AlertType[];
  readonly facts: Readonly<Record<string, DetailValue>>;
  readonly guardrail?: { readonly id: string; readonly provider: string };
  /** The detector's own id for this verdict; the dedup key prefers it to `context.requestId`. */
  readonly nativeId?: { readonly name: string; readonly value: string };
}

/**
 * A verdict with the guardrail it came from, when known. Assigned to the fresh verdict rather than spread
 * into a new one: V8 builds `{ ...verdict, guardrail }` on a slow path, and this runs for every alert.
 */
export const withGuardrail = (
  verdict: Omit<Verdict, "guardrail">,
  guardrail: Verdict["guardrail"] | undefined,
): Verdict => (guardrail ? Object.assign(verdict, { guardrail }) : verdict);

/** True when the app screened model output rather than user input. */
export const screensOutput = (context: DetectorContext | undefined): boolean =>
  context?.source === "OUTPUT" || context?.scanMode === "output";

/** The verdict when the detector found nothing: recorded, `other`/`info`, starts nothing. */
export const nothingDetected = (finding: string, facts: Readonly<Record<string, DetailValue>>): Verdict => ({
  type: "other",
  severity: "info",
  finding,
  facts,
});

/** JSON with object keys sorted at every level: the same payload always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>;
    const members = Object.keys(record)
      .filter((key) => record[key] !== undefined)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`);
    return `{${members.join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

const hostOf = (url: string | undefined): string | undefined => {
  if (!url) return undefined;
  try {
    return new URL(url).hostname || undefined;
  } catch {
    return undefined;
  }
};

/** The guardrail a verdict came from when the detector names none: the app's, else the detector's host. */
export const contextGuardrail = (
  context: DetectorContext | undefined,
  provider: string,
): Verdict["guardrail"] => {
  const id = context?.guardrailIdentifier ?? hostOf(context?.endpoint);
  return id ? { id, provider } : undefined;
};

const PRINCIPAL_LABEL: Record<DetectorPrincipal["type"], string> = {
  end_user: "end user",
  iam_user: "IAM user",
  iam_role: "IAM role",
  service_account: "service account",
  api_key: "API key",
  agent: "agent",
  unknown: "principal",
};

/**
 * A detector route: its envelope schema (behind the body guard) and the canonical alert its verdict becomes.
 * Dedup key: `<route>:<native id>` (Lakera's request_uuid), else `<route>:<context.requestId>`, else
 * `<route>:sha256:<SHA-256 of the payload as canonical JSON>` (adapters see the parsed payload, not the raw
 * bytes; sorted keys make the hash independent of key order and whitespace).
 */
export function detectorAdapter<Result>(options: {
  name: string;
  /** Values the optional `detector` field may carry on this route (a guard against misrouting). */
  aliases: readonly [string, ...string[]];
  result: z.ZodType<Result>;
  verdict: (envelope: DetectorEnvelope<Result>) => Verdict;
}): SourceAdapter<DetectorEnvelope<Result>> {
  const { name, aliases } = options;
  const envelope = z.strictObject({
    detector: z
      .enum(aliases, {
        error: `this route takes ${aliases.map((alias) => `"${alias}"`).join(" or ")} results; post other detectors to their own route`,
      })
      .optional(),
    app: AppName,
    principal: DetectorPrincipal,
    context: DetectorContext.optional(),
    result: options.result,
  });
  return {
    name,
    secretName: SecretNames.webhookSecret,
    authenticate: quellSignature,
    replayOf: quellReplay,
    schema: guarded(envelope, { maxDepth: MAX_BODY_DEPTH }),
    normalize(payload, receipt) {
      const { principal, context, app } = payload;
      const verdict = options.verdict(payload);
      const key =
        verdict.nativeId?.value ?? context?.requestId ?? `sha256:${sha256Hex(canonicalJson(payload))}`;
      const title = `${verdict.finding} for ${PRINCIPAL_LABEL[principal.type]} ${principal.id} in ${app}`;
      const canonical: CanonicalAlert = {
        id: alertIdFor(receipt, 0),
        source: name,
        sourceIds: sourceIdsOf(context, verdict, receipt),
        type: verdict.type,
        severity: verdict.severity,
        status: "firing",
        title: clip(escapeText(title), 300),
        occurredAt: context?.observedAt ?? receipt.receivedAt,
        receivedAt: receipt.receivedAt,
        dedupKey: `${name}:${key}`,
        entities: uniqueEntities(entitiesOf(principal, context, verdict)),
        tags: tagsFor(verdict.type),
        details: detailsOf(name, payload, verdict),
      };
      return [canonical];
    },
  };
}

/** A list of names as one fact: sorted, unique, bounded. */
export const listFact = (names: Iterable<string>): string => clip([...new Set(names)].sort().join(","), 2048);
