import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AlertReceived, ingest } from "../../functions/ingest/core.js";
import { RefusalCounter } from "../../functions/ingest/refusal-counter.js";
import { DynamoSeenDeliveries, STALE_CLAIM_SECONDS } from "../../functions/ingest/seen-deliveries.js";
import type { CanonicalAlert } from "../../functions/shared/alert.js";
import { ValidationError } from "../../functions/shared/errors.js";
import { createDocumentClient, type RefusalTally, type Rejection } from "../../functions/shared/store.js";
import { quellSignatureHeaders } from "../../infra/local/signing.js";
import { admitEveryone } from "./ingest-doubles.js";
import { type LocalStore, startLocalStore } from "./local-store.js";

/**
 * What ingest keeps, on DynamoDB Local: refusals (issue 11 item 9: unauthenticated ones tallied per source, reason
 * and minute; authenticated ones one by one; both listed newest first, a page at a time) and signed deliveries seen
 * (item 16: a replay within the window is a duplicate, and of two identical requests exactly one is published).
 */

const TABLE = "quell-incidents";
const refusal = (code: string, n = 0): Rejection => ({
  source: "generic",
  status: 401,
  code,
  message: `refusal ${n}`,
  bodySha256: `sha-${n}`,
  bodyBytes: n,
});

describe("refusals kept by ingest", () => {
  let local: LocalStore;
  beforeAll(async () => {
    local = await startLocalStore();
  });
  afterAll(async () => local?.stop());

  it("lists authenticated rejections one by one and unauthenticated refusals as minute tallies, newest first", async () => {
    let now = new Date("2026-11-24T03:12:05.000Z");
    const store = local.store(() => now);
    await store.recordRejection({ ...refusal("invalid_payload", 1), status: 422 });
    const tally: RefusalTally = {
      minute: "2026-11-24T03:12",
      source: "generic",
      status: 401,
      code: "bad_signature",
      count: 3,
      firstAt: "2026-11-24T03:12:06.000Z",
      lastAt: "2026-11-24T03:12:07.000Z",
      sample: { message: "signature does not match", bodySha256: "first", bodyBytes: 10 },
    };
    await store.countRefusals(tally);
    await store.countRefusals({
      ...tally,
      count: 2,
      firstAt: "2026-11-24T03:12:08.000Z",
      lastAt: "2026-11-24T03:12:09.000Z",
      sample: { message: "later", bodySha256: "second", bodyBytes: 20 },
    });
    now = new Date("2026-11-24T03:13:00.000Z");
    await store.recordRejection({ ...refusal("invalid_json", 2), status: 400 });

    const page = await store.listRejections("2026-11-24", { limit: 10 });
    expect(page.nextCursor).toBeUndefined();
    expect(page.items).toEqual([
      { kind: "authenticated", at: "2026-11-24T03:13:00.000Z", ...refusal("invalid_json", 2), status: 400 },
      {
        kind: "unauthenticated",
        ...tally,
        count: 5,
        lastAt: "2026-11-24T03:12:09.000Z",
      },
      {
        kind: "authenticated",
        at: "2026-11-24T03:12:05.000Z",
        ...refusal("invalid_payload", 1),
        status: 422,
      },
    ]);
  });

  it("pages with an opaque cursor, says when there is more, and refuses a cursor it did not give out", async () => {
    const store = local.store(() => new Date("2026-11-23T10:00:00.000Z"));
    for (let n = 0; n < 5; n++) await store.recordRejection(refusal("invalid_json", n));
    const first = await store.listRejections("2026-11-23", { limit: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.nextCursor).toMatch(/^[A-Za-z0-9_-]+$/);
    const second = await store.listRejections("2026-11-23", { limit: 2, cursor: first.nextCursor });
    const third = await store.listRejections("2026-11-23", { limit: 2, cursor: second.nextCursor });
    expect(third.items).toHaveLength(1);
    expect(third.nextCursor).toBeUndefined();
    const all = [...first.items, ...second.items, ...third.items].map((item) =>
      item.kind === "authenticated" ? item.message : item.sample.message,
    );
    expect(new Set(all).size).toBe(5);

    await expect(store.listRejections("2026-11-23", { limit: 2, cursor: "not a cursor" })).rejects.toThrow(
      ValidationError,
    );
    await expect(store.listRejections("2026-11-22", { limit: 2, cursor: first.nextCursor })).rejects.toThrow(
      /another list or day/,
    );
    await expect(store.listRejections("2026-11-23", { limit: 0 })).rejects.toThrow(/limit must be/);
  });

  it("lists unmatched alerts newest first, a page at a time", async () => {
    const at = new Date("2026-11-21T08:00:00.000Z");
    const triageStore = local.triageStore(() => at);
    const alertOf = (n: number) =>
      ({ id: `alr_unmatched${n}`, receivedAt: `2026-11-21T07:00:0${n}.000Z` }) as CanonicalAlert;
    for (let n = 0; n < 3; n++) await triageStore.recordUnmatched(alertOf(n), "resolved");
    const first = await triageStore.listUnmatched("2026-11-21", { limit: 2 });
    expect(first.items.map((entry) => entry.alert.id)).toEqual(["alr_unmatched2", "alr_unmatched1"]);
    const rest = await triageStore.listUnmatched("2026-11-21", { limit: 2, cursor: first.nextCursor });
    expect(rest).toEqual({ items: [expect.objectContaining({ alert: alertOf(0) })] });
    await expect(triageStore.listUnmatched("2026-11-21", { limit: 2, cursor: "e30" })).rejects.toThrow(
      /not one this list gave out/,
    );
  });

  it("tallies a flood of 5,000 junk refusals in a bounded number of writes, losing no count", async () => {
    let ms = Date.parse("2026-11-25T10:00:00.000Z");
    const clock = () => new Date(ms);
    const store = local.store(clock);
    let writes = 0;
    const counter = new RefusalCounter(
      (tally) => {
        writes++;
        return store.countRefusals(tally);
      },
      clock,
      (error) => {
        throw error;
      },
    );
    // 5,000 refusals over 5 seconds, of two kinds.
    for (let n = 0; n < 5000; n++) {
      ms += 1;
      await counter.count(refusal(n % 2 === 0 ? "bad_signature" : "stale", n));
    }
    await counter.flush();
    expect(writes).toBeLessThanOrEqual(2 * 6 + 2);
    const { items } = await store.listRejections("2026-11-25", { limit: 100 });
    const counts = items.map((item) => (item.kind === "unauthenticated" ? item.count : 0));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(5000);
    expect(
      items.find((item) => item.kind === "unauthenticated" && item.code === "bad_signature"),
    ).toMatchObject({
      firstAt: "2026-11-25T10:00:00.001Z",
      sample: { message: "refusal 0", bodySha256: "sha-0", bodyBytes: 0 },
    });
  });

  it("writes no more often while a slow write is in flight: refusals that arrive meanwhile wait for the next flush", async () => {
    let writes = 0;
    let counted = 0;
    const counter = new RefusalCounter(
      async (tally) => {
        writes++;
        counted += tally.count;
        await new Promise((resolve) => setTimeout(resolve, 30));
      },
      () => new Date(),
      (error) => {
        throw error;
      },
    );
    // 60 refusals of one kind over about 0.6 s, each write taking 30 ms (a flood of large bodies, say).
    const counting: Promise<void>[] = [];
    for (let n = 0; n < 60; n++) {
      counting.push(counter.count(refusal("too_large", n)));
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await Promise.all(counting);
    await counter.flush();
    // The first at once, one by the timer a second later, one at the final flush; never one per refusal.
    expect(writes).toBeLessThanOrEqual(3);
    expect(counted).toBe(60);
  });
});

describe("signed deliveries seen by ingest", () => {
  let local: LocalStore;
  beforeAll(async () => {
    local = await startLocalStore();
  });
  afterAll(async () => local?.stop());

  let hash = 0;
  const nextHash = () => `sig-${++hash}`;

  it("claims a delivery once, answers its replays with the first alert id, and forgets a released claim", async () => {
    // From the real time: DynamoDB Local deletes items whose expiry (the TTL) has passed.
    let now = new Date();
    const seen = new DynamoSeenDeliveries(createDocumentClient(), TABLE, () => now);
    const signature = nextHash();
    const until = Math.floor(now.getTime() / 1000) + 300;
    expect(await seen.claim(signature, "alr_first", until)).toEqual({
      kind: "claimed",
      alertId: "alr_first",
    });
    expect(await seen.claim(signature, "alr_second", until)).toEqual({
      kind: "in_flight",
      alertId: "alr_first",
    });
    await seen.published(signature, "alr_first");
    expect(await seen.claim(signature, "alr_third", until)).toEqual({
      kind: "published",
      alertId: "alr_first",
    });

    const released = nextHash();
    await seen.claim(released, "alr_failed", until);
    await seen.release(released, "alr_failed");
    expect(await seen.claim(released, "alr_retry", until)).toEqual({ kind: "claimed", alertId: "alr_retry" });

    // An attempt that died before publishing: after STALE_CLAIM_SECONDS a retry takes over its alert id.
    const dead = nextHash();
    await seen.claim(dead, "alr_dead", until);
    now = new Date(now.getTime() + (STALE_CLAIM_SECONDS + 1) * 1000);
    expect(await seen.claim(dead, "alr_retry2", until)).toEqual({ kind: "claimed", alertId: "alr_dead" });
    // Past the window, a signature is forgotten (its timestamp is stale by then anyway).
    now = new Date((until + 1) * 1000);
    expect(await seen.claim(signature, "alr_late", until + 600)).toEqual({
      kind: "claimed",
      alertId: "alr_late",
    });
  });

  it("publishes exactly one of ten identical generic requests sent at once, and answers a replay as a duplicate", async () => {
    const secret = "unit-generic-secret";
    const seen = new DynamoSeenDeliveries(createDocumentClient(), TABLE, () => new Date());
    const published: AlertReceived[] = [];
    const counted: Rejection[] = [];
    let id = 0;
    const deps = {
      secret: async () => secret,
      publish: async (event: AlertReceived) => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        published.push(event);
      },
      recordRejection: async (rejection: Rejection) => {
        counted.push(rejection);
      },
      countRefusal: async (rejection: Rejection) => {
        counted.push(rejection);
      },
      admit: admitEveryone,
      deliveries: seen,
      clock: () => new Date(),
      newId: (prefix: string) => `${prefix}_race${++id}`,
      maxBodyBytes: 256 * 1024,
    };
    const occurredAt = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
    const body = JSON.stringify({
      schemaVersion: "1",
      id: "replayed-1",
      source: "custom:replay-test",
      type: "prompt_injection",
      severity: "high",
      occurredAt,
      principal: { type: "end_user", id: "usr_replay", provider: "example" },
      asset: { kind: "application", id: "support-chat", provider: "example", environment: "prod" },
      dedupKey: "replay-test-1",
    });
    const request = {
      method: "POST",
      source: "generic",
      headers: quellSignatureHeaders(body, secret),
      rawBody: new TextEncoder().encode(body),
    };
    const responses = await Promise.all(Array.from({ length: 10 }, () => ingest(request, deps)));
    expect(published).toHaveLength(1);
    const accepted = responses.filter((response) => response.status === 202);
    expect(accepted).toHaveLength(1);
    const firstId = accepted[0]?.body.alertId;
    expect(firstId).toBe(published[0]?.alertId);
    // The others saw it either being accepted (retry) or accepted (duplicate); none was published or kept.
    for (const response of responses.filter((other) => other.status !== 202)) {
      expect([200, 503]).toContain(response.status);
      if (response.status === 200) expect(response.body).toEqual({ alertId: firstId, status: "duplicate" });
    }
    expect(await ingest(request, deps)).toEqual({
      status: 200,
      body: { alertId: firstId, status: "duplicate" },
    });
    expect(published).toHaveLength(1);
    expect(counted).toEqual([]);
  });
});
