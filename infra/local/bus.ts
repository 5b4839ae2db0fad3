import { randomUUID } from "node:crypto";

export interface BusRule {
  readonly source: string;
  readonly detailType: string;
  readonly target: (event: Record<string, unknown>) => Promise<unknown>;
}

export interface DeadLetter {
  readonly event: Record<string, unknown>;
  readonly error: string;
  readonly attempts: number;
}

/**
 * The event bus on one machine: PutEvents answers at once and delivers asynchronously to the rules whose
 * source and detail-type match (the only patterns Quell uses), with retries like EventBridge's and a
 * dead-letter list for what still fails, so nothing accepted disappears.
 */
export class LocalEventBus {
  private readonly inFlight = new Set<Promise<void>>();
  readonly deadLetters: DeadLetter[] = [];

  constructor(
    private readonly rules: readonly BusRule[],
    private readonly options: {
      attempts?: number;
      backoffMs?: number;
      account?: string;
      region?: string;
    } = {},
  ) {}

  put(entry: Record<string, unknown>): string {
    const id = randomUUID();
    const event = {
      version: "0",
      id,
      "detail-type": String(entry.DetailType ?? ""),
      source: String(entry.Source ?? ""),
      account: this.options.account ?? "000000000000",
      time: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
      region: this.options.region ?? "us-east-1",
      resources: (entry.Resources as string[] | undefined) ?? [],
      detail: JSON.parse(String(entry.Detail ?? "{}")),
    };
    for (const rule of this.rules) {
      if (rule.source !== event.source || rule.detailType !== event["detail-type"]) continue;
      const delivery = this.deliver(rule, event).finally(() => this.inFlight.delete(delivery));
      this.inFlight.add(delivery);
    }
    return id;
  }

  private async deliver(rule: BusRule, event: Record<string, unknown>): Promise<void> {
    const attempts = this.options.attempts ?? 4;
    for (let attempt = 1; ; attempt++) {
      try {
        await rule.target(event);
        return;
      } catch (error) {
        if (attempt >= attempts) {
          this.deadLetters.push({ event, error: (error as Error).message, attempts });
          return;
        }
        await new Promise((resolve) =>
          setTimeout(resolve, (this.options.backoffMs ?? 200) * 2 ** (attempt - 1)),
        );
      }
    }
  }

  /** Resolves when every delivery started so far has finished. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }
}
