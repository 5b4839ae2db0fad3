import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AlertReceived, ingest } from "../../functions/ingest/core.js";
import { newId } from "../../functions/shared/ids.js";
import type { AlertReceivedDetail } from "../../functions/triage/core.js";
import { quellSignatureHeaders } from "../../infra/local/signing.js";
import { admitEveryone, noDeliverySeen } from "./ingest-doubles.js";
import { type LocalStore, startLocalStore } from "./local-store.js";
import { triageDeps, triageOne } from "./triage-harness.js";

/**
 * Issue 11 item 4: a signed alert answered 202 whose evidence holds numbers the DynamoDB document client cannot
 * store (integers beyond 2^53, magnitudes from 1e125, below 1e-130) must still be stored, counted once per alert
 * and read back exactly as the edge parsed it.
 */

const SECRET = "unit-generic-secret";
/** Written as the sender wrote them: JSON.parse makes 2^53 + 1 the double 2^53, which is what is kept. */
const EVIDENCE_TEXT =
  '{"big": 9007199254740993, "huge": 1e125, "tiny": 1e-131, "negative": -3.5e300, "plain": 42}';

let unique = 0;
/** A generic alert body about `principal`, with the big numbers as evidence. */
function body(principal: string, dedupKey: string): string {
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
  return `{"schemaVersion":"1","id":"evt-${++unique}","source":"custom:numbers","type":"agent_tool_misuse","severity":"high",
"occurredAt":"${now}","principal":{"type":"iam_role","id":"${principal}","provider":"aws"},
"asset":{"kind":"agent","id":"agent-${principal}","provider":"aws","environment":"prod"},
"evidence": ${EVIDENCE_TEXT},"dedupKey":"${dedupKey}"}`;
}

/** What triage receives for `text` posted to POST /alerts/generic: ingest's event, through the bus as JSON. */
async function delivered(text: string): Promise<AlertReceivedDetail> {
  const published: AlertReceived[] = [];
  const response = await ingest(
    {
      method: "POST",
      source: "generic",
      headers: quellSignatureHeaders(text, SECRET),
      rawBody: new TextEncoder().encode(text),
    },
    {
      secret: async () => SECRET,
      publish: async (event) => {
        published.push(event);
      },
      recordRejection: async () => {},
      countRefusal: async () => {},
      admit: admitEveryone,
      deliveries: noDeliverySeen,
      clock: () => new Date(),
      newId,
      maxBodyBytes: 256 * 1024,
    },
  );
  expect(response.status).toBe(202);
  return JSON.parse(JSON.stringify(published[0]));
}

const EXPECTED_EVIDENCE = {
  "evidence.big": 9007199254740992,
  "evidence.huge": 1e125,
  "evidence.tiny": 1e-131,
  "evidence.negative": -3.5e300,
  "evidence.plain": 42,
};

/** Deliver again as the bus does after a failure: each attempt that throws is retried, up to `attempts`. */
async function withRetries<T>(attempt: () => Promise<T>, attempts = 4): Promise<T> {
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      return await attempt();
    } catch (error) {
      last = error;
    }
  }
  throw last;
}

describe("alerts whose numbers DynamoDB cannot hold as numbers", () => {
  let local: LocalStore;
  beforeAll(async () => {
    local = await startLocalStore();
  });
  afterAll(async () => local?.stop());

  const setup = () =>
    triageDeps(local, () => new Date(), { routes: [{ id: "watch", match: {}, playbook: null }] });

  it("stores the first alert with its incident, read back exactly as the edge parsed it", async () => {
    const { deps } = setup();
    const principal = `arn:aws:iam::111122223333:role/first-${unique}`;
    const detail = await delivered(body(principal, principal));
    const outcome = await triageOne(detail, deps);
    const stored = await deps.store.getIncidentDetail(outcome.incidentId ?? "missing");
    expect(stored?.alertCount).toBe(1);
    expect(stored?.alerts).toEqual([detail.alerts?.[0]]);
    expect(stored?.alerts[0]?.details).toMatchObject(EXPECTED_EVIDENCE);
  });

  it("counts a duplicate once however often the bus delivers it, and keeps it", async () => {
    const { deps } = setup();
    const principal = `arn:aws:iam::111122223333:role/dup-${unique}`;
    const first = await triageOne(await delivered(body(principal, principal)), deps);
    const duplicate = await delivered(body(principal, principal));
    for (let delivery = 0; delivery < 4; delivery++) await withRetries(() => triageOne(duplicate, deps));
    const stored = await deps.store.getIncidentDetail(first.incidentId ?? "missing");
    expect(stored?.alertCount).toBe(2);
    expect(stored?.alerts.map((alert) => alert.id).sort()).toEqual(
      [stored?.alerts[0]?.id, duplicate.alertId].sort(),
    );
  });

  it("keeps a correlated alert on the incident it joins", async () => {
    const { deps } = setup();
    const principal = `arn:aws:iam::111122223333:role/corr-${unique}`;
    const first = await triageOne(await delivered(body(principal, `${principal}#a`)), deps);
    const other = await delivered(body(principal, `${principal}#b`));
    const joined = await withRetries(() => triageOne(other, deps));
    expect(joined).toEqual({ outcome: "not_started", incidentId: first.incidentId, reason: "correlated" });
    const stored = await deps.store.getIncidentDetail(first.incidentId ?? "missing");
    expect(stored?.alertCount).toBe(2);
    expect(stored?.alerts.find((alert) => alert.id === other.alertId)).toEqual(other.alerts?.[0]);
  });
});
