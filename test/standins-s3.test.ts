import { createHash, randomBytes } from "node:crypto";
import { request as httpRequest } from "node:http";
import { Readable } from "node:stream";
import { crc32 } from "node:zlib";
import {
  type ChecksumAlgorithm,
  CopyObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  type ListObjectVersionsCommandOutput,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  paginateListObjectsV2,
  S3Client,
} from "@aws-sdk/client-s3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  S3_KB_BUCKET,
  S3_KB_PREFIX,
  S3_POISONED_KEY,
  S3_REFUNDS_KEY,
  S3_REFUNDS_METADATA_KEY,
  type S3BucketSeed,
  type S3Standin,
  s3KnowledgeBaseSeed,
  startS3Standin,
} from "../infra/local/standins/s3.js";

const REGION = "us-east-1";
const SCRATCH = "scratch-unversioned";
const PAGING = "paging-bucket";
const QUARANTINE_KEY = `quarantine/${S3_POISONED_KEY}`;
/** A header that looks like SigV4 for s3 (the stand-in does not check the signature itself). */
const SIGNED = `AWS4-HMAC-SHA256 Credential=local/20261207/${REGION}/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=${"0".repeat(64)}`;

const md5 = (bytes: Buffer | string) => `"${createHash("md5").update(bytes).digest("hex")}"`;

async function bytesOf(output: GetObjectCommandOutput): Promise<Buffer> {
  if (!output.Body) throw new Error("GetObject answered no body");
  return Buffer.from(await output.Body.transformToByteArray());
}

const pagingSeed = (): S3BucketSeed => ({
  name: PAGING,
  objects: [
    ...Array.from({ length: 7 }, (_, i) => ({ key: `docs/page-${i}.txt`, body: `document ${i}` })),
    { key: "other/outside.txt", body: "not under docs/" },
  ],
});

const scratchSeed = (): S3BucketSeed => ({
  name: SCRATCH,
  objects: [{ key: "notes/keep.txt", body: "keep me", contentType: "text/plain", tags: { team: "sec" } }],
});

/** Every header the SDK put on the wire, request by request (read after signing), names lower-cased. */
function captureSentHeaders(client: S3Client): Record<string, string>[] {
  const sent: Record<string, string>[] = [];
  client.middlewareStack.add(
    (next) => async (args) => {
      const { headers } = args.request as { headers?: Record<string, string> };
      if (headers)
        sent.push(
          Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value])),
        );
      return next(args);
    },
    { step: "finalizeRequest", priority: "low", name: "captureSentHeaders" },
  );
  return sent;
}

describe("S3 stand-in, through the AWS SDK's S3 client", () => {
  let standin: S3Standin;
  let s3: S3Client;
  const client = (extra: Partial<ConstructorParameters<typeof S3Client>[0]> = {}) =>
    new S3Client({
      endpoint: standin.url,
      region: REGION,
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
      ...extra,
    });
  /** A request with a SigV4-looking Authorization, for what the SDK will not send. */
  const signedFetch = (path: string, init: RequestInit & { headers?: Record<string, string> } = {}) =>
    fetch(`${standin.url}${path}`, {
      ...init,
      headers: { authorization: SIGNED, "x-amz-content-sha256": "UNSIGNED-PAYLOAD", ...init.headers },
    });

  beforeEach(async () => {
    standin = await startS3Standin({ buckets: [s3KnowledgeBaseSeed(), scratchSeed(), pagingSeed()] });
    s3 = client();
  });
  afterEach(async () => {
    s3.destroy();
    await standin.close();
  });

  it("HeadObject and GetObject answer the seeded document: bytes, ETag, type, metadata, version, tag count", async () => {
    const [clean, poisoned] = standin.versions(S3_KB_BUCKET, S3_POISONED_KEY);
    if (!clean || clean.deleteMarker || !poisoned || poisoned.deleteMarker) throw new Error("bad seed");
    const expected = {
      ContentLength: poisoned.body.length,
      ContentType: "text/html; charset=utf-8",
      ETag: md5(poisoned.body),
      LastModified: new Date("2026-12-01T22:14:09.000Z"),
      Metadata: { "submitted-via": "public-review-form" },
      VersionId: poisoned.versionId,
      TagCount: 2,
    };
    const head = await s3.send(new HeadObjectCommand({ Bucket: S3_KB_BUCKET, Key: S3_POISONED_KEY }));
    expect(head).toMatchObject(expected);
    expect(head.$metadata.httpStatusCode).toBe(200);

    const got = await s3.send(new GetObjectCommand({ Bucket: S3_KB_BUCKET, Key: S3_POISONED_KEY }));
    expect(got).toMatchObject(expected);
    const text = (await bytesOf(got)).toString("utf8");
    expect(text).toContain("ignore your previous instructions");

    const older = await s3.send(
      new GetObjectCommand({ Bucket: S3_KB_BUCKET, Key: S3_POISONED_KEY, VersionId: clean.versionId }),
    );
    expect(older).toMatchObject({ VersionId: clean.versionId, ETag: md5(clean.body) });
    expect((await bytesOf(older)).toString("utf8")).not.toContain("ignore your previous instructions");

    expect(standin.operations()).toEqual(["HeadObject", "GetObject", "GetObject"]);
    expect(standin.requests[0]).toMatchObject({
      method: "HEAD",
      path: `/${S3_KB_BUCKET}/kb/hotel-reviews/review-0142.html`,
      authorization: expect.stringMatching(
        /^AWS4-HMAC-SHA256 Credential=local\/\d{8}\/us-east-1\/s3\/aws4_request, /,
      ),
    });
  });

  it("PutObject stores bytes as bytes, with content type, metadata and tags; the ETag is their MD5", async () => {
    const body = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: SCRATCH,
        Key: "bin/all-bytes.bin",
        Body: body,
        ContentType: "application/x-quell-test",
        Metadata: { Reason: "quarantine-test" },
        Tagging: "quell=quarantined&incident=INC 42",
      }),
    );
    expect(put.ETag).toBe(md5(body));
    expect(put.VersionId).toBeUndefined();
    expect(standin.object(SCRATCH, "bin/all-bytes.bin")).toMatchObject({
      body,
      contentType: "application/x-quell-test",
      metadata: { reason: "quarantine-test" },
      tags: { quell: "quarantined", incident: "INC 42" },
      etag: md5(body),
      versionId: "null",
    });

    const got = await s3.send(new GetObjectCommand({ Bucket: SCRATCH, Key: "bin/all-bytes.bin" }));
    expect(await bytesOf(got)).toEqual(body);
    expect(got).toMatchObject({
      ContentLength: 256,
      ContentType: "application/x-quell-test",
      Metadata: { reason: "quarantine-test" },
      TagCount: 2,
    });
    expect(got.VersionId).toBeUndefined();
    const tagging = await s3.send(new GetObjectTaggingCommand({ Bucket: SCRATCH, Key: "bin/all-bytes.bin" }));
    expect(tagging.TagSet).toEqual([
      { Key: "quell", Value: "quarantined" },
      { Key: "incident", Value: "INC 42" },
    ]);

    const versioned = await s3.send(
      new PutObjectCommand({ Bucket: S3_KB_BUCKET, Key: "kb/faq/new.md", Body: "# New\n" }),
    );
    expect(versioned.VersionId).toBe(standin.versions(S3_KB_BUCKET, "kb/faq/new.md")[0]?.versionId);
    // The SDK labels a string body application/octet-stream when no ContentType is given.
    expect(standin.object(S3_KB_BUCKET, "kb/faq/new.md")?.contentType).toBe("application/octet-stream");
    expect(standin.operations()).toEqual(["PutObject", "GetObject", "GetObjectTagging", "PutObject"]);
    expect(standin.requests[3]?.body).toBe("# New\n");
  });

  it("an untagged object has no tag count and an empty TagSet; tagging reads by version", async () => {
    const [first] = standin.versions(S3_KB_BUCKET, S3_POISONED_KEY);
    await s3.send(new PutObjectCommand({ Bucket: SCRATCH, Key: "plain.txt", Body: "x" }));
    const head = await s3.send(new HeadObjectCommand({ Bucket: SCRATCH, Key: "plain.txt" }));
    expect(head.TagCount).toBeUndefined();
    const tagging = await s3.send(new GetObjectTaggingCommand({ Bucket: SCRATCH, Key: "plain.txt" }));
    expect(tagging.TagSet ?? []).toEqual([]);
    const byVersion = await s3.send(
      new GetObjectTaggingCommand({
        Bucket: S3_KB_BUCKET,
        Key: S3_POISONED_KEY,
        VersionId: first?.versionId,
      }),
    );
    expect(byVersion).toMatchObject({
      VersionId: first?.versionId,
      TagSet: [
        { Key: "source", Value: "user-generated" },
        { Key: "classification", Value: "public" },
      ],
    });
  });

  it("a stream body goes aws-chunked with a trailing CRC32 by default: the stand-in decodes and checks it", async () => {
    const sent = captureSentHeaders(s3);
    const text = "first chunk, second chunk";
    await s3.send(
      new PutObjectCommand({
        Bucket: SCRATCH,
        Key: "streamed.txt",
        Body: Readable.from([Buffer.from("first chunk, "), Buffer.from("second chunk")]),
        ContentLength: Buffer.byteLength(text),
        ContentType: "text/plain",
      }),
    );
    expect(sent[0]).toMatchObject({
      "content-encoding": "aws-chunked",
      "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
      "x-amz-decoded-content-length": String(Buffer.byteLength(text)),
      "x-amz-trailer": "x-amz-checksum-crc32",
    });
    expect(standin.object(SCRATCH, "streamed.txt")).toMatchObject({
      body: Buffer.from(text),
      etag: md5(text),
      contentType: "text/plain",
      headers: {},
    });
    expect(standin.requests.at(-1)?.body).toBe(text);
  });

  it("refuses an aws-chunked body whose trailing checksum or decoded length is wrong", async () => {
    const framed = (checksum: string) => `5\r\nhello\r\n0\r\nx-amz-checksum-crc32:${checksum}\r\n\r\n`;
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32("hello"));
    const put = (body: string, decodedLength = "5") =>
      signedFetch(`/${SCRATCH}/chunked.txt`, {
        method: "PUT",
        body,
        headers: {
          "content-encoding": "aws-chunked",
          "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
          "x-amz-decoded-content-length": decodedLength,
          "x-amz-trailer": "x-amz-checksum-crc32",
        },
      });

    const wrong = await put(framed("AAAAAA=="));
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain("<Code>BadDigest</Code>");
    const short = await put(framed(crc.toString("base64")), "6");
    expect(short.status).toBe(400);
    expect(await short.text()).toContain("<Code>IncompleteBody</Code>");
    expect(standin.object(SCRATCH, "chunked.txt")).toBeUndefined();

    const right = await put(framed(crc.toString("base64")));
    expect(right.status).toBe(200);
    expect(right.headers.get("etag")).toBe(md5("hello"));
    expect(standin.object(SCRATCH, "chunked.txt")?.body.toString()).toBe("hello");
  });

  it.each<ChecksumAlgorithm>(["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"])(
    "checks the %s checksum the SDK computes (and a wrong one is BadDigest)",
    async (algorithm) => {
      const body = randomBytes(4096);
      await s3.send(
        new PutObjectCommand({ Bucket: SCRATCH, Key: "sum.bin", Body: body, ChecksumAlgorithm: algorithm }),
      );
      expect(standin.object(SCRATCH, "sum.bin")?.body).toEqual(body);

      const name = `x-amz-checksum-${algorithm.toLowerCase()}`;
      const wrong = await signedFetch(`/${SCRATCH}/wrong-sum.bin`, {
        method: "PUT",
        body: "abc",
        headers: { [name]: createHash("sha256").update("not abc").digest("base64").slice(0, 12) },
      });
      expect(wrong.status).toBe(400);
      expect(await wrong.text()).toContain("<Code>BadDigest</Code>");
      expect(standin.object(SCRATCH, "wrong-sum.bin")).toBeUndefined();
    },
  );

  it("a wrong Content-MD5 or x-amz-content-sha256 is refused", async () => {
    await expect(
      s3.send(
        new PutObjectCommand({
          Bucket: SCRATCH,
          Key: "md5.txt",
          Body: "abc",
          ContentMD5: md5("x").slice(0, 24),
        }),
      ),
    ).rejects.toMatchObject({ name: "InvalidDigest", $metadata: { httpStatusCode: 400 } });
    await expect(
      s3.send(
        new PutObjectCommand({
          Bucket: SCRATCH,
          Key: "md5.txt",
          Body: "abc",
          ContentMD5: createHash("md5").update("abd").digest("base64"),
        }),
      ),
    ).rejects.toMatchObject({ name: "BadDigest", $metadata: { httpStatusCode: 400 } });
    const mismatch = await signedFetch(`/${SCRATCH}/sha.txt`, {
      method: "PUT",
      body: "abc",
      headers: { "x-amz-content-sha256": createHash("sha256").update("abd").digest("hex") },
    });
    expect(mismatch.status).toBe(400);
    expect(await mismatch.text()).toContain("<Code>XAmzContentSHA256Mismatch</Code>");
    expect(standin.keys(SCRATCH)).toEqual(["notes/keep.txt"]);
  });

  it("a 3 MiB body, sent with Expect: 100-continue, round-trips", async () => {
    const sent = captureSentHeaders(s3);
    const body = randomBytes(3 * 1024 * 1024);
    const put = await s3.send(new PutObjectCommand({ Bucket: SCRATCH, Key: "big.bin", Body: body }));
    expect(sent[0]?.expect).toBe("100-continue");
    expect(put.ETag).toBe(md5(body));
    const got = await s3.send(new GetObjectCommand({ Bucket: SCRATCH, Key: "big.bin" }));
    expect(got.ContentLength).toBe(body.length);
    expect((await bytesOf(got)).equals(body)).toBe(true);
  });

  it("the quarantine: CopyObject (COPY) keeps type, metadata and tags, then DeleteObject leaves a delete marker", async () => {
    const poisoned = standin.object(S3_KB_BUCKET, S3_POISONED_KEY);
    if (!poisoned) throw new Error("bad seed");
    const copied = await s3.send(
      new CopyObjectCommand({
        Bucket: S3_KB_BUCKET,
        Key: QUARANTINE_KEY,
        CopySource: `${S3_KB_BUCKET}/${S3_POISONED_KEY}`,
      }),
    );
    const copy = standin.object(S3_KB_BUCKET, QUARANTINE_KEY);
    expect(copy).toMatchObject({
      body: poisoned.body,
      contentType: "text/html; charset=utf-8",
      metadata: { "submitted-via": "public-review-form" },
      tags: { source: "user-generated", classification: "public" },
      etag: poisoned.etag,
    });
    expect(copied).toMatchObject({
      CopyObjectResult: { ETag: md5(poisoned.body), LastModified: copy?.lastModified },
      VersionId: copy?.versionId,
      CopySourceVersionId: poisoned.versionId,
    });
    expect(standin.requests[0]?.body).toEqual({ copySource: `${S3_KB_BUCKET}/${S3_POISONED_KEY}` });

    const deleted = await s3.send(new DeleteObjectCommand({ Bucket: S3_KB_BUCKET, Key: S3_POISONED_KEY }));
    const history = standin.versions(S3_KB_BUCKET, S3_POISONED_KEY);
    expect(history.map((version) => [version.deleteMarker, version.isLatest])).toEqual([
      [false, false],
      [false, false],
      [true, true],
    ]);
    expect(deleted).toMatchObject({
      DeleteMarker: true,
      VersionId: history[2]?.versionId,
      $metadata: { httpStatusCode: 204 },
    });
    expect(standin.object(S3_KB_BUCKET, S3_POISONED_KEY)).toBeUndefined();
    expect(standin.keys(S3_KB_BUCKET, "kb/hotel-reviews/")).toEqual(["kb/hotel-reviews/review-0141.html"]);

    await expect(
      s3.send(new GetObjectCommand({ Bucket: S3_KB_BUCKET, Key: S3_POISONED_KEY })),
    ).rejects.toBeInstanceOf(NoSuchKey);
    await expect(
      s3.send(new HeadObjectCommand({ Bucket: S3_KB_BUCKET, Key: S3_POISONED_KEY })),
    ).rejects.toMatchObject({ name: "NotFound", $metadata: { httpStatusCode: 404 } });
    const kept = await s3.send(
      new GetObjectCommand({ Bucket: S3_KB_BUCKET, Key: S3_POISONED_KEY, VersionId: poisoned.versionId }),
    );
    expect(await bytesOf(kept)).toEqual(poisoned.body);
    await expect(
      s3.send(
        new GetObjectCommand({
          Bucket: S3_KB_BUCKET,
          Key: S3_POISONED_KEY,
          VersionId: history[2]?.versionId,
        }),
      ),
    ).rejects.toMatchObject({ name: "MethodNotAllowed", $metadata: { httpStatusCode: 405 } });
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: S3_KB_BUCKET, Prefix: "kb/hotel-reviews/" }),
    );
    expect(listed.Contents?.map((object) => object.Key)).toEqual(["kb/hotel-reviews/review-0141.html"]);

    // Removing the delete marker for good brings the object back.
    const undone = await s3.send(
      new DeleteObjectCommand({
        Bucket: S3_KB_BUCKET,
        Key: S3_POISONED_KEY,
        VersionId: history[2]?.versionId,
      }),
    );
    expect(undone).toMatchObject({ DeleteMarker: true, VersionId: history[2]?.versionId });
    expect(standin.object(S3_KB_BUCKET, S3_POISONED_KEY)?.versionId).toBe(poisoned.versionId);
    expect(standin.operations()).toEqual([
      "CopyObject",
      "DeleteObject",
      "GetObject",
      "HeadObject",
      "GetObject",
      "GetObject",
      "ListObjectsV2",
      "DeleteObject",
    ]);
  });

  it("CopyObject with REPLACE takes the request's type, metadata and tags instead of the source's", async () => {
    await s3.send(
      new CopyObjectCommand({
        Bucket: S3_KB_BUCKET,
        Key: QUARANTINE_KEY,
        CopySource: `/${S3_KB_BUCKET}/${S3_POISONED_KEY}`,
        MetadataDirective: "REPLACE",
        ContentType: "text/plain",
        Metadata: { "quarantined-by": "quell", incident: "INC-42" },
        TaggingDirective: "REPLACE",
        Tagging: "quell-quarantine=INC-42",
      }),
    );
    expect(standin.object(S3_KB_BUCKET, QUARANTINE_KEY)).toMatchObject({
      contentType: "text/plain",
      metadata: { "quarantined-by": "quell", incident: "INC-42" },
      tags: { "quell-quarantine": "INC-42" },
    });
    expect(standin.object(S3_KB_BUCKET, QUARANTINE_KEY)?.metadata).not.toHaveProperty("submitted-via");
    expect(standin.requests[0]?.body).toEqual({
      copySource: `/${S3_KB_BUCKET}/${S3_POISONED_KEY}`,
      metadataDirective: "REPLACE",
      taggingDirective: "REPLACE",
    });

    // Metadata replaced, tags copied.
    await s3.send(
      new CopyObjectCommand({
        Bucket: SCRATCH,
        Key: "copied.html",
        CopySource: `${S3_KB_BUCKET}/${S3_POISONED_KEY}`,
        MetadataDirective: "REPLACE",
        Metadata: { note: "x" },
      }),
    );
    expect(standin.object(SCRATCH, "copied.html")).toMatchObject({
      contentType: "binary/octet-stream",
      metadata: { note: "x" },
      tags: { source: "user-generated", classification: "public" },
    });
  });

  it("CopyObject copies a named version; onto itself only with REPLACE or from an older version", async () => {
    const [clean, poisoned] = standin.versions(S3_KB_BUCKET, S3_POISONED_KEY);
    if (!clean || clean.deleteMarker || !poisoned) throw new Error("bad seed");
    await expect(
      s3.send(
        new CopyObjectCommand({
          Bucket: S3_KB_BUCKET,
          Key: S3_POISONED_KEY,
          CopySource: `${S3_KB_BUCKET}/${S3_POISONED_KEY}`,
        }),
      ),
    ).rejects.toMatchObject({ name: "InvalidRequest", $metadata: { httpStatusCode: 400 } });

    const restored = await s3.send(
      new CopyObjectCommand({
        Bucket: S3_KB_BUCKET,
        Key: S3_POISONED_KEY,
        CopySource: `${S3_KB_BUCKET}/${S3_POISONED_KEY}?versionId=${clean.versionId}`,
      }),
    );
    expect(restored.CopySourceVersionId).toBe(clean.versionId);
    expect(standin.object(S3_KB_BUCKET, S3_POISONED_KEY)?.body).toEqual(clean.body);
    expect(standin.versions(S3_KB_BUCKET, S3_POISONED_KEY)).toHaveLength(3);

    await s3.send(
      new CopyObjectCommand({
        Bucket: SCRATCH,
        Key: "notes/keep.txt",
        CopySource: `${SCRATCH}/notes/keep.txt`,
        MetadataDirective: "REPLACE",
        ContentType: "text/markdown",
      }),
    );
    expect(standin.object(SCRATCH, "notes/keep.txt")).toMatchObject({
      contentType: "text/markdown",
      versionId: "null",
    });
  });

  it.each([
    ["a missing source key", { CopySource: `${S3_KB_BUCKET}/kb/nope.md` }, "NoSuchKey", 404],
    ["a missing source bucket", { CopySource: "no-such-bucket/kb/nope.md" }, "NoSuchBucket", 404],
    [
      "a missing source version",
      { CopySource: `${S3_KB_BUCKET}/${S3_REFUNDS_KEY}?versionId=nope` },
      "NoSuchVersion",
      404,
    ],
    [
      "a source that is not URL-encoded",
      { CopySource: `${SCRATCH}/notes/keep me.txt` },
      "InvalidArgument",
      400,
    ],
    ["a source without a key", { CopySource: S3_KB_BUCKET }, "InvalidArgument", 400],
    [
      "metadata with the COPY directive",
      { CopySource: `${S3_KB_BUCKET}/${S3_REFUNDS_KEY}`, Metadata: { a: "b" } },
      "InvalidRequest",
      400,
    ],
    [
      "a tagging directive that does not exist",
      { CopySource: `${S3_KB_BUCKET}/${S3_REFUNDS_KEY}`, TaggingDirective: "MERGE" as "COPY" },
      "InvalidArgument",
      400,
    ],
  ])("CopyObject from %s is refused", async (_case, input, name, status) => {
    await expect(
      s3.send(new CopyObjectCommand({ Bucket: SCRATCH, Key: "copy-target.txt", ...input })),
    ).rejects.toMatchObject({ name, $metadata: { httpStatusCode: status } });
    expect(standin.object(SCRATCH, "copy-target.txt")).toBeUndefined();
  });

  it("CopyObject cannot name a delete marker as its source", async () => {
    const marker = await s3.send(new DeleteObjectCommand({ Bucket: S3_KB_BUCKET, Key: S3_REFUNDS_KEY }));
    await expect(
      s3.send(
        new CopyObjectCommand({
          Bucket: SCRATCH,
          Key: "from-marker.md",
          CopySource: `${S3_KB_BUCKET}/${S3_REFUNDS_KEY}?versionId=${marker.VersionId}`,
        }),
      ),
    ).rejects.toMatchObject({ name: "InvalidRequest", $metadata: { httpStatusCode: 400 } });
    await expect(
      s3.send(
        new CopyObjectCommand({
          Bucket: SCRATCH,
          Key: "from-marker.md",
          CopySource: `${S3_KB_BUCKET}/${S3_REFUNDS_KEY}`,
        }),
      ),
    ).rejects.toMatchObject({ name: "NoSuchKey", $metadata: { httpStatusCode: 404 } });
  });

  it("keys with slashes, spaces, + and Unicode round-trip, list in UTF-8 byte order and copy when URL-encoded", async () => {
    const fullwidth = "kb/notes/～ ünïcødé file (1) + x.md";
    const astral = "kb/notes/🚨 alert.md";
    for (const key of [astral, fullwidth])
      await s3.send(new PutObjectCommand({ Bucket: S3_KB_BUCKET, Key: key, Body: `body of ${key}` }));
    // UTF-16 order would put 🚨 (U+1F6A8, surrogates D83D…) before ～ (U+FF5E); UTF-8 bytes put it after.
    expect(standin.keys(S3_KB_BUCKET, "kb/notes/")).toEqual([fullwidth, astral]);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: S3_KB_BUCKET, Prefix: "kb/notes/" }));
    expect(listed.Contents?.map((object) => object.Key)).toEqual([fullwidth, astral]);

    const got = await s3.send(new GetObjectCommand({ Bucket: S3_KB_BUCKET, Key: fullwidth }));
    expect((await bytesOf(got)).toString("utf8")).toBe(`body of ${fullwidth}`);
    await s3.send(
      new CopyObjectCommand({
        Bucket: SCRATCH,
        Key: "copies/🚨 alert.md",
        CopySource: encodeURIComponent(`${S3_KB_BUCKET}/${astral}`),
      }),
    );
    expect(standin.object(SCRATCH, "copies/🚨 alert.md")?.body.toString()).toBe(`body of ${astral}`);
    expect(standin.requests.at(-1)?.path).toBe(`/${SCRATCH}/copies/%F0%9F%9A%A8%20alert.md`);
  });

  it("an unversioned bucket removes on DeleteObject; a missing key deletes with 204 all the same", async () => {
    const deleted = await s3.send(new DeleteObjectCommand({ Bucket: SCRATCH, Key: "notes/keep.txt" }));
    expect(deleted.$metadata.httpStatusCode).toBe(204);
    expect(deleted.DeleteMarker).toBeUndefined();
    expect(standin.versions(SCRATCH, "notes/keep.txt")).toEqual([]);
    expect(standin.keys(SCRATCH)).toEqual([]);
    const again = await s3.send(new DeleteObjectCommand({ Bucket: SCRATCH, Key: "notes/keep.txt" }));
    expect(again.$metadata.httpStatusCode).toBe(204);
  });

  it("a missing key, version or bucket is NoSuchKey, NoSuchVersion, NoSuchBucket (NotFound on a HEAD)", async () => {
    const missing = s3.send(new GetObjectCommand({ Bucket: S3_KB_BUCKET, Key: "kb/nope.md" }));
    await expect(missing).rejects.toBeInstanceOf(NoSuchKey);
    await expect(missing).rejects.toMatchObject({ name: "NoSuchKey", $metadata: { httpStatusCode: 404 } });
    const head = s3.send(new HeadObjectCommand({ Bucket: S3_KB_BUCKET, Key: "kb/nope.md" }));
    await expect(head).rejects.toBeInstanceOf(NotFound);
    await expect(
      s3.send(new GetObjectTaggingCommand({ Bucket: S3_KB_BUCKET, Key: "kb/nope.md" })),
    ).rejects.toMatchObject({ name: "NoSuchKey" });
    await expect(
      s3.send(new GetObjectCommand({ Bucket: S3_KB_BUCKET, Key: S3_REFUNDS_KEY, VersionId: "nope" })),
    ).rejects.toMatchObject({ name: "NoSuchVersion", $metadata: { httpStatusCode: 404 } });
    await expect(
      s3.send(new GetObjectCommand({ Bucket: "no-such-bucket", Key: "kb/nope.md" })),
    ).rejects.toMatchObject({ name: "NoSuchBucket", $metadata: { httpStatusCode: 404 } });
    await expect(
      s3.send(new HeadObjectCommand({ Bucket: "no-such-bucket", Key: "kb/nope.md" })),
    ).rejects.toMatchObject({ name: "NotFound", $metadata: { httpStatusCode: 404 } });

    const raw = await signedFetch(`/${S3_KB_BUCKET}/kb/nope.md`);
    expect(raw.status).toBe(404);
    expect(raw.headers.get("content-type")).toBe("application/xml");
    expect(raw.headers.get("x-amz-request-id")).toMatch(/^[0-9A-F]{16}$/);
    expect(await raw.text()).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<Error><Code>NoSuchKey<\/Code><Message>The specified key does not exist.<\/Message><Key>kb\/nope.md<\/Key><RequestId>[0-9A-F]{16}<\/RequestId><HostId>/,
    );
    const rawHead = await signedFetch(`/${S3_KB_BUCKET}/kb/nope.md`, { method: "HEAD" });
    expect(rawHead.status).toBe(404);
    expect(await rawHead.text()).toBe("");
  });

  it("ListObjectsV2 pages by max-keys with continuation tokens, and by 1000 by default", async () => {
    const pages = [];
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: PAGING, Prefix: "docs/", MaxKeys: 3, ContinuationToken: token }),
      );
      pages.push(page);
      token = page.NextContinuationToken;
    } while (token);
    expect(pages.map((page) => [page.KeyCount, page.IsTruncated, page.Contents?.length])).toEqual([
      [3, true, 3],
      [3, true, 3],
      [1, false, 1],
    ]);
    expect(pages.flatMap((page) => page.Contents?.map((object) => object.Key))).toEqual(
      Array.from({ length: 7 }, (_, i) => `docs/page-${i}.txt`),
    );
    expect(pages[1]?.ContinuationToken).toBe(pages[0]?.NextContinuationToken);
    expect(pages[0]?.Contents?.[0]).toEqual({
      Key: "docs/page-0.txt",
      LastModified: standin.object(PAGING, "docs/page-0.txt")?.lastModified,
      ETag: md5("document 0"),
      Size: "document 0".length,
      StorageClass: "STANDARD",
    });
    expect(pages[0]).toMatchObject({ Name: PAGING, Prefix: "docs/", MaxKeys: 3 });

    const everything: string[] = [];
    for await (const page of paginateListObjectsV2({ client: s3, pageSize: 2 }, { Bucket: PAGING }))
      everything.push(...(page.Contents ?? []).map((object) => object.Key ?? ""));
    expect(everything).toEqual(standin.keys(PAGING));

    await expect(
      s3.send(new ListObjectsV2Command({ Bucket: PAGING, ContinuationToken: "not-a-token" })),
    ).rejects.toMatchObject({ name: "InvalidArgument", $metadata: { httpStatusCode: 400 } });
    const after = await s3.send(new ListObjectsV2Command({ Bucket: PAGING, StartAfter: "docs/page-5.txt" }));
    expect(after.Contents?.map((object) => object.Key)).toEqual(["docs/page-6.txt", "other/outside.txt"]);

    const big = await startS3Standin({
      buckets: [
        { name: "big", objects: Array.from({ length: 1003 }, (_, i) => ({ key: `k/${i}`, body: "" })) },
      ],
    });
    const bigClient = new S3Client({
      endpoint: big.url,
      region: REGION,
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    try {
      const first = await bigClient.send(new ListObjectsV2Command({ Bucket: "big" }));
      expect([first.KeyCount, first.MaxKeys, first.IsTruncated]).toEqual([1000, 1000, true]);
      const second = await bigClient.send(
        new ListObjectsV2Command({ Bucket: "big", ContinuationToken: first.NextContinuationToken }),
      );
      expect([second.KeyCount, second.IsTruncated, second.NextContinuationToken]).toEqual([
        3,
        false,
        undefined,
      ]);
    } finally {
      bigClient.destroy();
      await big.close();
    }
  });

  it("ListObjectsV2 with a delimiter rolls keys up into common prefixes, across pages too", async () => {
    const all = await s3.send(
      new ListObjectsV2Command({ Bucket: S3_KB_BUCKET, Prefix: S3_KB_PREFIX, Delimiter: "/" }),
    );
    expect(all.CommonPrefixes).toEqual([{ Prefix: "kb/faq/" }, { Prefix: "kb/hotel-reviews/" }]);
    expect(all.Contents).toBeUndefined();
    expect(all.KeyCount).toBe(2);
    const first = await s3.send(
      new ListObjectsV2Command({ Bucket: S3_KB_BUCKET, Prefix: S3_KB_PREFIX, Delimiter: "/", MaxKeys: 1 }),
    );
    const second = await s3.send(
      new ListObjectsV2Command({
        Bucket: S3_KB_BUCKET,
        Prefix: S3_KB_PREFIX,
        Delimiter: "/",
        MaxKeys: 1,
        ContinuationToken: first.NextContinuationToken,
      }),
    );
    expect([first.CommonPrefixes, first.IsTruncated]).toEqual([[{ Prefix: "kb/faq/" }], true]);
    expect([second.CommonPrefixes, second.IsTruncated]).toEqual([[{ Prefix: "kb/hotel-reviews/" }], false]);
  });

  it("ListObjectVersions lists versions and delete markers: keys ascending, newest first, interleaved as S3 does", async () => {
    await s3.send(new DeleteObjectCommand({ Bucket: S3_KB_BUCKET, Key: S3_POISONED_KEY }));
    const [clean, poisoned, marker] = standin.versions(S3_KB_BUCKET, S3_POISONED_KEY);
    const [other] = standin.versions(S3_KB_BUCKET, "kb/hotel-reviews/review-0141.html");
    if (clean?.deleteMarker !== false || poisoned?.deleteMarker !== false || marker?.deleteMarker !== true)
      throw new Error("bad seed");
    if (other?.deleteMarker !== false) throw new Error("bad seed");

    const listed = await s3.send(
      new ListObjectVersionsCommand({ Bucket: S3_KB_BUCKET, Prefix: "kb/hotel-reviews/" }),
    );
    expect(listed).toMatchObject({
      Name: S3_KB_BUCKET,
      Prefix: "kb/hotel-reviews/",
      MaxKeys: 1000,
      IsTruncated: false,
    });
    expect(listed.NextKeyMarker).toBeUndefined();
    expect(listed.Versions).toEqual(
      [other, poisoned, clean].map((version) => ({
        Key: version.key,
        VersionId: version.versionId,
        IsLatest: version === other,
        LastModified: version.lastModified,
        ETag: md5(version.body),
        Size: version.size,
        StorageClass: "STANDARD",
      })),
    );
    expect(listed.DeleteMarkers).toEqual([
      {
        Key: S3_POISONED_KEY,
        VersionId: marker.versionId,
        IsLatest: true,
        LastModified: marker.lastModified,
      },
    ]);

    // On the wire: one list in S3's order, each entry's elements in S3's order.
    const raw = await signedFetch(
      `/${S3_KB_BUCKET}?versions&prefix=${encodeURIComponent("kb/hotel-reviews/")}`,
    );
    expect(raw.status).toBe(200);
    const xml = await raw.text();
    expect(xml).toMatch(
      /^<\?xml [^>]*\?>\n<ListVersionsResult xmlns="http:\/\/s3\.amazonaws\.com\/doc\/2006-03-01\/"><Name>support-kb-docs<\/Name><Prefix>kb\/hotel-reviews\/<\/Prefix><KeyMarker><\/KeyMarker><VersionIdMarker><\/VersionIdMarker><MaxKeys>1000<\/MaxKeys><IsTruncated>false<\/IsTruncated><Version>/,
    );
    expect(
      [...xml.matchAll(/<(Version|DeleteMarker)><Key>[^<]*<\/Key><VersionId>([^<]*)<\/VersionId>/g)].map(
        (m) => [m[1], m[2]],
      ),
    ).toEqual([
      ["Version", other.versionId],
      ["DeleteMarker", marker.versionId],
      ["Version", poisoned.versionId],
      ["Version", clean.versionId],
    ]);
    expect(xml).toContain(
      `<Version><Key>${S3_POISONED_KEY}</Key><VersionId>${clean.versionId}</VersionId><IsLatest>false</IsLatest><LastModified>2026-11-20T08:12:05.000Z</LastModified><ETag>&quot;`,
    );

    // An unversioned bucket's objects are version "null".
    const scratch = await s3.send(new ListObjectVersionsCommand({ Bucket: SCRATCH }));
    expect(scratch.Versions?.map((version) => [version.Key, version.VersionId, version.IsLatest])).toEqual([
      ["notes/keep.txt", "null", true],
    ]);
    expect(scratch.DeleteMarkers).toBeUndefined();
    expect(standin.operations()).toEqual([
      "DeleteObject",
      "ListObjectVersions",
      "ListObjectVersions",
      "ListObjectVersions",
    ]);
  });

  it("ListObjectVersions pages by max-keys with key and version-id markers, a page ending inside a key", async () => {
    await s3.send(new DeleteObjectCommand({ Bucket: S3_KB_BUCKET, Key: S3_POISONED_KEY }));
    const entry = (version: { Key?: string; VersionId?: string; LastModified?: Date }) =>
      `${version.Key}@${version.VersionId}`;
    const inOrder = (page: Pick<ListObjectVersionsCommandOutput, "Versions" | "DeleteMarkers">) =>
      [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])]
        .sort(
          (a, b) =>
            Buffer.compare(Buffer.from(a.Key ?? ""), Buffer.from(b.Key ?? "")) ||
            (b.LastModified?.getTime() ?? 0) - (a.LastModified?.getTime() ?? 0),
        )
        .map(entry);
    const expected = standin
      .keys(S3_KB_BUCKET, S3_KB_PREFIX)
      .concat(S3_POISONED_KEY)
      .filter((key, index, keys) => keys.indexOf(key) === index)
      .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
      .flatMap((key) =>
        standin
          .versions(S3_KB_BUCKET, key)
          .reverse()
          .map((version) => `${key}@${version.versionId}`),
      );
    expect(expected).toHaveLength(7);

    const pages: ListObjectVersionsCommandOutput[] = [];
    let keyMarker: string | undefined;
    let versionIdMarker: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectVersionsCommand({
          Bucket: S3_KB_BUCKET,
          Prefix: S3_KB_PREFIX,
          MaxKeys: 2,
          KeyMarker: keyMarker,
          VersionIdMarker: versionIdMarker,
        }),
      );
      pages.push(page);
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      versionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
    } while (keyMarker);
    expect(pages.map((page) => inOrder(page).length)).toEqual([2, 2, 2, 1]);
    expect(pages.map((page) => page.IsTruncated)).toEqual([true, true, true, false]);
    // The pages are in S3's order within and across pages (the DeleteMarker of a key comes before its versions).
    expect(pages.flatMap(inOrder)).toEqual(expected);
    const [, , third, fourth] = pages;
    expect([third?.NextKeyMarker, third?.NextVersionIdMarker]).toEqual([
      S3_POISONED_KEY,
      standin.versions(S3_KB_BUCKET, S3_POISONED_KEY)[1]?.versionId,
    ]);
    expect([fourth?.KeyMarker, fourth?.VersionIdMarker]).toEqual([
      third?.NextKeyMarker,
      third?.NextVersionIdMarker,
    ]);
    expect(inOrder(fourth ?? {})).toEqual(expected.slice(6));

    // A key marker alone lists the keys after it.
    const after = await s3.send(
      new ListObjectVersionsCommand({ Bucket: S3_KB_BUCKET, KeyMarker: "kb/hotel-reviews/review-0141.html" }),
    );
    expect(inOrder(after)).toEqual(expected.slice(4));
    await expect(
      s3.send(new ListObjectVersionsCommand({ Bucket: S3_KB_BUCKET, VersionIdMarker: "abc" })),
    ).rejects.toMatchObject({ name: "InvalidArgument", $metadata: { httpStatusCode: 400 } });
    await expect(
      s3.send(
        new ListObjectVersionsCommand({
          Bucket: S3_KB_BUCKET,
          KeyMarker: S3_POISONED_KEY,
          VersionIdMarker: "not-a-version",
        }),
      ),
    ).rejects.toMatchObject({ name: "InvalidArgument", $metadata: { httpStatusCode: 400 } });
  });

  it("PutObject with If-None-Match: * writes once: 412 PreconditionFailed while the key exists, again after a delete marker", async () => {
    const key = "audit/heads/0000000001.json";
    const put = (body: string, IfNoneMatch = "*") =>
      s3.send(new PutObjectCommand({ Bucket: S3_KB_BUCKET, Key: key, Body: body, IfNoneMatch }));
    const first = await put("first");
    expect(first.VersionId).toBe(standin.object(S3_KB_BUCKET, key)?.versionId);
    await expect(put("second")).rejects.toMatchObject({
      name: "PreconditionFailed",
      $metadata: { httpStatusCode: 412 },
    });
    expect(standin.object(S3_KB_BUCKET, key)?.body.toString()).toBe("first");
    expect(standin.versions(S3_KB_BUCKET, key)).toHaveLength(1);

    const refused = await signedFetch(`/${S3_KB_BUCKET}/${key}`, {
      method: "PUT",
      body: "third",
      headers: { "if-none-match": "*" },
    });
    expect(refused.status).toBe(412);
    expect(await refused.text()).toMatch(
      /^<\?xml [^>]*\?>\n<Error><Code>PreconditionFailed<\/Code><Message>At least one of the pre-conditions you specified did not hold<\/Message><Condition>If-None-Match<\/Condition><RequestId>/,
    );
    // S3 takes `*` only; an ETag is a conditional request this stand-in does not implement.
    await expect(put("fourth", md5("first"))).rejects.toMatchObject({
      name: "NotImplemented",
      $metadata: { httpStatusCode: 501 },
    });

    await s3.send(new DeleteObjectCommand({ Bucket: S3_KB_BUCKET, Key: key }));
    const again = await put("after the delete marker");
    expect(standin.versions(S3_KB_BUCKET, key).map((version) => version.deleteMarker)).toEqual([
      false,
      true,
      false,
    ]);
    expect(standin.object(S3_KB_BUCKET, key)).toMatchObject({
      versionId: again.VersionId,
      body: Buffer.from("after the delete marker"),
    });

    // An unversioned bucket too.
    await expect(
      s3.send(new PutObjectCommand({ Bucket: SCRATCH, Key: "notes/keep.txt", Body: "x", IfNoneMatch: "*" })),
    ).rejects.toMatchObject({ name: "PreconditionFailed", $metadata: { httpStatusCode: 412 } });
    expect(standin.object(SCRATCH, "notes/keep.txt")?.body.toString()).toBe("keep me");
    expect(standin.answered.map((answer) => answer.status)).toEqual([200, 412, 412, 501, 204, 200, 412]);
  });

  it("GetObject by versionId reads an older version under a newer one, each with its own ETag and version", async () => {
    const older = standin.object(S3_KB_BUCKET, S3_REFUNDS_KEY);
    if (!older) throw new Error("bad seed");
    const newer = await s3.send(
      new PutObjectCommand({ Bucket: S3_KB_BUCKET, Key: S3_REFUNDS_KEY, Body: "# Refunds\n\nRewritten.\n" }),
    );
    const read = async (VersionId?: string) => {
      const got = await s3.send(
        new GetObjectCommand({ Bucket: S3_KB_BUCKET, Key: S3_REFUNDS_KEY, VersionId }),
      );
      return { VersionId: got.VersionId, ETag: got.ETag, body: (await bytesOf(got)).toString("utf8") };
    };
    expect(await read()).toEqual({
      VersionId: newer.VersionId,
      ETag: md5("# Refunds\n\nRewritten.\n"),
      body: "# Refunds\n\nRewritten.\n",
    });
    expect(await read(older.versionId)).toEqual({
      VersionId: older.versionId,
      ETag: older.etag,
      body: older.body.toString("utf8"),
    });
    expect(await read(newer.VersionId)).toMatchObject({ VersionId: newer.VersionId });
    await expect(read("no-such-version")).rejects.toMatchObject({
      name: "NoSuchVersion",
      $metadata: { httpStatusCode: 404 },
    });
    expect(standin.requests.slice(1).map((request) => request.query.versionId)).toEqual([
      undefined,
      older.versionId,
      newer.VersionId,
      "no-such-version",
    ]);
  });

  it("refuses an unsigned request, or one signed for another service, with S3's 403 AccessDenied XML", async () => {
    const unsigned = await fetch(`${standin.url}/${S3_KB_BUCKET}/${S3_POISONED_KEY}`, { method: "DELETE" });
    expect(unsigned.status).toBe(403);
    expect(unsigned.headers.get("content-type")).toBe("application/xml");
    expect(await unsigned.text()).toMatch(
      /^<\?xml [^>]*\?>\n<Error><Code>AccessDenied<\/Code><Message>Access Denied.*<RequestId>/,
    );
    const bedrockScoped = await fetch(`${standin.url}/${S3_KB_BUCKET}/${S3_POISONED_KEY}`, {
      method: "DELETE",
      headers: {
        authorization: SIGNED.replace("/s3/", "/bedrock/"),
        "x-amz-content-sha256": "UNSIGNED-PAYLOAD",
      },
    });
    expect(bedrockScoped.status).toBe(403);
    expect(standin.object(S3_KB_BUCKET, S3_POISONED_KEY)).toBeDefined();
    expect(standin.versions(S3_KB_BUCKET, S3_POISONED_KEY)).toHaveLength(2);
    expect(standin.operations()).toEqual(["DeleteObject", "DeleteObject"]);
    expect(standin.answered.map((answer) => answer.status)).toEqual([403, 403]);
  });

  it("a queued 503 answers S3's SlowDown; applied, the copy still happened", async () => {
    standin.faults.next({
      method: "PUT",
      path: /^\/support-kb-docs\/quarantine\//,
      status: 503,
      applied: true,
    });
    const once = client({ maxAttempts: 1 });
    try {
      await expect(
        once.send(
          new CopyObjectCommand({
            Bucket: S3_KB_BUCKET,
            Key: QUARANTINE_KEY,
            CopySource: `${S3_KB_BUCKET}/${S3_POISONED_KEY}`,
          }),
        ),
      ).rejects.toMatchObject({ name: "SlowDown", $metadata: { httpStatusCode: 503 } });
    } finally {
      once.destroy();
    }
    expect(standin.object(S3_KB_BUCKET, QUARANTINE_KEY)?.body).toEqual(
      standin.object(S3_KB_BUCKET, S3_POISONED_KEY)?.body,
    );
    expect(standin.faults.fired).toMatchObject([{ handledStatus: 200, status: 503 }]);

    standin.faults.next({
      method: "GET",
      path: `/${S3_KB_BUCKET}/${S3_REFUNDS_KEY}`,
      status: 500,
      applied: false,
    });
    const raw = await signedFetch(`/${S3_KB_BUCKET}/${S3_REFUNDS_KEY}`);
    expect(raw.status).toBe(500);
    expect(await raw.text()).toContain(
      "<Error><Code>InternalError</Code><Message>We encountered an internal error.",
    );
  });

  it("a queued 500 that is not applied is retried by the SDK, and the second attempt copies", async () => {
    standin.faults.next({ method: "PUT", path: `/${SCRATCH}/retried.md`, status: 500, applied: false });
    await s3.send(
      new CopyObjectCommand({
        Bucket: SCRATCH,
        Key: "retried.md",
        CopySource: `${S3_KB_BUCKET}/${S3_REFUNDS_KEY}`,
      }),
    );
    expect(standin.operations()).toEqual(["CopyObject", "CopyObject"]);
    expect(standin.answered.map((answer) => [answer.handledStatus, answer.status])).toEqual([
      [undefined, 500],
      [200, 200],
    ]);
    expect(standin.object(SCRATCH, "retried.md")?.contentType).toBe("text/markdown");
  });

  it("what it does not serve is 405 MethodNotAllowed, what it does not implement 501, a foreign owner 403", async () => {
    await expect(
      s3.send(
        new DeleteObjectsCommand({ Bucket: S3_KB_BUCKET, Delete: { Objects: [{ Key: S3_POISONED_KEY }] } }),
      ),
    ).rejects.toMatchObject({ name: "MethodNotAllowed", $metadata: { httpStatusCode: 405 } });
    await expect(
      s3.send(new GetObjectCommand({ Bucket: S3_KB_BUCKET, Key: S3_REFUNDS_KEY, Range: "bytes=0-9" })),
    ).rejects.toMatchObject({ name: "NotImplemented", $metadata: { httpStatusCode: 501 } });
    await expect(
      s3.send(
        new DeleteObjectCommand({
          Bucket: S3_KB_BUCKET,
          Key: S3_POISONED_KEY,
          ExpectedBucketOwner: "999988887777",
        }),
      ),
    ).rejects.toMatchObject({ name: "AccessDenied", $metadata: { httpStatusCode: 403 } });
    await s3.send(
      new HeadObjectCommand({
        Bucket: S3_KB_BUCKET,
        Key: S3_POISONED_KEY,
        ExpectedBucketOwner: "111122223333",
      }),
    );
    expect(standin.versions(S3_KB_BUCKET, S3_POISONED_KEY)).toHaveLength(2);
    expect(standin.operations()).toEqual([
      `POST /${S3_KB_BUCKET}/`,
      "GetObject",
      "DeleteObject",
      "HeadObject",
    ]);
    expect(standin.answered.map((answer) => answer.status)).toEqual([405, 501, 403, 200]);
  });

  it("refuses a virtual-hosted request (a localhost client without forcePathStyle)", async () => {
    const { port } = new URL(standin.url);
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(
        {
          host: "127.0.0.1",
          port,
          path: `/${encodeURIComponent(S3_REFUNDS_KEY)}`,
          headers: {
            host: `${S3_KB_BUCKET}.localhost:${port}`,
            authorization: SIGNED,
            "x-amz-content-sha256": "UNSIGNED-PAYLOAD",
          },
        },
        (res) => {
          let body = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            body += chunk;
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on("error", reject);
      req.end();
    });
    expect(answer.status).toBe(400);
    expect(answer.body).toContain("forcePathStyle: true");
  });

  it("putByHand stores a new version without a request; the SDK then reads it", async () => {
    const before = standin.object(S3_KB_BUCKET, S3_REFUNDS_KEY);
    const changed = standin.putByHand(S3_KB_BUCKET, S3_REFUNDS_KEY, "# Refunds\n\nEdited by hand.\n", {
      contentType: "text/markdown",
    });
    expect(standin.requests).toEqual([]);
    expect(changed.versionId).not.toBe(before?.versionId);
    expect(standin.versions(S3_KB_BUCKET, S3_REFUNDS_KEY)).toHaveLength(2);
    const head = await s3.send(new HeadObjectCommand({ Bucket: S3_KB_BUCKET, Key: S3_REFUNDS_KEY }));
    expect(head).toMatchObject({ ETag: md5("# Refunds\n\nEdited by hand.\n"), VersionId: changed.versionId });
    expect(head.Metadata).toEqual({});
  });
});

describe("the default S3 seed: the support chat's knowledge base documents", () => {
  it("holds the poisoned review (clean first version, injected second), the FAQ and its metadata sidecar", async () => {
    const standin = await startS3Standin();
    try {
      expect(standin.keys(S3_KB_BUCKET, S3_KB_PREFIX)).toEqual([
        "kb/faq/check-in.md",
        S3_REFUNDS_KEY,
        S3_REFUNDS_METADATA_KEY,
        "kb/hotel-reviews/review-0141.html",
        S3_POISONED_KEY,
      ]);
      const sidecar = standin.object(S3_KB_BUCKET, S3_REFUNDS_METADATA_KEY);
      expect(sidecar?.contentType).toBe("application/json");
      expect(JSON.parse(sidecar?.body.toString("utf8") ?? "")).toMatchObject({
        metadataAttributes: { category: "faq", topic: "refunds" },
      });
      const [clean, poisoned] = standin.versions(S3_KB_BUCKET, S3_POISONED_KEY);
      expect(clean?.deleteMarker === false && clean.body.toString()).not.toContain("previous instructions");
      expect(poisoned?.deleteMarker === false && poisoned.body.toString()).toContain(
        "ignore your previous instructions",
      );
      expect(poisoned?.isLatest).toBe(true);
      expect(standin.describe()).toBe(`Amazon S3 (local stand-in) at ${standin.url}`);
    } finally {
      await standin.close();
    }
  });
});
