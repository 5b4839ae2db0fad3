import type { DedupClaim, HeldDedupClaim, SourceEvent } from "./triage-store.js";

interface Remembered {
  readonly claim: DedupClaim;
  /** Unix seconds after which the entry is not used: the claim's own expiry, or the memory's age limit. */
  readonly usableUntil: number;
}

/**
 * Dedup claims this process has seen lately, so a storm's duplicates skip reading the claim: a warm triage
 * function (a Lambda container, or the local runtime) counts a duplicate with one conditional write.
 *
 * A remembered claim is a hint, never the truth. The write that counts the duplicate requires its incident to
 * exist and not be resolved; when that fails (the key was moved to the incident its alert correlated into,
 * or reclaimed after its incident resolved) the caller forgets the hint and reads the claim. Entries live at
 * most `maxAgeSeconds`, never past the claim's own dedup window, and the oldest go first beyond `maxEntries`.
 */
export class ClaimMemory {
  private readonly entries = new Map<string, Remembered>();
  private readonly newest = new Map<string, SourceEvent>();

  constructor(private readonly limits: { maxEntries: number; maxAgeSeconds: number }) {}

  /** The claim remembered for a dedup key, if it is still usable at `nowSeconds`. */
  recall(dedupKey: string, nowSeconds: number): DedupClaim | undefined {
    const remembered = this.entries.get(dedupKey);
    if (!remembered) return undefined;
    if (remembered.usableUntil > nowSeconds) return remembered.claim;
    this.entries.delete(dedupKey);
    return undefined;
  }

  /** Remember the claim that holds a dedup key, at most until the claim itself expires. */
  remember(dedupKey: string, claim: HeldDedupClaim, nowSeconds: number): void {
    this.entries.delete(dedupKey);
    const usableUntil = Math.min(claim.expiresAt, nowSeconds + this.limits.maxAgeSeconds);
    if (usableUntil <= nowSeconds) return;
    this.entries.set(dedupKey, {
      claim: { incidentId: claim.incidentId, alertId: claim.alertId },
      usableUntil,
    });
    // A Map iterates in insertion order: the first key is the one remembered longest ago.
    while (this.entries.size > this.limits.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  forget(dedupKey: string): void {
    this.entries.delete(dedupKey);
  }

  /**
   * The newest event of an alert (by the source's clock) this process has seen. The table may know a newer one
   * (another process saw it), never an older one: so an event no later than this cannot be the newest.
   */
  newestSeen(dedupKey: string): SourceEvent | undefined {
    return this.newest.get(dedupKey);
  }

  /** Remember an event of an alert when it is the newest this process has seen. */
  sawEvent(dedupKey: string, event: SourceEvent): void {
    const known = this.newest.get(dedupKey);
    if (known && known.at >= event.at) return;
    this.newest.delete(dedupKey);
    this.newest.set(dedupKey, event);
    while (this.newest.size > this.limits.maxEntries) {
      const oldest = this.newest.keys().next().value;
      if (oldest === undefined) break;
      this.newest.delete(oldest);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
