import { randomUUID } from "node:crypto";
import { type DurableRecords, memoryRecords } from "./durable-records.js";

export interface BusRule {
  /** Names the rule in dead letters and redrives (`triage`, `notifier`). */
  readonly name: string;
  readonly source: string;
  readonly detailType: string;
  readonly target: (event: BusEvent) => Promise<unknown>;
}

/** An event as EventBridge delivers it to a rule's target. */
export interface BusEvent {
  readonly version: "0";
  readonly id: string;
  readonly "detail-type": string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: unknown;
  readonly [other: string]: unknown;
}

/** An accepted event some rule has not taken yet. */
interface PendingEvent {
  readonly event: BusEvent;
  /** The rules it matched when it was accepted. */
  readonly rules: readonly string[];
  readonly acceptedAt: string;
}

/** An event one rule's target still refused after every attempt. */
export interface DeadLetter {
  /** The dead letter's id (its record name): what a redrive names. */
  readonly id: string;
  readonly event: BusEvent;
  readonly rule: string;
  readonly error: string;
  readonly attempts: number;
  /** When it was dead-lettered. */
  readonly at: string;
}

/** What `GET /dead-letters` lists of a dead letter: never the whole event (alert text is hostile and large). */
export interface DeadLetterSummary {
  readonly id: string;
  readonly at: string;
  readonly eventId: string;
  readonly time: string;
  readonly source: string;
  readonly detailType: string;
  readonly rule: string;
  readonly error: string;
  readonly attempts: number;
  readonly alertId?: string;
  readonly incidentId?: string;
}

export interface BusRecords {
  readonly pending: DurableRecords<PendingEvent>;
  readonly deadLetters: DurableRecords<DeadLetter>;
}

export const memoryBusRecords = (): BusRecords => ({
  pending: memoryRecords(),
  deadLetters: memoryRecords(),
});

export interface LocalEventBusOptions {
  /** Where accepted events and dead letters are kept (files under the data directory, or memory). */
  readonly records?: BusRecords;
  /** Attempts per rule before a dead letter (default 9: the first and the 8 retries of Quell's rules on AWS). */
  readonly attempts?: number;
  /** The first retry's pause, doubled for each next one up to 30 s (default 1 s: about two minutes in all). */
  readonly backoffMs?: number;
  readonly account?: string;
  readonly region?: string;
  /**
   * Resolves when targets can work (the database is up). Awaited before every attempt, so an outage holds
   * deliveries back instead of spending their attempts and dead-lettering them.
   */
  readonly ready?: () => Promise<void>;
}

/**
 * Retries patient enough for a database that throttles or restarts for seconds (on AWS, EventBridge retries each
 * rule's target 8 times over up to 24 hours, and Lambda's own async retries come on top).
 */
const DEFAULT_ATTEMPTS = 9;
const DEFAULT_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 30_000;

/** A record name that sorts in time order: `2026-11-26T10-15-00-123Z_<id>`. */
const stamped = (at: string, id: string) => `${at.replace(/[:.]/g, "-")}_${id}`;
const bareIso = () => new Date().toISOString().replace(/\.\d{3}Z$/, "Z");

/**
 * The event bus on one machine, with EventBridge's promise kept: PutEvents answers only once the event is on
 * stable storage (a record per event, fsynced), then delivers asynchronously to the rules whose source and
 * detail-type match (the only patterns Quell uses), with retries like EventBridge's. An event is forgotten once
 * every matching rule's target took it; what a target still refuses after the retries becomes a durable dead
 * letter, listed and redriven on demand. After a restart, `redeliverPending` delivers whatever was accepted and
 * not yet taken (targets are idempotent per event, as on EventBridge, which delivers at least once).
 */
export class LocalEventBus {
  private readonly inFlight = new Set<Promise<void>>();
  /** Pending records this bus is delivering now (a redelivery skips them). */
  private readonly delivering = new Set<string>();
  private readonly records: BusRecords;
  private closed = false;
  private readonly closing: Promise<void>;
  private signalClosed: () => void = () => {};

  constructor(
    private readonly rules: readonly BusRule[],
    private readonly options: LocalEventBusOptions = {},
  ) {
    this.records = options.records ?? memoryBusRecords();
    this.closing = new Promise((resolve) => {
      this.signalClosed = resolve;
    });
  }

  /** Accept one PutEvents entry: kept durably before this returns, then delivered. Returns the event id. */
  put(entry: Record<string, unknown>): string {
    const id = randomUUID();
    const event: BusEvent = {
      version: "0",
      id,
      "detail-type": String(entry.DetailType ?? ""),
      source: String(entry.Source ?? ""),
      account: this.options.account ?? "000000000000",
      time: bareIso(),
      region: this.options.region ?? "us-east-1",
      resources: (entry.Resources as string[] | undefined) ?? [],
      detail: JSON.parse(String(entry.Detail ?? "{}")),
    };
    const rules = this.rules.filter(
      (rule) => rule.source === event.source && rule.detailType === event["detail-type"],
    );
    if (rules.length === 0) return id;
    const name = stamped(new Date().toISOString(), id);
    this.records.pending.write(name, {
      event,
      rules: rules.map((rule) => rule.name),
      acceptedAt: new Date().toISOString(),
    });
    this.deliverAll(name, event, rules);
    return id;
  }

  /** Deliver every event accepted before a restart that some rule had not taken. Returns how many. */
  redeliverPending(): number {
    const names = this.records.pending.names().filter((name) => !this.delivering.has(name));
    for (const name of names) {
      const pending = this.records.pending.read(name);
      if (!pending) continue;
      const rules = this.rules.filter((rule) => pending.rules.includes(rule.name));
      if (rules.length === 0) {
        this.records.pending.remove(name);
        continue;
      }
      this.deliverAll(name, pending.event, rules);
    }
    return names.length;
  }

  /** How many accepted events some rule has not taken yet. */
  pendingCount(): number {
    return this.records.pending.names().length;
  }

  private deliverAll(name: string, event: BusEvent, rules: readonly BusRule[]): void {
    this.delivering.add(name);
    const delivery = Promise.all(rules.map((rule) => this.deliver(rule, event))).then((outcomes) => {
      // Forgotten only once every rule took it or dead-lettered it; a bus closed in between keeps it.
      if (outcomes.every((outcome) => outcome !== "held")) this.records.pending.remove(name);
    });
    const tracked = delivery.finally(() => {
      this.inFlight.delete(tracked);
      this.delivering.delete(name);
    });
    this.inFlight.add(tracked);
  }

  private async deliver(rule: BusRule, event: BusEvent): Promise<"delivered" | "dead" | "held"> {
    const attempts = this.options.attempts ?? DEFAULT_ATTEMPTS;
    for (let attempt = 1; ; attempt++) {
      if (this.options.ready) await Promise.race([this.options.ready(), this.closing]);
      if (this.closed) return "held";
      try {
        await rule.target(event);
        return "delivered";
      } catch (error) {
        if (this.closed) return "held";
        if (attempt >= attempts) {
          const at = new Date().toISOString();
          const id = stamped(at, `${event.id}_${rule.name}`);
          const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
          this.records.deadLetters.write(id, { id, event, rule: rule.name, error: message, attempts, at });
          return "dead";
        }
        const backoff = Math.min(
          MAX_BACKOFF_MS,
          (this.options.backoffMs ?? DEFAULT_BACKOFF_MS) * 2 ** (attempt - 1),
        );
        await Promise.race([new Promise((resolve) => setTimeout(resolve, backoff)), this.closing]);
      }
    }
  }

  deadLetterCount(): number {
    return this.records.deadLetters.names().length;
  }

  /** Every dead letter, oldest first. */
  get deadLetters(): DeadLetter[] {
    return this.records.deadLetters.names().flatMap((name) => this.records.deadLetters.read(name) ?? []);
  }

  /** A page of dead letters, oldest first, after the `cursor` a previous page returned. */
  listDeadLetters(page: { limit: number; cursor?: string }): {
    deadLetters: DeadLetterSummary[];
    cursor: string | null;
  } {
    const names = this.records.deadLetters.names().filter((name) => !page.cursor || name > page.cursor);
    const taken = names.slice(0, page.limit);
    const deadLetters = taken.flatMap((name) => {
      const letter = this.records.deadLetters.read(name);
      return letter ? [summarise(letter)] : [];
    });
    return { deadLetters, cursor: names.length > taken.length ? (taken.at(-1) ?? null) : null };
  }

  /**
   * Deliver dead letters again (to the rule that refused each): each goes back to the pending records before
   * it leaves the dead letters, so a crash in between loses nothing. Returns the ids redriven and unknown.
   */
  redrive(ids: readonly string[] | "all"): { redriven: string[]; unknown: string[] } {
    const known = new Set(this.records.deadLetters.names());
    const wanted = ids === "all" ? [...known] : [...new Set(ids)];
    const redriven: string[] = [];
    const unknown: string[] = [];
    for (const id of wanted) {
      const letter = known.has(id) ? this.records.deadLetters.read(id) : undefined;
      const rule = letter && this.rules.find((candidate) => candidate.name === letter.rule);
      if (!letter || !rule) {
        unknown.push(id);
        continue;
      }
      const name = stamped(new Date().toISOString(), `${letter.event.id}_${rule.name}`);
      this.records.pending.write(name, {
        event: letter.event,
        rules: [rule.name],
        acceptedAt: new Date().toISOString(),
      });
      this.records.deadLetters.remove(id);
      this.deliverAll(name, letter.event, [rule]);
      redriven.push(id);
    }
    return { redriven, unknown };
  }

  /** Resolves when every delivery started so far has finished. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /**
   * Stop delivering: what is not yet taken stays pending for the next start. Deliveries in flight finish
   * (a target cannot be interrupted) but are not retried.
   */
  close(): void {
    this.closed = true;
    this.signalClosed();
  }
}

function summarise(letter: DeadLetter): DeadLetterSummary {
  const detail = (letter.event.detail ?? {}) as { alertId?: unknown; incidentId?: unknown };
  return {
    id: letter.id,
    at: letter.at,
    eventId: letter.event.id,
    time: letter.event.time,
    source: letter.event.source,
    detailType: letter.event["detail-type"],
    rule: letter.rule,
    error: letter.error.slice(0, 500),
    attempts: letter.attempts,
    ...(typeof detail.alertId === "string" ? { alertId: detail.alertId } : {}),
    ...(typeof detail.incidentId === "string" ? { incidentId: detail.incidentId } : {}),
  };
}
