import { DeleteObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { DynamoDBRecord } from "aws-lambda";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type ExportedHead, exportHeads, headOf, type PutHead } from "../../functions/audit-export/core.js";
import { headWriter } from "../../functions/audit-export/s3-heads.js";
import {
  auditHeadKey,
  auditHeadsPrefix,
  type ChainHead,
  chainEntry,
  verifyAuditChain,
} from "../../functions/shared/audit-chain.js";
import { type S3Standin, startS3Standin } from "../../infra/local/standins/s3.js";
import { exportedHeads } from "../../infra/local/verify-audit-aws.js";

/**
 * The audit exporter: the newest chain head of each incident in a stream batch goes to the audit bucket once and
 * for good, and `verify-audit --aws --bucket` reads every version exported there back as witnesses a rewritten
 * chain must still agree with.
 */

const REGION = "us-east-1";
const BUCKET = "quell-audit-heads";
const STREAM_ARN =
  "arn:aws:dynamodb:us-east-1:111122223333:table/quell-incidents/stream/2026-12-07T00:00:00.000";

const hashOf = (n: number) => n.toString(16).padStart(64, "0");

type Linked = ReturnType<typeof chainEntry<{ kind: string; summary: string; at: string }>>;

/** The chain `from` continued by one note per summary. */
const chainOf = (incidentId: string, summaries: readonly string[], from: readonly Linked[] = []) => {
  const entries = [...from];
  for (const summary of summaries)
    entries.push(
      chainEntry(incidentId, entries.at(-1), { kind: "note", summary, at: "2026-12-07T06:00:00Z" }),
    );
  return entries;
};

/** A stream record as Lambda delivers it (NEW_AND_OLD_IMAGES) for the chain head item store.ts writes. */
function headRecord(
  incidentId: string,
  seq: number,
  sequenceNumber: string,
  hash = hashOf(seq),
): DynamoDBRecord {
  const keys = { pk: { S: `INC#${incidentId}` }, sk: { S: "CHAIN" } };
  const image = (place: number, placeHash: string) => ({
    ...keys,
    entity: { S: "chain" },
    seq: { N: String(place) },
    hash: { S: placeHash },
    at: { S: `2026-12-07T06:00:0${place % 10}.000Z` },
  });
  return {
    eventID: `event-${sequenceNumber}`,
    eventName: seq === 1 ? "INSERT" : "MODIFY",
    eventVersion: "1.1",
    eventSource: "aws:dynamodb",
    awsRegion: REGION,
    eventSourceARN: STREAM_ARN,
    dynamodb: {
      ApproximateCreationDateTime: 1_796_601_600,
      Keys: keys,
      NewImage: image(seq, hash),
      ...(seq > 1 ? { OldImage: image(seq - 1, hashOf(seq - 1)) } : {}),
      SequenceNumber: sequenceNumber,
      SizeBytes: 180,
      StreamViewType: "NEW_AND_OLD_IMAGES",
    },
  };
}

/** A timeline entry's record: the same table and stream, not a chain head. */
function entryRecord(incidentId: string, sequenceNumber: string): DynamoDBRecord {
  const keys = { pk: { S: `INC#${incidentId}` }, sk: { S: "EVT#2026-12-07T06:00:00.000Z#a1" } };
  return {
    eventID: `event-${sequenceNumber}`,
    eventName: "INSERT",
    eventSource: "aws:dynamodb",
    awsRegion: REGION,
    eventSourceARN: STREAM_ARN,
    dynamodb: {
      Keys: keys,
      NewImage: {
        ...keys,
        entity: { S: "event" },
        kind: { S: "received" },
        seq: { N: "1" },
        prevHash: { S: hashOf(0) },
        hash: { S: hashOf(1) },
        at: { S: "2026-12-07T06:00:00.000Z" },
      },
      SequenceNumber: sequenceNumber,
      StreamViewType: "NEW_AND_OLD_IMAGES",
    },
  };
}

describe("headOf: the chain head a stream record carries", () => {
  it("reads the incident, place, hash and time from the new image", () => {
    expect(headOf(headRecord("inc_a", 3, "100"))).toEqual({
      incidentId: "inc_a",
      seq: 3,
      hash: hashOf(3),
      at: "2026-12-07T06:00:03.000Z",
    });
  });

  it("is undefined for a timeline entry, a removal, a head with no valid place or hash, or another item", () => {
    const head = headRecord("inc_a", 2, "100");
    const image = head.dynamodb?.NewImage ?? {};
    const withImage = (NewImage: typeof image): DynamoDBRecord => ({
      ...head,
      dynamodb: { ...head.dynamodb, NewImage },
    });
    expect(headOf(entryRecord("inc_a", "101"))).toBeUndefined();
    expect(
      headOf({ ...head, eventName: "REMOVE", dynamodb: { ...head.dynamodb, NewImage: undefined } }),
    ).toBeUndefined();
    expect(headOf(withImage({ ...image, seq: { N: "0" } }))).toBeUndefined();
    expect(headOf(withImage({ ...image, seq: { N: "2.5" } }))).toBeUndefined();
    expect(headOf(withImage({ ...image, hash: { S: "ABC" } }))).toBeUndefined();
    expect(headOf(withImage({ ...image, hash: { S: "A".repeat(64) } }))).toBeUndefined();
    expect(headOf(withImage({ ...image, pk: { S: "APPROVAL#inc_a" } }))).toBeUndefined();
  });
});

describe("exportHeads: the newest head of each incident in a batch", () => {
  /** A put that records what it was asked to write and fails for the incidents named. */
  const recordingPut = (failing: readonly string[] = []) => {
    const written: [string, ExportedHead][] = [];
    const put: PutHead = async (key, head) => {
      if (failing.includes(head.incidentId)) throw new Error(`S3 refused ${key}`);
      written.push([key, head]);
    };
    return { put, written };
  };

  it("writes only each incident's newest head, whatever the order, and skips records that are not heads", async () => {
    const { put, written } = recordingPut();
    const outcome = await exportHeads(
      [
        headRecord("inc_a", 1, "100"),
        entryRecord("inc_a", "101"),
        headRecord("inc_b", 7, "102"),
        headRecord("inc_a", 3, "103"),
        headRecord("inc_a", 2, "104"),
        headRecord("inc_b", 6, "105"),
      ],
      put,
    );
    expect(outcome).toEqual({ exported: 2, skipped: 1, failed: [], errors: [] });
    expect(Object.fromEntries(written)).toEqual({
      "heads/inc_a/0000000003.json": {
        incidentId: "inc_a",
        seq: 3,
        hash: hashOf(3),
        at: "2026-12-07T06:00:03.000Z",
      },
      "heads/inc_b/0000000007.json": {
        incidentId: "inc_b",
        seq: 7,
        hash: hashOf(7),
        at: "2026-12-07T06:00:07.000Z",
      },
    });
    expect(written.map(([key]) => key)).toHaveLength(2);
  });

  it("a failed put reports exactly that incident's records as batch item failures; the others are exported", async () => {
    const { put, written } = recordingPut(["inc_b"]);
    const outcome = await exportHeads(
      [
        headRecord("inc_a", 4, "200"),
        headRecord("inc_b", 1, "201"),
        entryRecord("inc_b", "202"),
        headRecord("inc_c", 9, "203"),
        headRecord("inc_b", 2, "204"),
      ],
      put,
    );
    expect([...outcome.failed].sort()).toEqual(["201", "204"]);
    expect(outcome).toMatchObject({ exported: 2, skipped: 1 });
    expect(outcome.errors).toEqual([
      { incidentId: "inc_b", error: new Error("S3 refused heads/inc_b/0000000002.json") },
    ]);
    expect(written.map(([key]) => key).sort()).toEqual([
      "heads/inc_a/0000000004.json",
      "heads/inc_c/0000000009.json",
    ]);
  });

  it("an empty batch or one without heads writes nothing", async () => {
    const { put, written } = recordingPut();
    expect(await exportHeads([], put)).toEqual({ exported: 0, skipped: 0, failed: [], errors: [] });
    expect(await exportHeads([entryRecord("inc_a", "300")], put)).toEqual({
      exported: 0,
      skipped: 1,
      failed: [],
      errors: [],
    });
    expect(written).toEqual([]);
  });
});

describe("the audit bucket on the S3 stand-in: heads written once, every version read back", () => {
  let standin: S3Standin;
  let s3: S3Client;
  beforeEach(async () => {
    standin = await startS3Standin({ buckets: [{ name: BUCKET, versioned: true, objects: [] }] });
    s3 = new S3Client({
      endpoint: standin.url,
      region: REGION,
      forcePathStyle: true,
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
  });
  afterEach(async () => {
    s3.destroy();
    await standin.close();
  });

  const exported = (incidentId: string, head: ChainHead): ExportedHead => ({
    incidentId,
    seq: head.seq,
    hash: head.hash,
    at: "2026-12-07T06:00:00.000Z",
  });

  it("headWriter writes a head once; the same head again is a redelivery, a different one an error", async () => {
    const putHead = headWriter(s3, BUCKET);
    const head = exported("inc_a", { seq: 2, hash: hashOf(2) });
    const key = auditHeadKey("inc_a", 2);
    await putHead(key, head);
    expect(standin.object(BUCKET, key)).toMatchObject({ contentType: "application/json" });
    expect(JSON.parse(standin.object(BUCKET, key)?.body.toString("utf8") ?? "")).toEqual(head);

    await putHead(key, head);
    expect(standin.versions(BUCKET, key)).toHaveLength(1);

    const other = { ...head, hash: hashOf(0xbad) };
    await expect(putHead(key, other)).rejects.toThrow(
      `s3://${BUCKET}/${key} holds head ${head.hash} for place 2, not ${other.hash}`,
    );
    expect(standin.versions(BUCKET, key)).toHaveLength(1);
    expect(JSON.parse(standin.object(BUCKET, key)?.body.toString("utf8") ?? "")).toEqual(head);
    expect(standin.operations()).toEqual(["PutObject", "PutObject", "GetObject", "PutObject", "GetObject"]);
    expect(standin.answered.map((answer) => answer.status)).toEqual([200, 412, 200, 412, 200]);
  });

  it("exportHeads through headWriter: a redelivered batch is exported again without error", async () => {
    const putHead = headWriter(s3, BUCKET);
    const batch = [
      headRecord("inc_a", 1, "400"),
      headRecord("inc_a", 2, "401"),
      headRecord("inc_b", 5, "402"),
    ];
    expect(await exportHeads(batch, putHead)).toMatchObject({ exported: 2, failed: [] });
    expect(await exportHeads(batch, putHead)).toMatchObject({ exported: 2, failed: [] });
    expect(standin.keys(BUCKET)).toEqual([auditHeadKey("inc_a", 2), auditHeadKey("inc_b", 5)]);
  });

  it("a chain rewritten after export is caught by every exported version, hidden or overwritten ones too", async () => {
    const incidentId = "inc_rewritten";
    const genuine = chainOf(incidentId, ["received", "triaged", "approved", "contained"]);
    const [first, second, , fourth] = genuine;
    if (!first || !second || !fourth) throw new Error("no chain");

    // The exporter wrote heads 2 and 4.
    const putHead = headWriter(s3, BUCKET);
    await putHead(auditHeadKey(incidentId, 2), exported(incidentId, second));
    await putHead(auditHeadKey(incidentId, 4), exported(incidentId, fourth));

    // Someone with write access to the table and the bucket (but no Object Lock bypass) rewrites the chain from
    // entry 2 on, hides head 2 under a delete marker and puts a head of the rewritten chain over head 4.
    const rewritten = chainOf(incidentId, ["triaged: nothing to see", "closed as benign", "closed"], [first]);
    const forged = rewritten[3];
    if (!forged) throw new Error("no chain");
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: auditHeadKey(incidentId, 2) }));
    await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: auditHeadKey(incidentId, 4),
        Body: JSON.stringify(exported(incidentId, forged)),
        ContentType: "application/json",
      }),
    );
    // What an ordinary listing shows agrees with the rewritten chain.
    expect(standin.keys(BUCKET, auditHeadsPrefix(incidentId))).toEqual([auditHeadKey(incidentId, 4)]);
    expect(
      verifyAuditChain(incidentId, rewritten, forged, [{ seq: 4, hash: forged.hash, source: "latest" }])
        .broken,
    ).toBeNull();

    const witnessed = await exportedHeads(s3, BUCKET, incidentId);
    const [hidden, overwriting, overwritten] = [
      standin.versions(BUCKET, auditHeadKey(incidentId, 2))[0],
      ...standin.versions(BUCKET, auditHeadKey(incidentId, 4)).reverse(),
    ];
    const source = (seq: number, versionId: string | undefined) =>
      `s3://${BUCKET}/${auditHeadKey(incidentId, seq)}?versionId=${versionId}`;
    expect(witnessed).toEqual([
      { seq: 2, hash: second.hash, source: source(2, hidden?.versionId) },
      { seq: 4, hash: forged.hash, source: source(4, overwriting?.versionId) },
      { seq: 4, hash: fourth.hash, source: source(4, overwritten?.versionId) },
    ]);
    expect(standin.operations().filter((operation) => operation === "ListObjectVersions")).toHaveLength(1);

    expect(verifyAuditChain(incidentId, rewritten, forged).broken).toBeNull();
    expect(verifyAuditChain(incidentId, rewritten, forged, witnessed).broken).toEqual({
      seq: 2,
      at: "2026-12-07T06:00:00Z",
      kind: "note",
      problem: `differs from the head exported to ${source(2, hidden?.versionId)}: the chain was rewritten from here or before`,
    });
    // Head 4 alone catches it too: the version under the forged one.
    expect(
      verifyAuditChain(
        incidentId,
        rewritten,
        forged,
        witnessed.filter((head) => head.seq === 4),
      ).broken,
    ).toMatchObject({ seq: 4, problem: expect.stringContaining(source(4, overwritten?.versionId)) });
    // The genuine chain agrees with what the exporter wrote.
    const exporterWrote = witnessed.filter((head) => head.source !== source(4, overwriting?.versionId));
    expect(exporterWrote).toHaveLength(2);
    expect(verifyAuditChain(incidentId, genuine, fourth, exporterWrote).broken).toBeNull();
  });

  it("exportedHeads pages through more than 1000 versions", async () => {
    const incidentId = "inc_long";
    const heads = Array.from({ length: 1002 }, (_, index) => ({ seq: index + 1, hash: hashOf(index + 1) }));
    for (const head of heads)
      standin.putByHand(
        BUCKET,
        auditHeadKey(incidentId, head.seq),
        JSON.stringify(exported(incidentId, head)),
      );
    standin.putByHand(
      BUCKET,
      auditHeadKey("inc_other", 1),
      JSON.stringify(exported("inc_other", heads[0] as ChainHead)),
    );
    const witnessed = await exportedHeads(s3, BUCKET, incidentId);
    expect(witnessed.map(({ seq, hash }) => ({ seq, hash }))).toEqual(heads);
    expect(standin.operations().filter((operation) => operation === "ListObjectVersions")).toHaveLength(2);
    expect(
      standin.requests.find((request) => request.query["key-marker"] !== undefined)?.query,
    ).toMatchObject({
      "key-marker": auditHeadKey(incidentId, 1000),
      "version-id-marker": standin.versions(BUCKET, auditHeadKey(incidentId, 1000))[0]?.versionId,
    });
  }, 60_000);
});
