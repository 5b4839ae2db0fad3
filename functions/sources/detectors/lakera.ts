import * as z from "zod";
import type { AlertType } from "../../shared/alert.js";
import { identifier, printableAscii } from "../generic.js";
import {
  addPoisonedDocuments,
  counted,
  type DetailValue,
  type DetectorEnvelope,
  detectorAdapter,
  type EnvelopeIssue,
  isRetrievedRole,
  listFact,
  type MessageRole,
  nothingDetected,
  orderedListFact,
  screensOutput,
  type Verdict,
  withGuardrail,
} from "./envelope.js";

/**
 * `POST /alerts/lakera`: a Lakera Guard `POST /v2/guard` response, forwarded by the app. Known fields are
 * typed strictly; others pass through. `payload[]` (where PII was found, with the text) is never copied.
 *
 * `breakdown[].message_id` indexes the messages the app sent to Lakera (from 0). `context.messageRoles` gives
 * their roles, in the same order: a prompt attack in a `tool` or `document` message is an indirect injection
 * through content the app fetched (high, like a poisoned document in Prompt Shields); in any other message
 * it stays a prompt attack (medium). `context.documentRefs` names the retrieved content: the k-th reference
 * belongs to the k-th message whose role is `tool` or `document` (other messages take none), so there are
 * exactly as many references as such messages. `documentRefs` needs `messageRoles` on this route.
 */

const DetectorType = z
  .string()
  .max(128)
  .regex(/^[a-z0-9_]+(\/[a-z0-9_]+)*$/, {
    error: "must be a Lakera detector type such as prompt_attack or pii/email",
  });

const BreakdownItem = z.looseObject({
  project_id: identifier(128).optional(),
  policy_id: identifier(128).optional(),
  detector_id: identifier(128).optional(),
  detector_type: DetectorType,
  detected: z.boolean(),
  message_id: z.number().int().nonnegative(),
});

export const LakeraGuardResponse = z.looseObject({
  flagged: z.boolean(),
  breakdown: z.array(BreakdownItem).max(500).optional(),
  payload: z.array(z.looseObject({})).max(1000).optional(),
  metadata: z.looseObject({ request_uuid: printableAscii(128).optional() }).optional(),
});
export type LakeraGuardResponse = z.infer<typeof LakeraGuardResponse>;

const isPii = (type: string) => type === "pii" || type.startsWith("pii/");

const retrievedCount = (roles: readonly MessageRole[]) => roles.filter(isRetrievedRole).length;

/** Every message_id within `messageRoles`; one reference per tool/document message; references need roles. */
export function checkMessageContext({
  context,
  result,
}: DetectorEnvelope<LakeraGuardResponse>): EnvelopeIssue[] {
  const roles = context?.messageRoles;
  const refs = context?.documentRefs;
  if (!roles) {
    if (!refs) return [];
    const message =
      "context.documentRefs needs context.messageRoles on this route: the k-th reference belongs to the k-th message whose role is tool or document";
    return [{ path: ["context", "documentRefs"], message }];
  }
  const issues: EnvelopeIssue[] = [];
  const beyond = (result.breakdown ?? []).findIndex((item) => item.message_id >= roles.length);
  if (beyond >= 0) {
    const id = result.breakdown?.[beyond]?.message_id;
    issues.push({
      path: ["result", "breakdown", beyond, "message_id"],
      message: `message_id ${id} is beyond context.messageRoles, which has ${counted(roles.length, "role", "roles")} (message_id counts from 0): send the role of every message sent to Lakera Guard, in order`,
    });
  }
  const retrieved = retrievedCount(roles);
  if (refs && refs.length !== retrieved) {
    issues.push({
      path: ["context", "documentRefs"],
      message: `context.documentRefs has ${counted(refs.length, "reference", "references")} but context.messageRoles has ${counted(retrieved, "tool or document message", "tool or document messages")}: send one reference per tool or document message, in the order of the messages`,
    });
  }
  return issues;
}

/** What the app said about the messages: their roles and, for tool/document messages, their documents. */
export interface MessageContext {
  readonly messageRoles?: readonly MessageRole[] | undefined;
  readonly documentRefs?: readonly string[] | undefined;
}

export function lakeraVerdict(
  result: LakeraGuardResponse,
  output: boolean,
  messages: MessageContext = {},
): Omit<Verdict, "guardrail"> {
  const detections = (result.breakdown ?? []).filter((item) => item.detected);
  const types = detections.map((item) => item.detector_type);
  // Assigned key by key: V8 builds `{ ...a, ...b }` on a slow path, and this runs for every alert.
  const facts: Record<string, DetailValue> = { flagged: result.flagged };
  if (types.length > 0) facts.detectorTypes = listFact(types);
  if (result.metadata?.request_uuid) facts.lakeraRequestUuid = result.metadata.request_uuid;
  const pii = types.some(isPii);
  if (types.includes("prompt_attack")) {
    const secondaryTypes: AlertType[] = pii ? ["sensitive_data_leak"] : [];
    const roles = messages.messageRoles;
    if (roles) {
      const indirect = attackedMessages(detections, roles, messages.documentRefs, facts);
      if (indirect) {
        // "a tool message"; "2 tool messages"; "3 tool and document messages".
        const where =
          indirect.length === 1
            ? `a ${indirect[0]} message`
            : `${indirect.length} ${[...new Set(indirect)].join(" and ")} messages`;
        return {
          type: "prompt_injection",
          severity: "high",
          finding: `Indirect prompt injection in ${where} flagged by Lakera Guard`,
          secondaryTypes,
          facts,
        };
      }
    }
    return {
      type: "prompt_injection",
      severity: "medium",
      finding: "Prompt attack flagged by Lakera Guard",
      secondaryTypes,
      facts,
    };
  }
  if (pii && output) {
    return {
      type: "sensitive_data_leak",
      severity: "medium",
      finding: "PII in model output flagged by Lakera Guard",
      facts,
    };
  }
  if (types.length > 0 || result.flagged) {
    const what = types.length > 0 ? [...new Set(types)].slice(0, 5).join(", ") : "content";
    return { type: "other", severity: "low", finding: `Lakera Guard flagged ${what} (no AI attack)`, facts };
  }
  return nothingDetected("Lakera Guard flagged nothing", facts);
}

/**
 * The messages a prompt attack was detected in, as facts: `attackedMessageIds` (ascending, unique) and
 * `attackedMessageRoles` (their roles, aligned with the ids), and the poisoned documents of the tool/document
 * ones when `refs` names them. Returns the roles of the attacked tool/document messages, or undefined when
 * none was attacked. A message_id without a role (refused by the check) counts as no role.
 */
function attackedMessages(
  detections: readonly { detector_type: string; message_id: number }[],
  roles: readonly MessageRole[],
  refs: readonly string[] | undefined,
  facts: Record<string, DetailValue>,
): MessageRole[] | undefined {
  const ids = [
    ...new Set(
      detections.filter((item) => item.detector_type === "prompt_attack").map((item) => item.message_id),
    ),
  ].sort((a, b) => a - b);
  const known = ids.filter((id) => id < roles.length);
  facts.attackedMessageIds = orderedListFact(known.map(String));
  facts.attackedMessageRoles = orderedListFact(known.map((id) => roles[id] as MessageRole));
  const indirect = known.filter((id) => isRetrievedRole(roles[id] as MessageRole));
  if (indirect.length === 0) return undefined;
  // The k-th tool/document message owns the k-th reference: number them in message order.
  if (refs && refs.length === retrievedCount(roles)) {
    const refOf = new Map<number, string>();
    roles.forEach((role, id) => {
      if (isRetrievedRole(role)) refOf.set(id, refs[refOf.size] as string);
    });
    addPoisonedDocuments(
      facts,
      indirect.map((id) => refOf.get(id) as string),
    );
  }
  return indirect.map((id) => roles[id] as MessageRole);
}

export const lakera = detectorAdapter({
  name: "lakera",
  aliases: ["lakera-guard", "lakera"],
  result: LakeraGuardResponse,
  check: checkMessageContext,
  verdict: ({ result, context }) => {
    const verdict = lakeraVerdict(result, screensOutput(context), {
      messageRoles: context?.messageRoles,
      documentRefs: context?.documentRefs,
    });
    const detection =
      (result.breakdown ?? []).find((item) => item.detected && item.detector_type === "prompt_attack") ??
      (result.breakdown ?? []).find((item) => item.detected) ??
      result.breakdown?.[0];
    const guardrail =
      context?.guardrailIdentifier ?? detection?.policy_id ?? context?.projectId ?? detection?.project_id;
    const requestUuid = result.metadata?.request_uuid;
    if (requestUuid) Object.assign(verdict, { nativeId: { name: "lakeraRequestUuid", value: requestUuid } });
    return withGuardrail(verdict, guardrail ? { id: guardrail, provider: "lakera" } : undefined);
  },
});
