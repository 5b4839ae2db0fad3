/**
 * Which incidents carry which dedup key, learnt from GET /incidents and shared by all runs in flight. A refresh
 * reads the first page (the newest incidents: the runs in flight are fewer than a page), so it stays cheap however
 * many runs came before; the final check reads every page.
 */
import type { SlackMessage } from "../../../infra/local/standins/slack.js";
import type { QuellApi } from "./quell-api.js";

interface Summary {
  readonly id: string;
  readonly dedupKey?: string;
}

export class IncidentIndex {
  private readonly byKey = new Map<string, Set<string>>();
  private readonly known = new Set<string>();
  private refreshing: Promise<void> | undefined;
  private lastRefresh = 0;

  constructor(private readonly api: QuellApi) {}

  /** Incident ids with this dedup key, refreshing first when the last refresh is older than `maxAgeMs`. */
  async lookup(dedupKey: string, maxAgeMs = 250): Promise<string[]> {
    if (Date.now() - this.lastRefresh > maxAgeMs) await this.refresh();
    return [...(this.byKey.get(dedupKey) ?? [])];
  }

  /**
   * Read new incidents; concurrent callers share one refresh. A failed read while runs are in flight (the runtime
   * down for longer than a read's patience) keeps what is known and the next one retries; the full read of the
   * final check fails loudly, since what it misses it could not check.
   */
  refresh(full = false): Promise<void> {
    this.refreshing ??= this.read(full)
      .catch((error: unknown) => {
        if (full) throw error;
      })
      .finally(() => {
        this.refreshing = undefined;
        this.lastRefresh = Date.now();
      });
    return this.refreshing;
  }

  private async read(full: boolean): Promise<void> {
    const summaries = full ? await this.api.incidents() : await this.newest();
    for (const summary of summaries) this.add(summary);
  }

  private async newest(): Promise<Summary[]> {
    const answer = await this.api.get<{ incidents?: Summary[] }>("/incidents?limit=100");
    if (answer.status !== 200) return [];
    return answer.body.incidents ?? [];
  }

  private add(summary: Summary): void {
    this.known.add(summary.id);
    if (!summary.dedupKey) return;
    const ids = this.byKey.get(summary.dedupKey) ?? new Set<string>();
    ids.add(summary.id);
    this.byKey.set(summary.dedupKey, ids);
  }

  /** Every incident seen so far. */
  all(): string[] {
    return [...this.known];
  }
}

/** The ids of alerts kept as unmatched (today and yesterday, UTC), with their reasons; shared and cached. */
export class UnmatchedIndex {
  private reasons = new Map<string, string>();
  private refreshing: Promise<void> | undefined;
  private lastRefresh = 0;

  constructor(private readonly api: QuellApi) {}

  /** The reason alert `id` was kept unmatched ("" when kept without one), or undefined when it is not listed. */
  async reasonOf(id: string, maxAgeMs = 500): Promise<string | undefined> {
    if (!this.reasons.has(id) && Date.now() - this.lastRefresh > maxAgeMs) await this.refresh();
    return this.reasons.get(id);
  }

  refresh(): Promise<void> {
    this.refreshing ??= this.read()
      .catch(() => undefined)
      .finally(() => {
        this.refreshing = undefined;
        this.lastRefresh = Date.now();
      });
    return this.refreshing;
  }

  private async read(): Promise<void> {
    const today = new Date();
    const days = [new Date(today.getTime() - 86_400_000), today].map((day) => day.toISOString().slice(0, 10));
    const reasons = new Map<string, string>();
    for (const day of days) {
      for (const item of await this.api.unmatched(day)) reasons.set(item.alert.id, item.reason ?? "");
    }
    this.reasons = reasons;
  }
}

/**
 * Incidents named by the run's Slack messages: a card's buttons carry `<incident>.<step>`. Reads each message
 * once (the stand-in keeps them in order), so finding a run's incidents costs nothing as runs pile up.
 */
export class SlackIncidentFinder {
  private scanned = 0;
  private readonly ids = new Set<string>();

  constructor(
    private readonly messages: readonly SlackMessage[],
    private readonly marker: RegExp,
  ) {}

  find(): string[] {
    for (; this.scanned < this.messages.length; this.scanned++) {
      const message = this.messages[this.scanned] as SlackMessage;
      const text = JSON.stringify([message.original, message.blocks]);
      if (!this.marker.test(text)) continue;
      for (const match of text.matchAll(/"value":"(inc_[a-z0-9]+)\.[A-Za-z][A-Za-z0-9]*"/g)) {
        if (match[1]) this.ids.add(match[1]);
      }
    }
    return [...this.ids];
  }
}
