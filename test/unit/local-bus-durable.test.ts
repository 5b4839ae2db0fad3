import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type BusEvent, type BusRecords, LocalEventBus } from "../../infra/local/bus.js";
import { fileRecords, memoryRecords } from "../../infra/local/durable-records.js";

const ALERT = { Source: "quell.ingest", DetailType: "Alert Received" };
const entry = (alertId: string) => ({ ...ALERT, Detail: JSON.stringify({ alertId, source: "generic" }) });

/** A target that takes events until told to hold them, and fails while told to. */
function target() {
  const taken: string[] = [];
  let failing = false;
  let held: Promise<void> | undefined;
  return {
    taken,
    failWith(yes: boolean) {
      failing = yes;
    },
    hold(until: Promise<void> | undefined) {
      held = until;
    },
    async take(event: BusEvent) {
      if (held) await held;
      if (failing) throw new Error("database unavailable");
      taken.push((event.detail as { alertId: string }).alertId);
    },
  };
}

describe("local event bus: accepted means durable", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const filesIn = (dir: string) => {
    dirs.push(dir);
    return {
      pending: fileRecords(join(dir, "pending")),
      deadLetters: fileRecords(join(dir, "dead-letters")),
    } as BusRecords;
  };
  const bus = (records: BusRecords, take: ReturnType<typeof target>, options = {}) =>
    new LocalEventBus(
      [{ name: "triage", source: ALERT.Source, detailType: ALERT.DetailType, target: take.take }],
      { records, attempts: 2, backoffMs: 1, ...options },
    );

  it("keeps an event on disk before PutEvents answers, forgets it once delivered, and redelivers it after a crash", async () => {
    const dir = mkdtempSync(join(tmpdir(), "quell-bus-"));
    const first = target();
    // The target never finishes: the process dies with both deliveries in flight.
    first.hold(new Promise<void>(() => {}));
    const crashed = bus(filesIn(dir), first);
    crashed.put(entry("alr_1"));
    crashed.put(entry("alr_2"));
    // On stable storage as soon as put returned, while the target has not taken anything.
    const pending = readdirSync(join(dir, "pending"));
    expect(pending).toHaveLength(2);
    expect(readFileSync(join(dir, "pending", pending[0] as string), "utf8")).toContain('"alertId":"alr_1"');
    crashed.close();

    const second = target();
    const restarted = bus(filesIn(dir), second);
    expect(restarted.pendingCount()).toBe(2);
    expect(restarted.redeliverPending()).toBe(2);
    await restarted.idle();
    expect(second.taken).toEqual(["alr_1", "alr_2"]);
    expect(readdirSync(join(dir, "pending"))).toEqual([]);
    // An event no rule matches is neither kept nor delivered.
    restarted.put({ Source: "other", DetailType: "Other", Detail: "{}" });
    expect(restarted.pendingCount()).toBe(0);
  });

  it("dead-letters what a target still refuses after its attempts, durably; lists them by page; redrives them", async () => {
    const dir = mkdtempSync(join(tmpdir(), "quell-bus-"));
    const failing = target();
    failing.failWith(true);
    const first = bus(filesIn(dir), failing);
    for (const id of ["alr_a", "alr_b", "alr_c"]) first.put(entry(id));
    await first.idle();
    expect(first.pendingCount()).toBe(0);
    expect(readdirSync(join(dir, "dead-letters"))).toHaveLength(3);

    const working = target();
    const second = bus(filesIn(dir), working);
    const page = second.listDeadLetters({ limit: 2 });
    expect(page.deadLetters).toEqual([
      expect.objectContaining({
        alertId: "alr_a",
        source: "quell.ingest",
        detailType: "Alert Received",
        rule: "triage",
        attempts: 2,
        error: "Error: database unavailable",
      }),
      expect.objectContaining({ alertId: "alr_b" }),
    ]);
    expect(page.cursor).toBe(page.deadLetters[1]?.id);
    const rest = second.listDeadLetters({ limit: 2, cursor: page.cursor as string });
    expect(rest.deadLetters.map((letter) => letter.alertId)).toEqual(["alr_c"]);
    expect(rest.cursor).toBeNull();

    const first2 = page.deadLetters[0]?.id as string;
    expect(second.redrive([first2, "no-such-letter"])).toEqual({
      redriven: [first2],
      unknown: ["no-such-letter"],
    });
    await second.idle();
    expect(working.taken).toEqual(["alr_a"]);
    expect(second.redrive("all").redriven).toHaveLength(2);
    await second.idle();
    expect(working.taken.sort()).toEqual(["alr_a", "alr_b", "alr_c"]);
    expect(second.deadLetters).toEqual([]);
    expect(readdirSync(join(dir, "pending"))).toEqual([]);
  });

  it("holds deliveries while the database is down instead of spending their attempts (same path in memory)", async () => {
    const take = target();
    let up = false;
    let back = () => {};
    const ready = () => (up ? Promise.resolve() : new Promise<void>((resolve) => (back = resolve)));
    const records: BusRecords = { pending: memoryRecords(), deadLetters: memoryRecords() };
    const memory = bus(records, take, { ready });
    memory.put(entry("alr_held"));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(take.taken).toEqual([]);
    expect(memory.pendingCount()).toBe(1);
    up = true;
    back();
    await memory.idle();
    expect(take.taken).toEqual(["alr_held"]);
    expect(memory.deadLetters).toEqual([]);
  });
});
