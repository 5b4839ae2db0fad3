import * as z from "zod";
import { type AlertType, type CanonicalAlert, type Severity, tagsFor } from "../../shared/alert.js";
import { SecretNames } from "../../shared/env.js";
import { canonicalJson, sha256Hex } from "../../shared/hash.js";
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
import { detailsOf, entitiesOf, orderedListFact, sourceIdsOf } from "./alert-parts.js";

export { orderedListFact } from "./alert-parts.js";

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

/** The role of a message a detector saw: the chat roles, and `document` for retrieved text sent as a message. */
export const MessageRole = z.enum(["system", "developer", "user", "assistant", "tool", "document"], {
  error:
    "must be system, developer, user, assistant, tool or document (the role of each message the detector saw)",
});
export type MessageRole = z.infer<typeof MessageRole>;

/** Roles whose content the app fetched rather than a person typed: an attack there is an indirect injection. */
export const isRetrievedRole = (role: MessageRole): boolean => role === "tool" || role === "document";

export const MAX_DOCUMENT_REFS = 100;
export const MAX_MESSAGE_ROLES = 500;

const CONTEXT_FIELDS = {
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
  /**
   * The screened documents, in the order the detector saw them: an S3 URI, a URL or the app's own document
   * id (identifier rules: at most 1024 characters, no control, bidi or zero-width characters). Prompt Shields:
   * one per `documentsAnalysis[]` entry; Lakera: one per `tool`/`document` message (see lakera.ts).
   */
  documentRefs: z
    .array(identifier(1024))
    .min(1, { error: "send at least one document reference, or leave documentRefs out" })
    .max(MAX_DOCUMENT_REFS, {
      error: `at most ${MAX_DOCUMENT_REFS} document references (one per screened document)`,
    })
    .optional(),
  /** The roles of the messages the detector saw, in order (Lakera's `message_id` indexes them). */
  messageRoles: z
    .array(MessageRole)
    .min(1, { error: "send at least one message role, or leave messageRoles out" })
    .max(MAX_MESSAGE_ROLES, {
      error: `at most ${MAX_MESSAGE_ROLES} message roles (one per message sent to the detector)`,
    })
    .optional(),
};

const CONTEXT_KEYS = Object.keys(CONTEXT_FIELDS).join(", ");

/** A refusal that names the unknown keys (quoted, clipped, at most 5) and lists the ones `context` takes. */
export function unknownContextKeys(keys: readonly string[]): string {
  const named = keys
    .slice(0, 5)
    .map((key) => JSON.stringify(clip(key, 64)))
    .join(", ");
  const more = keys.length > 5 ? ` and ${keys.length - 5} more` : "";
  return `unknown key${keys.length === 1 ? "" : "s"} ${named}${more}; context takes only ${CONTEXT_KEYS}`;
}

/**
 * What the app knows that the native result does not say: when, which request, guardrail and model, and
 * which documents and messages the detector screened.
 *
 * Unknown keys are refused (422 naming the key and listing the accepted ones), not kept: every context field
 * becomes an incident detail that playbooks branch on and cards show, so a misspelt key accepted silently
 * (`documentRef`, `environmnet`) would send an alert down the wrong path with nobody the wiser, while a 422
 * tells the app's developer at once.
 */
export const DetectorContext = z.strictObject(CONTEXT_FIELDS, {
  error: (issue) => (issue.code === "unrecognized_keys" ? unknownContextKeys(issue.keys) : undefined),
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

/** A problem a route's cross-field check finds: where in the envelope, and what to send instead. */
export interface EnvelopeIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

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
  /**
   * Rules across `context` and `result` (one document reference per analysis...), run once the rest of the
   * envelope is valid: each problem is refused like a schema issue (422, with its path).
   */
  check?: (envelope: DetectorEnvelope<Result>) => readonly EnvelopeIssue[];
}): SourceAdapter<DetectorEnvelope<Result>> {
  const { name, aliases, check } = options;
  const fields = z.strictObject({
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
  // Only on an otherwise valid envelope: a list refused for its size is not also miscounted.
  const envelope = check
    ? fields.superRefine(
        (payload, ctx) => {
          for (const issue of check(payload))
            ctx.addIssue({ code: "custom", path: [...issue.path], message: issue.message });
        },
        { when: (parsed) => parsed.issues.length === 0 },
      )
    : fields;
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

/** "1 reference", "3 references": a count with its noun, for refusals and titles. */
export const counted = (count: number, one: string, many: string): string =>
  `${count} ${count === 1 ? one : many}`;

/**
 * The facts naming the poisoned documents, given the references of the attacked ones in the order the
 * detector saw them: `poisonedDocument` is the first, verbatim (one reference, at most 1024 characters: a
 * playbook tests it with `isPresent` and matches it with `s3://*`, an action parses it); `poisonedDocuments`
 * is every one, in that order, duplicates dropped, joined with "," and clipped to 2048 characters. Only
 * `poisonedDocument` is exact: a reference may itself hold a comma.
 */
export function addPoisonedDocuments(facts: Record<string, DetailValue>, refs: readonly string[]): void {
  if (refs.length === 0) return;
  facts.poisonedDocument = refs[0] as string;
  facts.poisonedDocuments = orderedListFact(new Set(refs));
}

/** A poisoned document as the start of a title says it: clipped, so the principal and app still fit. */
export const documentInTitle = (ref: string): string => clip(ref, 120);
