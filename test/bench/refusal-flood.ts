/**
 * Benchmark: a flood of junk requests, and what it costs the database. `requests` unauthenticated requests (bad
 * signatures on POST /alerts/generic, invented source names, a wrong content type on POST /alerts/github) go
 * through ingest with its real refusal tally and store on DynamoDB Local, as fast as it takes them; then one real
 * refusal (a signed generic alert of the wrong shape). Reports the DynamoDB writes the flood cost (every
 * PutItem, UpdateItem, DeleteItem, BatchWriteItem and TransactWriteItems sent), the counts the tallies hold, and
 * whether the real refusal is on the first page of the day's rejections.
 *
 *   npx tsx test/bench/refusal-flood.ts [requests=5000]
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
const { randomBytes } = await import("node:crypto");
const { machineLine } = await import("./stats.js");
const { startLocalDynamo, LOCAL_TABLES } = await import("../../infra/local/dynamodb.js");
const { quellSignatureHeaders } = await import("../../infra/local/signing.js");
const { ingest } = await import("../../functions/ingest/core.js");
const { RefusalCounter } = await import("../../functions/ingest/refusal-counter.js");
const { createDocumentClient, IncidentStore } = await import("../../functions/shared/store.js");
const { newId, systemClock } = await import("../../functions/shared/ids.js");

const requests = Number(process.argv[2] ?? 5000);
const credentials = { accessKeyId: "bench", secretAccessKey: "bench" };
const dynamo = await startLocalDynamo({ credentials });
Object.assign(process.env, {
  AWS_REGION: "us-east-1",
  AWS_ACCESS_KEY_ID: credentials.accessKeyId,
  AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
  AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
});

const WRITES = new Set(["PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"]);
let writes = 0;
const db = createDocumentClient();
db.middlewareStack.add(
  (next, context) => async (args) => {
    if (WRITES.has(String(context.commandName).replace(/Command$/, ""))) writes++;
    return next(args);
  },
  { step: "initialize", name: "benchCountWrites" },
);
const store = new IncidentStore(db, LOCAL_TABLES[0].name, systemClock);
const refusals = new RefusalCounter(
  (tally) => store.countRefusals(tally),
  systemClock,
  (error) => console.error(error),
);
const SECRET = "bench-generic-secret";
const deps = {
  secret: async () => SECRET,
  publish: async () => {},
  // As the ingest handler wires them: authenticated refusals one by one, the others tallied.
  recordRejection: (rejection: Parameters<typeof store.recordRejection>[0]) =>
    store.recordRejection(rejection),
  countRefusal: (refusal: Parameters<typeof refusals.count>[0]) => refusals.count(refusal),
  admit: () => ({ allowed: true as const }),
  deliveries: {
    claim: async (_hash: string, alertId: string) => ({ kind: "claimed" as const, alertId }),
    published: async () => {},
    release: async () => {},
  },
  clock: systemClock,
  newId,
  maxBodyBytes: 256 * 1024,
};

/** Junk request `i`: a third each of bad signatures, invented sources and wrong content types. */
function junk(i: number) {
  const body = new TextEncoder().encode(`{"junk":"${randomBytes(8).toString("hex")}"}`);
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "x-quell-timestamp": String(Math.floor(Date.now() / 1000)),
    "x-quell-signature": `v1=${randomBytes(32).toString("hex")}`,
  };
  if (i % 3 === 0) return { method: "POST", source: "generic", headers, rawBody: body };
  if (i % 3 === 1) return { method: "POST", source: `nope-${i}`, headers, rawBody: body };
  return {
    method: "POST",
    source: "github",
    headers: { ...headers, "content-type": "text/plain" },
    rawBody: body,
  };
}

const started = performance.now();
for (let i = 0; i < requests; i++) {
  const response = await ingest(junk(i), deps);
  if (response.status < 400) throw new Error(`junk request ${i} was accepted`);
}
const floodMs = performance.now() - started;
await refusals.flush();
const floodWrites = writes;

const real = JSON.stringify({ schemaVersion: "1", id: "bench-real-refusal" });
const refused = await ingest(
  {
    method: "POST",
    source: "generic",
    headers: quellSignatureHeaders(real, SECRET),
    rawBody: new TextEncoder().encode(real),
  },
  deps,
);
const day = new Date().toISOString().slice(0, 10);
const page = await store.listRejections(day, { limit: 50 });
const tallied = page.items.reduce((sum, item) => sum + (item.kind === "unauthenticated" ? item.count : 0), 0);
const realShown = page.items.some((item) => item.kind === "authenticated" && item.code === "invalid_payload");

console.log(await machineLine());
console.log(`junk requests                 ${requests} in ${floodMs.toFixed(0)} ms (all refused)`);
console.log(`DynamoDB writes for the flood ${floodWrites} (one write per refusal would be ${requests})`);
console.log(`refusals in the tallies       ${tallied} of ${requests}`);
console.log(
  `items on the first page       ${page.items.length} (${page.nextCursor ? "more follow" : "no more"})`,
);
console.log(`the real refusal (${refused.status}) is on the first page: ${realShown ? "yes" : "NO"}`);
db.destroy();
await dynamo.stop();
if (tallied !== requests || !realShown) process.exit(1);

export {};
