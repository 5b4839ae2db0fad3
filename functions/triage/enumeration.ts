import type { CanonicalAlert } from "../shared/alert.js";
import { unixSeconds } from "../shared/ids.js";
import { MODEL_ENUMERATION_SIGNAL } from "../sources/aws/bedrock.js";
import type { TriageDeps } from "./core.js";

/** Whether a model-enumeration alert goes on to triage as an LLMjacking precursor, and if not, why not. */
export type EnumerationVerdict = { precursor: true } | { precursor: false; because: string };

/** Only the CloudTrail adapter says so: a webhook's `details` could carry the same words. */
const isEnumeration = (alert: CanonicalAlert) =>
  alert.source === "aws.bedrock" && alert.details?.signal === MODEL_ENUMERATION_SIGNAL;

/**
 * One ListFoundationModels call is what consoles and SDKs do every day; LLMjacking tooling enumerates in
 * bursts from wherever it runs. So a model-enumeration alert is a precursor only when its principal made
 * `burstCalls` such calls within the burst window from a source IP it was first seen using less than
 * `newSourceSeconds` ago, or when an incident for that principal and IP is already open (it then joins it).
 * Every call teaches the principal's baseline of source IPs. Alerts of any other kind pass unchanged.
 *
 * A redelivered call is counted again: it can only make a burst sooner, never hide one.
 */
export async function judgeEnumeration(alert: CanonicalAlert, deps: TriageDeps): Promise<EnumerationVerdict> {
  if (!isEnumeration(alert)) return { precursor: true };
  const { burstCalls, burstWindowSeconds, newSourceSeconds, baselineDays } = deps.config.modelEnumeration;
  const enumerator = String(alert.details?.enumerator ?? "");
  const sourceIp = String(alert.details?.sourceIPAddress ?? "");
  if (await deps.triageStore.findDedupClaim(alert.dedupKey)) return { precursor: true };

  const { firstSeen } = await deps.triageStore.noteSourceUse(enumerator, sourceIp, baselineDays * 86400);
  const calls = await deps.triageStore.countInWindow(`${enumerator}#${sourceIp}`, burstWindowSeconds);
  const knownFor = unixSeconds(deps.clock) - firstSeen;
  if (knownFor >= newSourceSeconds) {
    const since = new Date(firstSeen * 1000).toISOString();
    return {
      precursor: false,
      because: `model enumeration from ${sourceIp}, a source ${enumerator} has used since ${since} (its baseline)`,
    };
  }
  if (calls < burstCalls) {
    return {
      precursor: false,
      because:
        `model enumeration from ${sourceIp}, new to ${enumerator}: call ${calls} in this ${burstWindowSeconds} s ` +
        `window, below the burst of ${burstCalls}`,
    };
  }
  return { precursor: true };
}
