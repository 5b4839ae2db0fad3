import { createRequire } from "node:module";

/**
 * Counts every AWS SDK call made in this process (the local runtime runs the real handlers in-process), by service
 * and operation, with DynamoDB's consumed capacity in write and read units. Used by the cost model and by the
 * tests that bound what a flood costs.
 */
export type Counts = Map<string, number>;

/** DynamoDB operations billed in write units (document-client and low-level names). */
const WRITES = /^(Put|Update|Delete|TransactWrite|BatchWrite)(Item)?$/;
/** The local runtime's database health check: not a call Quell makes on AWS. */
const LOCAL_ONLY = new Set(["DynamoDB.ListTables"]);

/** Counts every AWS SDK call made in this process, and DynamoDB's consumed capacity. */
export function countSdkCalls() {
  const require = createRequire(import.meta.url);
  const { Client } = require("@smithy/core/client") as {
    Client: { prototype: { send: (command: unknown, ...rest: unknown[]) => Promise<unknown> } };
  };
  const counts: Counts = new Map();
  const add = (key: string, n = 1) => counts.set(key, (counts.get(key) ?? 0) + n);
  const original = Client.prototype.send;
  Client.prototype.send = async function send(this: { config?: { serviceId?: string } }, command, ...rest) {
    const name = (command as { constructor: { name: string } }).constructor.name.replace(/Command$/, "");
    const service = this.config?.serviceId ?? "unknown";
    const input = (command as { input?: Record<string, unknown> }).input;
    // A document-client command runs through the document client's send alone (its middleware, not the inner
    // client's send), so each call is counted once.
    if (service === "DynamoDB" && input) input.ReturnConsumedCapacity = "TOTAL";
    const output = (await original.call(this, command, ...rest)) as Record<string, unknown> | undefined;
    if (LOCAL_ONLY.has(`${service}.${name}`)) return output;
    add(`${service}.${name}`);
    if (service === "EventBridge" && name === "PutEvents") {
      for (const entry of (input?.Entries as { DetailType?: string }[] | undefined) ?? [])
        add(`event:${entry.DetailType}`);
    }
    // TOTAL reports CapacityUnits per table: write units for a write, read units otherwise.
    const capacities = output?.ConsumedCapacity;
    const units = (
      (Array.isArray(capacities) ? capacities : capacities ? [capacities] : []) as {
        CapacityUnits?: number;
      }[]
    ).reduce((total, capacity) => total + (capacity.CapacityUnits ?? 0), 0);
    if (units > 0) add(WRITES.test(name) ? "DynamoDB.WRU" : "DynamoDB.RRU", units);
    return output;
  };
  return {
    counts,
    /** Put the SDK's own send back. */
    restore() {
      Client.prototype.send = original;
    },
    /** The calls made while `run` ran (and the runtime settled). */
    async during(run: () => Promise<void>, settle: () => Promise<void>): Promise<Counts> {
      const before = new Map(counts);
      await run();
      await settle();
      return new Map([...counts].map(([key, n]) => [key, n - (before.get(key) ?? 0)]));
    },
  };
}
