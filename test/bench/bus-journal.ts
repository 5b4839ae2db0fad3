// What "accepted means durable" costs: the time LocalEventBus.put takes to keep one event on stable storage (a
// record written, fsynced, renamed, its directory fsynced) before PutEvents answers, against the same put kept in
// memory. `npx tsx test/bench/bus-journal.ts [events] [detail bytes]`; the target takes each event at once.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BusRecords, LocalEventBus, memoryBusRecords } from "../../infra/local/bus.js";
import { fileRecords } from "../../infra/local/durable-records.js";
import { percentile } from "./stats.js";

const events = Number(process.argv[2] ?? 2000);
const detailBytes = Number(process.argv[3] ?? 2000);
const detail = JSON.stringify({ alertId: "alr_bench", source: "generic", evidence: "x".repeat(detailBytes) });

async function measure(records: BusRecords): Promise<number[]> {
  const bus = new LocalEventBus(
    [{ name: "triage", source: "quell.ingest", detailType: "Alert Received", target: async () => {} }],
    { records },
  );
  const times: number[] = [];
  for (let i = 0; i < events; i++) {
    const start = process.hrtime.bigint();
    bus.put({ Source: "quell.ingest", DetailType: "Alert Received", Detail: detail });
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (i % 100 === 99) await bus.idle();
  }
  await bus.idle();
  return times;
}

const dir = mkdtempSync(join(tmpdir(), "quell-bus-bench-"));
try {
  const memory = await measure(memoryBusRecords());
  const disk = await measure({
    pending: fileRecords(join(dir, "pending")),
    deadLetters: fileRecords(join(dir, "dead-letters")),
  });
  const line = (name: string, times: number[]) =>
    `${name.padEnd(28)} p50 ${percentile(times, 50).toFixed(3)} ms  p95 ${percentile(times, 95).toFixed(3)} ms  p99 ${percentile(times, 99).toFixed(3)} ms`;
  console.log(`PutEvents → accepted, ${events} events of ~${detail.length} bytes, target idle (${dir})`);
  console.log(line("in memory (no data dir)", memory));
  console.log(line("on disk, fsynced (.quell)", disk));
  const extra = percentile(disk, 50) - percentile(memory, 50);
  console.log(`the journal's fsync costs ${extra.toFixed(3)} ms per accepted event at the median`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
