import { DeleteCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHAIN_START, chainEntry, entryHash, verifyAuditChain } from "../../functions/shared/audit-chain.js";
import { canonicalJson, sha256Hex } from "../../functions/shared/hash.js";
import type { Approval } from "../../functions/shared/incident.js";
import { createDocumentClient, type IncidentStore } from "../../functions/shared/store.js";
import { type LocalStore, startLocalStore } from "./local-store.js";

/**
 * Issue 16, tamper-evident audit: every timeline entry is a link of its incident's chain, written with the chain's
 * head in one transaction, and verifyAuditChain names the first entry edited, inserted, removed or cut off.
 */

const TABLE = "quell-incidents";
const clock = () => new Date();

describe("the chain's arithmetic", () => {
  it("hashes the incident id and every stored field but keys and hash, in canonical JSON", () => {
    const entry = {
      kind: "received",
      summary: "s",
      at: "2026-12-07T00:00:00.000Z",
      seq: 1,
      prevHash: CHAIN_START,
    };
    const expected = sha256Hex(canonicalJson({ incidentId: "inc_a", entry }));
    expect(entryHash("inc_a", { ...entry, pk: "INC#inc_a", sk: "EVT#x", entity: "event", hash: "h" })).toBe(
      expected,
    );
    expect(entryHash("inc_b", entry)).not.toBe(expected);
    expect(entryHash("inc_a", { ...entry, detail: { a: 1 } })).not.toBe(expected);
  });

  it("links each entry to the one before it", () => {
    const first = chainEntry("inc_a", undefined, { kind: "received", summary: "one", at: "t1" });
    const second = chainEntry("inc_a", first, { kind: "triaged", summary: "two", at: "t0" });
    expect(first).toMatchObject({ seq: 1, prevHash: CHAIN_START });
    expect(second).toMatchObject({ seq: 2, prevHash: first.hash });
    expect(verifyAuditChain("inc_a", [second, first], second).broken).toBeNull();
  });
});

describe("the audit chain on DynamoDB Local", () => {
  let local: LocalStore;
  let store: IncidentStore;
  let db: ReturnType<typeof createDocumentClient>;
  beforeAll(async () => {
    local = await startLocalStore();
    store = local.store(clock);
    db = createDocumentClient();
  }, 120_000);
  afterAll(async () => {
    db?.destroy();
    await local?.stop();
  });

  const verify = async (incidentId: string) => {
    const chain = await store.auditChain(incidentId);
    return verifyAuditChain(incidentId, chain.entries, chain.head);
  };
  const entryAt = async (incidentId: string, seq: number) => {
    const { entries } = await store.auditChain(incidentId);
    const entry = entries.find((candidate) => candidate.seq === seq);
    if (!entry) throw new Error(`no entry ${seq}`);
    return entry;
  };
  const keyOf = async (incidentId: string, seq: number) => {
    const items = (await store.auditChain(incidentId)).entries;
    const item = items.find((candidate) => candidate.seq === seq);
    if (!item) throw new Error(`no entry ${seq}`);
    return { pk: item.pk, sk: item.sk };
  };
  const timelineOf = async (incidentId: string, count: number) => {
    for (let index = 0; index < count; index++) {
      await store.appendTimeline(incidentId, {
        kind: "received",
        summary: `entry ${index}`,
        detail: { index, nested: { z: 1, a: [1, "two", null] } },
      });
    }
  };

  it("keeps one unbroken chain however many writers append at once", async () => {
    await Promise.all(
      Array.from({ length: 24 }, (_, index) =>
        store.appendTimeline("inc_race", { kind: "received", summary: `writer ${index}` }),
      ),
    );
    const verdict = await verify("inc_race");
    expect(verdict).toMatchObject({ entries: 24, broken: null, head: { seq: 24 } });
    const chain = await store.auditChain("inc_race");
    expect(chain.entries.map((entry) => entry.seq).sort((a, b) => Number(a) - Number(b))).toEqual(
      Array.from({ length: 24 }, (_, index) => index + 1),
    );
  }, 60_000);

  it("writes a decision once: the second writer adds no link", async () => {
    const approval = {
      incidentId: "inc_decision",
      step: "ApproveRevoke",
      approvalId: "inc_decision.ApproveRevoke",
      status: "approved",
      decidedBy: "U0APPROVER",
      decidedAt: "2026-12-07T05:00:00.000Z",
      approvedBy: ["U0APPROVER"],
    } as unknown as Approval;
    await store.recordDecision(approval, { comment: "first" });
    await store.recordDecision(approval);
    const chain = await store.auditChain("inc_decision");
    expect(chain.entries).toHaveLength(1);
    expect(chain.entries[0]).toMatchObject({ seq: 1, detail: { comment: "first" } });
    expect((await verify("inc_decision")).broken).toBeNull();
  });

  it("names an entry edited in the table", async () => {
    await timelineOf("inc_edit", 5);
    expect((await verify("inc_edit")).broken).toBeNull();
    await db.send(
      new UpdateCommand({
        TableName: TABLE,
        Key: await keyOf("inc_edit", 3),
        UpdateExpression: "SET summary = :forged",
        ExpressionAttributeValues: { ":forged": "approved by nobody" },
      }),
    );
    expect((await verify("inc_edit")).broken).toMatchObject({
      seq: 3,
      kind: "received",
      problem: "does not match its hash: it was edited after it was written",
    });
  });

  it("names an entry whose content and hash were both rewritten, at the next link", async () => {
    await timelineOf("inc_rehash", 4);
    const entry = await entryAt("inc_rehash", 2);
    const forged = { ...entry, summary: "forged" };
    await db.send(
      new PutCommand({
        TableName: TABLE,
        Item: {
          ...(await keyOf("inc_rehash", 2)),
          entity: "event",
          ...forged,
          hash: entryHash("inc_rehash", forged),
        },
      }),
    );
    expect((await verify("inc_rehash")).broken).toMatchObject({
      seq: 3,
      problem: "does not link to entry 2 (prevHash differs): the chain was rewritten",
    });
  });

  it("names a removed entry, an inserted one and a cut-off end", async () => {
    await timelineOf("inc_removed", 4);
    await db.send(new DeleteCommand({ TableName: TABLE, Key: await keyOf("inc_removed", 2) }));
    expect((await verify("inc_removed")).broken).toMatchObject({
      seq: 3,
      problem: "follows entry 1: entry 2 is missing",
    });

    await timelineOf("inc_inserted", 2);
    await db.send(
      new PutCommand({
        TableName: TABLE,
        Item: {
          pk: "INC#inc_inserted",
          sk: "EVT#2026-01-01T00:00:00.000Z#forged",
          entity: "event",
          kind: "approval_decided",
          summary: "approved by U0FORGER",
          at: "2026-01-01T00:00:00.000Z",
        },
      }),
    );
    expect((await verify("inc_inserted")).broken).toMatchObject({
      seq: null,
      kind: "approval_decided",
      problem: "carries no chain link: it was not written by Quell",
    });

    await timelineOf("inc_cut", 3);
    await db.send(new DeleteCommand({ TableName: TABLE, Key: await keyOf("inc_cut", 3) }));
    expect((await verify("inc_cut")).broken).toMatchObject({
      seq: 2,
      problem: "ends at entry 2 but its head is entry 3: entries were removed from the end",
    });
  });

  it("catches a whole chain rewritten from some entry on by the head exported before", async () => {
    await timelineOf("inc_rewritten", 3);
    const exportedHead = (await store.auditChain("inc_rewritten")).head;
    if (!exportedHead) throw new Error("no head after three entries");
    const exported = { ...exportedHead, source: "s3://audit/heads" };
    // Rewrite entry 2 and everything after it, head included: consistent, but not what was exported.
    const first = await entryAt("inc_rewritten", 1);
    const second = chainEntry(
      "inc_rewritten",
      { seq: 1, hash: String(first.hash) },
      {
        kind: "received",
        summary: "forged",
        at: "2026-12-07T00:00:00.000Z",
      },
    );
    const third = await entryAt("inc_rewritten", 3);
    await db.send(new DeleteCommand({ TableName: TABLE, Key: await keyOf("inc_rewritten", 3) }));
    await db.send(
      new PutCommand({
        TableName: TABLE,
        Item: { ...(await keyOf("inc_rewritten", 2)), entity: "event", ...second },
      }),
    );
    await db.send(
      new PutCommand({
        TableName: TABLE,
        Item: { pk: "INC#inc_rewritten", sk: "CHAIN", entity: "chain", seq: 2, hash: second.hash },
      }),
    );
    const chain = await store.auditChain("inc_rewritten");
    expect(verifyAuditChain("inc_rewritten", chain.entries, chain.head).broken).toBeNull();
    expect(verifyAuditChain("inc_rewritten", chain.entries, chain.head, [exported]).broken).toMatchObject({
      seq: 3,
      problem: "is missing, yet s3://audit/heads holds it as exported: entries were removed",
    });
    expect(third.seq).toBe(3);
  });
});
