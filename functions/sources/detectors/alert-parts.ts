import type { AlertType, Entity } from "../../shared/alert.js";
import { clip, principalEntityKind } from "../generic.js";
import type { Receipt } from "../source.js";
import type {
  DetailValue,
  DetectorContext,
  DetectorEnvelope,
  DetectorPrincipal,
  Verdict,
} from "./envelope.js";

/**
 * The parts of a detector's canonical alert (envelope.ts), written field by field, without spreads: this runs
 * for every alert. The order of the statements is the order of the keys.
 */

export function sourceIdsOf(context: DetectorContext | undefined, verdict: Verdict, receipt: Receipt) {
  const ids: Record<string, string> = {};
  if (context?.requestId) ids.requestId = context.requestId;
  if (verdict.nativeId) ids[verdict.nativeId.name] = verdict.nativeId.value;
  if (receipt.deliveryId) ids.deliveryId = receipt.deliveryId;
  return ids;
}

export function entitiesOf(
  principal: DetectorPrincipal,
  context: DetectorContext | undefined,
  verdict: Verdict,
) {
  const { provider } = principal;
  const entities: Entity[] = [{ kind: principalEntityKind(principal.type), id: principal.id, provider }];
  if (principal.tenantId) entities.push({ kind: "tenant", id: principal.tenantId, provider });
  if (principal.sourceIp) entities.push({ kind: "ip", id: principal.sourceIp });
  const { guardrail } = verdict;
  if (guardrail) entities.push({ kind: "guardrail", id: guardrail.id, provider: guardrail.provider });
  if (context?.modelId) entities.push({ kind: "model", id: context.modelId });
  if (context?.awsAccountId) entities.push({ kind: "account", id: context.awsAccountId, provider: "aws" });
  return entities;
}

/** A list as one fact, in its own order (duplicates kept): joined with "," and clipped to 2048 characters. */
export const orderedListFact = (items: Iterable<string>): string => clip([...items].join(","), 2048);

/**
 * Every context field (`source` as `scanDirection`; the lists `documentRefs` and `messageRoles` as ordered
 * list facts, and `documentRefCount` next to the references, which may be clipped); the verdict's facts last,
 * overriding same-named ones.
 */
export function detailsOf<Result>(name: string, payload: DetectorEnvelope<Result>, verdict: Verdict) {
  const { principal, context } = payload;
  const details: Record<string, DetailValue> = {
    detector: name,
    app: payload.app,
    principalType: principal.type,
    principalId: principal.id,
    principalProvider: principal.provider,
  };
  if (principal.displayName) details.principalDisplayName = principal.displayName;
  if (principal.tenantId) details.tenantId = principal.tenantId;
  if (principal.sessionId) details.sessionId = principal.sessionId;
  if (principal.sourceIp) details.sourceIp = principal.sourceIp;
  if (context) {
    for (const field of Object.keys(context)) {
      const value = context[field as keyof DetectorContext];
      if (value === undefined) continue;
      if (Array.isArray(value)) {
        details[field] = orderedListFact(value);
        if (field === "documentRefs") details.documentRefCount = value.length;
      } else details[field === "source" ? "scanDirection" : field] = value;
    }
  }
  if (verdict.guardrail) details.guardrail = verdict.guardrail.id;
  const secondary: AlertType[] = [];
  for (const type of verdict.secondaryTypes ?? [])
    if (type !== verdict.type && !secondary.includes(type)) secondary.push(type);
  if (secondary.length > 0) details.secondary_type = secondary.join(",");
  for (const fact of Object.keys(verdict.facts)) details[fact] = verdict.facts[fact] as DetailValue;
  return details;
}
