import type { Clock } from "../shared/ids.js";
import type { RefusalTally, Rejection } from "../shared/rejections.js";

type Tally = { -readonly [K in keyof RefusalTally]: RefusalTally[K] };

/** One write per (source, status, code) at most this often; counts in between wait in memory. */
export const REFUSAL_FLUSH_MS = 1000;

/**
 * Counts unauthenticated refusals in memory and writes them as per-minute tallies, so a flood of junk costs a
 * bounded number of writes: for each source, status and code, the first refusal is written at once (with it,
 * the sample), and later ones at most once per REFUSAL_FLUSH_MS, by a timer, whatever their number.
 *
 * What it costs: counts of the last second may wait for the next write of their kind; on Lambda a frozen
 * container writes them when it thaws, and a container that is shut down first loses them (at most one
 * second's count of each kind; the first refusal of each kind and minute is always written, with its sample).
 */
export class RefusalCounter {
  /** Pending counts by `<kind>\u0000<minute>`. */
  private readonly pending = new Map<string, Tally>();
  /** When each kind (`source`, `status`, `code`) was last written, in ms. */
  private readonly lastWrite = new Map<string, number>();
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(
    private readonly write: (tally: RefusalTally) => Promise<void>,
    private readonly clock: Clock,
    /** Called with a failed timed write (a write in a request is awaited there, and fails that request). */
    private readonly onError: (error: unknown) => void,
    private readonly flushMs = REFUSAL_FLUSH_MS,
  ) {}

  /** Count one refusal; writes before returning when its kind has not been written for a flush interval. */
  async count(refusal: Rejection): Promise<void> {
    const now = this.clock();
    const at = now.toISOString();
    const kind = `${refusal.source}\u0000${refusal.status}\u0000${refusal.code}`;
    const minute = at.slice(0, 16);
    const key = `${kind}\u0000${minute}`;
    const tally = this.pending.get(key);
    if (tally) {
      tally.count++;
      tally.lastAt = at;
    } else {
      const { source, status, code, message, bodySha256, bodyBytes } = refusal;
      const sample = { message, bodySha256, bodyBytes };
      this.pending.set(key, { minute, source, status, code, count: 1, firstAt: at, lastAt: at, sample });
    }
    const due = (this.lastWrite.get(kind) ?? Number.NEGATIVE_INFINITY) + this.flushMs;
    if (now.getTime() >= due) return this.flushKind(kind);
    if (!this.timers.has(kind)) {
      const timer = setTimeout(() => {
        this.timers.delete(kind);
        this.flushKind(kind).catch(this.onError);
      }, due - now.getTime());
      timer.unref?.();
      this.timers.set(kind, timer);
    }
  }

  /** Write everything still pending (tests, and a runtime that stops). */
  async flush(): Promise<void> {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    const kinds = new Set([...this.pending.keys()].map((key) => key.slice(0, key.lastIndexOf("\u0000"))));
    for (const kind of kinds) await this.flushKind(kind);
  }

  private async flushKind(kind: string): Promise<void> {
    this.lastWrite.set(kind, this.clock().getTime());
    // Only what is pending now: a Map's iteration also visits entries added while a write is awaited, so counts
    // arriving during the write would otherwise each be written at once (a write per request under a flood).
    const due = [...this.pending].filter(([key]) => key.startsWith(`${kind}\u0000`));
    for (const [key] of due) this.pending.delete(key);
    for (const [index, [, tally]] of due.entries()) {
      try {
        await this.write(tally);
      } catch (error) {
        // Counted again with what arrives meanwhile, at the next write of its kind (with those not written yet).
        for (const [laterKey, later] of due.slice(index)) this.restore(laterKey, later);
        throw error;
      }
    }
  }

  private restore(key: string, tally: Tally): void {
    const newer = this.pending.get(key);
    if (!newer) {
      this.pending.set(key, tally);
      return;
    }
    newer.count += tally.count;
    newer.firstAt = tally.firstAt;
    newer.sample = tally.sample;
  }
}
