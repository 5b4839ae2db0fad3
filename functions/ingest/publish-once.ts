import { sha256Hex } from "../shared/hash.js";
import type { ReplayWindow } from "../sources/source.js";
import type { AlertReceived, IngestDeps, IngestResponse } from "./core.js";

/** How long a request waits for an identical one being accepted at the same instant, before answering 503. */
const IN_FLIGHT_WAITS_MS = [25, 50, 100, 200, 400, 800] as const;

const accepted = (alertId: string): IngestResponse => ({
  status: 202,
  body: { alertId, status: "accepted" },
});

/**
 * Put an accepted delivery on the bus, at most once per signature while the signature could be replayed (see
 * SeenDeliveries): a replay is answered `200 duplicate` with the first alert id and publishes nothing. `eventFor`
 * builds the event under an alert id: this request's own, or, taking over from an attempt that died before it
 * finished, that attempt's (triage counts an alert id once, so publishing it again is harmless).
 */
export async function publishOnce(
  deps: IngestDeps,
  replay: ReplayWindow | undefined,
  alertId: string,
  eventFor: (alertId: string) => AlertReceived,
): Promise<IngestResponse> {
  if (!replay) {
    await deps.publish(eventFor(alertId));
    return accepted(alertId);
  }
  const signatureHash = sha256Hex(replay.signature);
  const claim = await claimDelivery(deps, signatureHash, alertId, replay.validUntil);
  if (claim.kind === "published")
    return { status: 200, body: { alertId: claim.alertId, status: "duplicate" } };
  if (claim.kind === "in_flight") {
    const message = "an identical request is being accepted right now; retry in a few seconds";
    return { status: 503, body: { error: { code: "in_progress", message } } };
  }
  try {
    await deps.publish(eventFor(claim.alertId));
  } catch (error) {
    // The sender is told to retry (503): its retry must find the signature free.
    await deps.deliveries.release(signatureHash, claim.alertId).catch(() => undefined);
    throw error;
  }
  // Not marked, the claim only goes stale: a replay meanwhile waits, then publishes this alert id again.
  await deps.deliveries.published(signatureHash, claim.alertId).catch(() => undefined);
  return accepted(claim.alertId);
}

/**
 * Claim a signed delivery. When an identical request is being accepted at this instant, wait for it a little (it
 * takes milliseconds): then this one is answered as its duplicate instead of being told to retry.
 */
async function claimDelivery(deps: IngestDeps, signatureHash: string, alertId: string, validUntil: number) {
  let claim = await deps.deliveries.claim(signatureHash, alertId, validUntil);
  for (const ms of IN_FLIGHT_WAITS_MS) {
    if (claim.kind !== "in_flight") break;
    await new Promise((resolve) => setTimeout(resolve, ms));
    claim = await deps.deliveries.claim(signatureHash, alertId, validUntil);
  }
  return claim;
}
