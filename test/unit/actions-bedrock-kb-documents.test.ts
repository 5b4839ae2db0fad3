import { BedrockAgentClient } from "@aws-sdk/client-bedrock-agent";
import { S3Client } from "@aws-sdk/client-s3";
import { afterEach, describe, expect, it, vi } from "vitest";
import { findDocumentSource } from "../../functions/actions/bedrock-kb-find-document-source/action.js";
import { ingestionStatus } from "../../functions/actions/bedrock-kb-ingestion-status/action.js";
import { quarantineDocument } from "../../functions/actions/bedrock-kb-quarantine-document/action.js";
import type { ActionContext } from "../../functions/actions/contract.js";
import { runAction, runUndo } from "../../functions/actions/run.js";
import { QuellError, TargetChanged, VerificationFailed } from "../../functions/shared/errors.js";
import {
  type BedrockAgentStandin,
  BEDROCK_KB_BUCKET_ARN as BUCKET_ARN,
  bedrockKnowledgeBaseSeed,
  BEDROCK_DATA_SOURCE_ID as DATA_SOURCE_ID,
  type DataSourceSeed,
  BEDROCK_KNOWLEDGE_BASE_ID as KB_ID,
  startBedrockAgentStandin,
} from "../../infra/local/standins/bedrock-agent.js";
import {
  S3_KB_BUCKET as BUCKET,
  S3_POISONED_KEY as POISONED_KEY,
  S3_REFUNDS_KEY as REFUNDS_KEY,
  S3_REFUNDS_METADATA_KEY as REFUNDS_METADATA_KEY,
  type S3BucketSeed,
  type S3Standin,
  s3KnowledgeBaseSeed,
  startS3Standin,
} from "../../infra/local/standins/s3.js";
import { contextWith, type JournalEntry, recordingJournal } from "./action-context-doubles.js";

const INCIDENT = "inc_01jq7k2m9x4v8w3e5r6t";
const POISONED = `s3://${BUCKET}/${POISONED_KEY}`;
const QUARANTINE_KEY = `quell-quarantine/${INCIDENT}/${POISONED_KEY}`;
const QUARANTINED = `s3://${BUCKET}/${QUARANTINE_KEY}`;
const QUARANTINE_BUCKET = "quell-quarantine-111122223333";
const INGESTION_PATH = `/knowledgebases/${KB_ID}/datasources/${DATA_SOURCE_ID}/ingestionjobs/`;
const SOURCE = {
  knowledgeBaseId: KB_ID,
  knowledgeBaseName: "support-kb",
  dataSourceId: DATA_SOURCE_ID,
  dataSourceName: "support-kb-docs",
  bucketArn: BUCKET_ARN,
  inclusionPrefixes: ["kb/"],
};
const SOURCE_NAMES = "support-kb/support-kb-docs";
/** The deterministic clientToken of the quarantine's ingestion (the API wants letters, digits and dashes). */
const QUARANTINE_TOKEN = `quell-quarantine-inc-01jq7k2m9x4v8w3e5r6t-${KB_ID}-${DATA_SOURCE_ID}`;
const RESTORE_TOKEN = `quell-restore-inc-01jq7k2m9x4v8w3e5r6t-${KB_ID}-${DATA_SOURCE_ID}`;

const quarantineInput = (documentRef = POISONED) => ({
  documentRef,
  dataSources: [SOURCE],
  incidentId: INCIDENT,
});

let closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.reverse()) await close();
  closers = [];
});

interface Setup {
  s3: S3Standin;
  agent: BedrockAgentStandin;
  context: ActionContext;
  journal: JournalEntry[];
  /** Make the next ingestion jobs fail (documentsOf throws `reason`), or succeed again (undefined). */
  failIngestion(reason: string | undefined): void;
}

/**
 * The S3 stand-in (the support knowledge base's bucket) and the Agents stand-in, whose knowledge base indexes what
 * the bucket holds under its data sources' prefixes when an ingestion completes (metadata sidecars are not
 * documents), and a context whose real SDK clients call them.
 */
async function knowledgeBase(
  options: { extraSources?: DataSourceSeed[]; env?: NodeJS.ProcessEnv; buckets?: S3BucketSeed[] } = {},
): Promise<Setup> {
  const s3 = await startS3Standin({ buckets: options.buckets ?? [s3KnowledgeBaseSeed()] });
  closers.push(() => s3.close());
  let failure: string | undefined;
  const documentsOf = (bucketArn: string, prefixes: string[] | undefined) => {
    if (failure) throw new Error(failure);
    const bucket = bucketArn.replace(/^arn:aws:s3:::/, "");
    return s3
      .keys(bucket)
      .filter((key) => !key.endsWith(".metadata.json"))
      .filter((key) => !prefixes?.length || prefixes.some((prefix) => key.startsWith(prefix)))
      .map((key) => `s3://${bucket}/${key}`);
  };
  const seed = bedrockKnowledgeBaseSeed({ indexedDocuments: documentsOf(BUCKET_ARN, ["kb/"]) });
  seed.dataSources.push(...(options.extraSources ?? []));
  // A job reads STARTING for its first reads (the actions' own reads of it included) until a test completes it.
  const agent = await startBedrockAgentStandin({ knowledgeBases: [seed], documentsOf, ingestionReads: 20 });
  closers.push(() => agent.close());
  const config = {
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    maxAttempts: 1,
  };
  const bedrockAgent = new BedrockAgentClient({ ...config, endpoint: agent.url });
  const s3Client = new S3Client({ ...config, endpoint: s3.url });
  closers.push(() => bedrockAgent.destroy());
  closers.push(() => s3Client.destroy());
  const { journal, entries } = recordingJournal();
  const context = { ...contextWith({ bedrockAgent, s3: s3Client }, journal), env: options.env ?? {} };
  return {
    s3,
    agent,
    context,
    journal: entries,
    failIngestion(reason) {
      failure = reason;
    },
  };
}

const operationsOf = (writes: readonly unknown[]) =>
  writes.map((write) => (write as { operation?: string }).operation);
const s3Writes = (s3: S3Standin) =>
  s3.operations().filter((operation) => ["CopyObject", "DeleteObject", "PutObject"].includes(operation));

describe("bedrock-kb.find-document-source", () => {
  const find = async (setup: Setup, documentRef: string) =>
    (await runAction(findDocumentSource, { documentRef }, { dryRun: false, context: setup.context })).output;

  it("finds the data source that ingests the poisoned review, reading Bedrock only", async () => {
    const setup = await knowledgeBase();
    const result = await runAction(
      findDocumentSource,
      { documentRef: POISONED },
      { dryRun: false, context: setup.context },
    );
    expect(result).toMatchObject({ mode: "applied", writes: [], verified: null });
    expect(result.output).toEqual({
      found: true,
      quarantinable: true,
      why: `ingested by ${SOURCE_NAMES}`,
      dataSources: [SOURCE],
      dataSourceNames: SOURCE_NAMES,
    });
    expect(setup.agent.operations()).toEqual(["ListKnowledgeBases", "ListDataSources", "GetDataSource"]);
    expect(setup.s3.requests).toEqual([]);
  });

  it("finds nothing for another bucket, a key outside the data source's prefix, or a prefix-like key", async () => {
    const setup = await knowledgeBase();
    for (const documentRef of [
      "s3://support-kb-docs-archive/kb/hotel-reviews/review-0142.html",
      `s3://${BUCKET}/drafts/hotel-reviews/review-0142.html`,
      `s3://${BUCKET}/kb`,
      `s3://${BUCKET}/KB/hotel-reviews/review-0142.html`,
    ]) {
      expect(await find(setup, documentRef), documentRef).toEqual({
        found: false,
        quarantinable: false,
        why: `no knowledge base data source in this region ingests ${documentRef}`,
        dataSources: [],
        dataSourceNames: "",
      });
    }
  });

  it("finds nothing, calling nothing, for a document that is not an S3 object or not a valid reference", async () => {
    const setup = await knowledgeBase();
    const notS3 = [
      "https://examplecorp.sharepoint.com/sites/support/kb/hotel-reviews/review-0142.html",
      `S3://${BUCKET}/${POISONED_KEY}`,
      `<s3://${BUCKET}/${POISONED_KEY}|review>`,
      `arn:aws:s3:::${BUCKET}/${POISONED_KEY}`,
    ];
    for (const documentRef of notS3)
      expect(await find(setup, documentRef), documentRef).toMatchObject({
        found: false,
        quarantinable: false,
        why: `${documentRef} is not an S3 object: only S3 data sources can be quarantined`,
        dataSources: [],
      });
    const invalid = [
      `s3://${BUCKET}/`,
      `s3://${BUCKET}`,
      `s3://Support_KB/${POISONED_KEY}`,
      `s3://${BUCKET}/${POISONED_KEY}\n<!channel>`,
      `s3://${BUCKET}/${"k".repeat(1025)}`,
    ];
    for (const documentRef of invalid)
      expect(await find(setup, documentRef), documentRef.slice(0, 80)).toMatchObject({
        found: false,
        quarantinable: false,
        why: `${documentRef} is not a valid s3://<bucket>/<key> reference`,
        dataSources: [],
      });
    expect(setup.agent.requests).toEqual([]);
    expect(setup.s3.requests).toEqual([]);
  });

  it("is not quarantinable into a quarantine bucket that a knowledge base reads as well", async () => {
    const readsQuarantine: DataSourceSeed = {
      dataSourceId: "DS56EXAMPL",
      name: "quarantine-reader",
      s3Configuration: { bucketArn: `arn:aws:s3:::${QUARANTINE_BUCKET}` },
      createdAt: "2026-06-01T00:00:00.000Z",
      updatedAt: "2026-06-01T00:00:00.000Z",
    };
    const found = await find(
      await knowledgeBase({
        extraSources: [readsQuarantine],
        env: { QUELL_DOCUMENT_QUARANTINE_BUCKET: QUARANTINE_BUCKET },
      }),
      POISONED,
    );
    expect(found).toMatchObject({
      found: true,
      quarantinable: false,
      why: expect.stringContaining(
        `would ingest the quarantined copy at s3://${QUARANTINE_BUCKET}/support-kb-docs/`,
      ),
    });
  });

  it("is not quarantinable in place when a data source ingests the whole bucket; it is with a quarantine bucket", async () => {
    const wholeBucket: DataSourceSeed = {
      dataSourceId: "DS34EXAMPL",
      name: "support-kb-everything",
      s3Configuration: { bucketArn: BUCKET_ARN },
      createdAt: "2026-06-01T00:00:00.000Z",
      updatedAt: "2026-06-01T00:00:00.000Z",
    };
    const both = [
      SOURCE,
      {
        ...SOURCE,
        dataSourceId: "DS34EXAMPL",
        dataSourceName: "support-kb-everything",
        inclusionPrefixes: [],
      },
    ];
    const names = "support-kb/support-kb-docs, support-kb/support-kb-everything";
    const inPlace = await find(await knowledgeBase({ extraSources: [wholeBucket] }), POISONED);
    expect(inPlace).toEqual({
      found: true,
      quarantinable: false,
      why:
        "data source support-kb-everything would ingest the quarantined copy at s3://support-kb-docs/quell-quarantine/: " +
        "set settings.documentQuarantineBucket to a bucket no knowledge base reads",
      dataSources: both,
      dataSourceNames: names,
    });
    const elsewhere = await find(
      await knowledgeBase({
        extraSources: [wholeBucket],
        env: { QUELL_DOCUMENT_QUARANTINE_BUCKET: QUARANTINE_BUCKET },
      }),
      POISONED,
    );
    expect(elsewhere).toEqual({
      found: true,
      quarantinable: true,
      why: `ingested by ${names}`,
      dataSources: both,
      dataSourceNames: names,
    });
  });
});

describe("bedrock-kb.quarantine-document", () => {
  it("copies the document with its metadata and tags, deletes the original once the copy matches, ingests, verifies", async () => {
    const { s3, agent, context, journal } = await knowledgeBase();
    const original = s3.object(BUCKET, POISONED_KEY);
    const versionsBefore = s3.versions(BUCKET, POISONED_KEY);
    const result = await runAction(quarantineDocument, quarantineInput(), { dryRun: false, context });

    expect(s3.operations()).toEqual([
      // Plan: the document, its quarantine place, its sidecar (there is none).
      "HeadObject",
      "HeadObject",
      "HeadObject",
      "CopyObject",
      // The delete checks the copy first.
      "HeadObject",
      "DeleteObject",
      // Verify: the original and the copy.
      "HeadObject",
      "HeadObject",
    ]);
    // Verify: the data source's latest job, read by id.
    expect(agent.operations()).toEqual(["StartIngestionJob", "ListIngestionJobs", "GetIngestionJob"]);
    expect(s3.requests.find((request) => request.method === "PUT")?.body).toEqual({
      copySource: `${BUCKET}/${POISONED_KEY}?versionId=${original?.versionId}`,
      metadataDirective: "COPY",
      taggingDirective: "COPY",
    });

    const copy = s3.object(BUCKET, QUARANTINE_KEY);
    expect(copy).toMatchObject({
      contentType: "text/html; charset=utf-8",
      metadata: { "submitted-via": "public-review-form" },
      tags: { source: "user-generated", classification: "public" },
      etag: original?.etag,
      size: original?.size,
    });
    expect(copy?.body.equals(original?.body ?? Buffer.alloc(0))).toBe(true);
    expect(copy?.body.toString()).toContain("ignore your previous instructions");
    // The original is gone from the data source, its versions kept behind a delete marker.
    expect(s3.object(BUCKET, POISONED_KEY)).toBeUndefined();
    const versionsAfter = s3.versions(BUCKET, POISONED_KEY);
    expect(versionsAfter.slice(0, -1).map((version) => version.versionId)).toEqual(
      versionsBefore.map((version) => version.versionId),
    );
    expect(versionsAfter.at(-1)).toMatchObject({ deleteMarker: true, isLatest: true });

    expect(agent.ingestionJobs()).toMatchObject([
      {
        knowledgeBaseId: KB_ID,
        dataSourceId: DATA_SOURCE_ID,
        clientToken: QUARANTINE_TOKEN,
        description: `Quell ${INCIDENT}: drop a quarantined document`,
      },
    ]);
    expect(result).toMatchObject({
      mode: "applied",
      output: {
        document: POISONED,
        quarantine: QUARANTINED,
        dataSources: SOURCE_NAMES,
        requestedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      },
      verified: `${POISONED} gone, quarantine copy present; ingestion STARTING`,
    });
    expect(operationsOf(result.writes)).toEqual(["CopyObject", "DeleteObject", "StartIngestionJob"]);
    expect(journal.filter((entry) => "outcome" in entry && !entry.outcome.ok)).toEqual([]);
  });

  it("once the ingestion completes, the knowledge base no longer holds the document; ingestion-status follows it", async () => {
    const { agent, context } = await knowledgeBase();
    expect(agent.indexedDocuments(KB_ID, DATA_SOURCE_ID)).toContain(POISONED);
    const quarantined = await runAction(quarantineDocument, quarantineInput(), { dryRun: false, context });
    const statusInput = {
      dataSources: [SOURCE],
      since: (quarantined.output as { requestedAt: string }).requestedAt,
      maxWaitSeconds: 900,
    };
    const waiting = await runAction(ingestionStatus, statusInput, { dryRun: false, context });
    expect(waiting).toMatchObject({
      writes: [],
      output: { settled: "waiting", statuses: `${SOURCE_NAMES}: STARTING`, documentsDeleted: 0 },
    });
    await agent.completeIngestionJobs();
    const indexed = agent.indexedDocuments(KB_ID, DATA_SOURCE_ID);
    expect(indexed).not.toContain(POISONED);
    expect(indexed).toEqual([
      `s3://${BUCKET}/kb/faq/check-in.md`,
      `s3://${BUCKET}/${REFUNDS_KEY}`,
      `s3://${BUCKET}/kb/hotel-reviews/review-0141.html`,
    ]);
    const complete = await runAction(ingestionStatus, statusInput, { dryRun: false, context });
    expect(complete.output).toEqual({
      settled: "complete",
      statuses: `${SOURCE_NAMES}: COMPLETE`,
      documentsDeleted: 1,
    });
  });

  it("moves the document's .metadata.json sidecar with it", async () => {
    const { s3, context } = await knowledgeBase();
    const document = s3.object(BUCKET, REFUNDS_KEY);
    const sidecar = s3.object(BUCKET, REFUNDS_METADATA_KEY);
    const result = await runAction(quarantineDocument, quarantineInput(`s3://${BUCKET}/${REFUNDS_KEY}`), {
      dryRun: false,
      context,
    });
    expect(operationsOf(result.writes)).toEqual([
      "CopyObject",
      "DeleteObject",
      "CopyObject",
      "DeleteObject",
      "StartIngestionJob",
    ]);
    const quarantine = `quell-quarantine/${INCIDENT}/`;
    expect(s3.keys(BUCKET, quarantine)).toEqual([
      `${quarantine}${REFUNDS_KEY}`,
      `${quarantine}${REFUNDS_METADATA_KEY}`,
    ]);
    expect(s3.object(BUCKET, `${quarantine}${REFUNDS_KEY}`)).toMatchObject({
      contentType: "text/markdown",
      metadata: { owner: "support-content" },
      tags: { classification: "internal" },
      etag: document?.etag,
    });
    expect(s3.object(BUCKET, `${quarantine}${REFUNDS_METADATA_KEY}`)).toMatchObject({
      contentType: "application/json",
      etag: sidecar?.etag,
    });
    expect(s3.object(BUCKET, REFUNDS_KEY)).toBeUndefined();
    expect(s3.object(BUCKET, REFUNDS_METADATA_KEY)).toBeUndefined();
  });

  it("quarantines into QUELL_DOCUMENT_QUARANTINE_BUCKET when it names one", async () => {
    const { s3, context } = await knowledgeBase({
      env: { QUELL_DOCUMENT_QUARANTINE_BUCKET: QUARANTINE_BUCKET },
      buckets: [s3KnowledgeBaseSeed(), { name: QUARANTINE_BUCKET, objects: [] }],
    });
    const result = await runAction(quarantineDocument, quarantineInput(), { dryRun: false, context });
    const key = `${BUCKET}/${INCIDENT}/${POISONED_KEY}`;
    expect(result.output).toMatchObject({ quarantine: `s3://${QUARANTINE_BUCKET}/${key}` });
    expect(s3.keys(QUARANTINE_BUCKET)).toEqual([key]);
    expect(s3.keys(BUCKET, "quell-quarantine/")).toEqual([]);
    expect(s3.object(BUCKET, POISONED_KEY)).toBeUndefined();
  });

  it("leaves the original where it is when the copy fails, and goes on when retried", async () => {
    const { s3, agent, context, journal } = await knowledgeBase();
    s3.faults.next({ method: "PUT", path: `/${BUCKET}/${QUARANTINE_KEY}`, status: 500, applied: false });
    const run = runAction(quarantineDocument, quarantineInput(), { dryRun: false, context });
    await expect(run).rejects.toMatchObject({ $metadata: { httpStatusCode: 500 } });
    expect(s3.operations()).not.toContain("DeleteObject");
    expect(s3.object(BUCKET, POISONED_KEY)).toBeDefined();
    expect(s3.object(BUCKET, QUARANTINE_KEY)).toBeUndefined();
    expect(agent.ingestionJobs()).toEqual([]);
    expect(journal.at(-1)).toMatchObject({
      settled: { operation: "CopyObject" },
      outcome: { ok: false, status: 500 },
    });

    const retry = await runAction(quarantineDocument, quarantineInput(), { dryRun: false, context });
    expect(operationsOf(retry.writes)).toEqual(["CopyObject", "DeleteObject", "StartIngestionJob"]);
    expect(s3.object(BUCKET, POISONED_KEY)).toBeUndefined();
    expect(s3.object(BUCKET, QUARANTINE_KEY)).toBeDefined();
  });

  it("does not delete the original when S3 answered the copy 200 but no copy is there", async () => {
    const { s3, agent, context, journal } = await knowledgeBase();
    s3.faults.next({
      method: "PUT",
      path: `/${BUCKET}/${QUARANTINE_KEY}`,
      status: 200,
      applied: false,
      body: `<?xml version="1.0" encoding="UTF-8"?>\n<CopyObjectResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><ETag>"0123456789abcdef0123456789abcdef"</ETag><LastModified>2026-12-02T00:00:00.000Z</LastModified></CopyObjectResult>`,
    });
    const run = runAction(quarantineDocument, quarantineInput(), { dryRun: false, context });
    await expect(run).rejects.toBeInstanceOf(QuellError);
    await expect(run).rejects.toThrow(
      `the copy at ${QUARANTINED} does not match ${POISONED}: the original was not deleted`,
    );
    expect(s3.operations()).not.toContain("DeleteObject");
    expect(s3.object(BUCKET, POISONED_KEY)?.body.toString()).toContain("ignore your previous instructions");
    expect(agent.ingestionJobs()).toEqual([]);
    expect(journal.at(-1)).toMatchObject({ settled: { operation: "DeleteObject" }, outcome: { ok: false } });
  });

  it("fails the step when the read-back finds the original still there (S3 answered the delete but kept it)", async () => {
    const { s3, context } = await knowledgeBase();
    s3.faults.next({
      method: "DELETE",
      path: `/${BUCKET}/${POISONED_KEY}`,
      status: 204,
      applied: false,
      body: "",
    });
    const run = runAction(quarantineDocument, quarantineInput(), { dryRun: false, context });
    await expect(run).rejects.toBeInstanceOf(VerificationFailed);
    await expect(run).rejects.toThrow(
      `read-back found: ${POISONED} still there, quarantine copy present; ingestion STARTING`,
    );
  });

  it("retried after StartIngestionJob was applied but answered 500, gets the same job back (no 409)", async () => {
    const { s3, agent, context } = await knowledgeBase();
    agent.faults.next({ method: "PUT", path: INGESTION_PATH, status: 500, applied: true });
    await expect(
      runAction(quarantineDocument, quarantineInput(), { dryRun: false, context }),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 500 } });
    const [job] = agent.ingestionJobs();
    expect(job).toMatchObject({ clientToken: QUARANTINE_TOKEN, status: "STARTING" });
    const s3WritesBefore = s3Writes(s3).length;

    const retry = await runAction(quarantineDocument, quarantineInput(), { dryRun: false, context });
    expect(operationsOf(retry.writes)).toEqual(["StartIngestionJob"]);
    expect(s3Writes(s3)).toHaveLength(s3WritesBefore);
    expect(agent.ingestionJobs()).toEqual([job]);
    expect(agent.answered.map((answer) => answer.status)).not.toContain(409);
    expect(retry.verified).toBe(`${POISONED} gone, quarantine copy present; ingestion STARTING`);
  });

  it("retried minutes after its ingestion started, still waits for that ingestion (requestedAt is not later)", async () => {
    const { agent, context } = await knowledgeBase();
    agent.faults.next({ method: "PUT", path: INGESTION_PATH, status: 500, applied: true });
    await expect(
      runAction(quarantineDocument, quarantineInput(), { dryRun: false, context }),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 500 } });
    const [job] = agent.ingestionJobs();
    // The playbook's retries back off for up to about two minutes; this one comes three minutes later.
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 180_000 });
    try {
      const retry = await runAction(quarantineDocument, quarantineInput(), { dryRun: false, context });
      expect(agent.ingestionJobs()).toEqual([job]);
      const { requestedAt } = retry.output as { requestedAt: string };
      await agent.completeIngestionJobs();
      const settled = await runAction(
        ingestionStatus,
        { dataSources: [SOURCE], since: requestedAt, maxWaitSeconds: 900 },
        { dryRun: false, context },
      );
      expect(settled.output).toMatchObject({ settled: "complete", documentsDeleted: 1 });
      expect(Date.parse(requestedAt)).toBeLessThanOrEqual(Date.parse(job?.startedAt ?? ""));
    } finally {
      vi.useRealTimers();
    }
  });

  it("run again after it succeeded, writes nothing but the same (idempotent) ingestion", async () => {
    const { s3, agent, context } = await knowledgeBase();
    await runAction(quarantineDocument, quarantineInput(), { dryRun: false, context });
    const s3Before = s3.operations().length;
    const again = await runAction(quarantineDocument, quarantineInput(), { dryRun: false, context });
    expect(again.writes).toEqual([
      {
        kind: "aws",
        service: "bedrock-agent",
        operation: "StartIngestionJob",
        input: {
          knowledgeBaseId: KB_ID,
          dataSourceId: DATA_SOURCE_ID,
          clientToken: QUARANTINE_TOKEN,
          description: `Quell ${INCIDENT}: drop a quarantined document`,
        },
      },
    ]);
    expect(new Set(s3.operations().slice(s3Before))).toEqual(new Set(["HeadObject"]));
    expect(agent.ingestionJobs()).toHaveLength(1);
    expect(agent.answered.filter((answer) => answer.status >= 300)).toEqual([]);
  });

  it("in dry run records the writes and sends only reads", async () => {
    const { s3, agent, context, journal } = await knowledgeBase();
    const result = await runAction(quarantineDocument, quarantineInput(), { dryRun: true, context });
    expect(result.mode).toBe("planned");
    expect(result.writes).toEqual([
      {
        kind: "aws",
        service: "s3",
        operation: "CopyObject",
        input: {
          Bucket: BUCKET,
          Key: QUARANTINE_KEY,
          CopySource: `${BUCKET}/${POISONED_KEY}?versionId=${s3.object(BUCKET, POISONED_KEY)?.versionId}`,
          MetadataDirective: "COPY",
          TaggingDirective: "COPY",
        },
      },
      { kind: "aws", service: "s3", operation: "DeleteObject", input: { Bucket: BUCKET, Key: POISONED_KEY } },
      {
        kind: "aws",
        service: "bedrock-agent",
        operation: "StartIngestionJob",
        input: expect.objectContaining({ clientToken: QUARANTINE_TOKEN }),
      },
    ]);
    expect(new Set(s3.operations())).toEqual(new Set(["HeadObject"]));
    expect(agent.requests).toEqual([]);
    expect(journal).toEqual([]);
    expect(s3.object(BUCKET, POISONED_KEY)).toBeDefined();
  });

  describe("undo (given the output the applied run recorded)", () => {
    it("puts the document back (same bytes, metadata and tags) and ingests again", async () => {
      const { s3, agent, context } = await knowledgeBase();
      const original = s3.object(BUCKET, POISONED_KEY);
      const applied = await runAction(quarantineDocument, quarantineInput(), { dryRun: false, context });
      await agent.completeIngestionJobs();
      const result = await runUndo(
        quarantineDocument,
        { input: applied.input, output: applied.output },
        { dryRun: false, context },
      );
      expect(result).toMatchObject({ mode: "applied", output: null });
      expect(operationsOf(result.writes)).toEqual(["CopyObject", "DeleteObject", "StartIngestionJob"]);
      const restored = s3.object(BUCKET, POISONED_KEY);
      expect(restored).toMatchObject({
        contentType: original?.contentType,
        metadata: original?.metadata,
        tags: original?.tags,
        etag: original?.etag,
        headers: original?.headers,
      });
      expect(restored?.body.equals(original?.body ?? Buffer.alloc(0))).toBe(true);
      expect(s3.object(BUCKET, QUARANTINE_KEY)).toBeUndefined();
      expect(agent.ingestionJobs().map((job) => job.clientToken)).toEqual([QUARANTINE_TOKEN, RESTORE_TOKEN]);
      expect(agent.ingestionJobs()[1]?.description).toBe(`Quell ${INCIDENT}: restore a document`);
      await agent.completeIngestionJobs();
      expect(agent.indexedDocuments(KB_ID, DATA_SOURCE_ID)).toContain(POISONED);
    });

    it("puts the sidecar back too", async () => {
      const { s3, agent, context } = await knowledgeBase();
      const input = quarantineInput(`s3://${BUCKET}/${REFUNDS_KEY}`);
      const sidecar = s3.object(BUCKET, REFUNDS_METADATA_KEY);
      const applied = await runAction(quarantineDocument, input, { dryRun: false, context });
      await agent.completeIngestionJobs();
      await runUndo(quarantineDocument, { input, output: applied.output }, { dryRun: false, context });
      expect(s3.object(BUCKET, REFUNDS_METADATA_KEY)).toMatchObject({
        etag: sidecar?.etag,
        contentType: "application/json",
      });
      expect(s3.object(BUCKET, REFUNDS_KEY)).toBeDefined();
      expect(s3.keys(BUCKET, "quell-quarantine/")).toEqual([]);
    });

    it("refuses, writing nothing, when someone put a new document at the original key since", async () => {
      const { s3, agent, context, journal } = await knowledgeBase();
      const applied = await runAction(quarantineDocument, quarantineInput(), { dryRun: false, context });
      await agent.completeIngestionJobs();
      s3.putByHand(BUCKET, POISONED_KEY, "<p>A clean review, rewritten by the content team.</p>", {
        contentType: "text/html; charset=utf-8",
      });
      const writesBefore = s3Writes(s3).length;
      const entriesBefore = journal.length;
      const run = runUndo(
        quarantineDocument,
        { input: applied.input, output: applied.output },
        { dryRun: false, context },
      );
      await expect(run).rejects.toBeInstanceOf(TargetChanged);
      await expect(run).rejects.toThrow(`a document exists at ${POISONED} again`);
      expect(s3Writes(s3)).toHaveLength(writesBefore);
      expect(journal).toHaveLength(entriesBefore);
      expect(s3.object(BUCKET, POISONED_KEY)?.body.toString()).toContain("rewritten by the content team");
      expect(s3.object(BUCKET, QUARANTINE_KEY)).toBeDefined();
      expect(agent.ingestionJobs()).toHaveLength(1);
    });
  });
});

describe("bedrock-kb.ingestion-status", () => {
  const status = async (setup: Setup, since: string, maxWaitSeconds = 900) =>
    (
      await runAction(
        ingestionStatus,
        { dataSources: [SOURCE], since, maxWaitSeconds },
        { dryRun: false, context: setup.context },
      )
    ).output;

  it("reports a failed ingestion", async () => {
    const setup = await knowledgeBase();
    const applied = await runAction(quarantineDocument, quarantineInput(), {
      dryRun: false,
      context: setup.context,
    });
    setup.failIngestion("the data source's bucket could not be read");
    await setup.agent.completeIngestionJobs();
    expect(await status(setup, (applied.output as { requestedAt: string }).requestedAt)).toEqual({
      settled: "failed",
      statuses: `${SOURCE_NAMES}: FAILED`,
      documentsDeleted: 0,
    });
  });

  it("waits while no job started since, then times out; an older job does not count", async () => {
    const setup = await knowledgeBase();
    const now = Date.now();
    expect(await status(setup, new Date(now).toISOString())).toEqual({
      settled: "waiting",
      statuses: `${SOURCE_NAMES}: not started`,
      documentsDeleted: 0,
    });
    expect(await status(setup, new Date(now - 3_600_000).toISOString(), 600)).toMatchObject({
      settled: "timed_out",
      statuses: `${SOURCE_NAMES}: not started`,
    });
    await runAction(quarantineDocument, quarantineInput(), { dryRun: false, context: setup.context });
    await setup.agent.completeIngestionJobs();
    // A job that started well before `since` is some earlier ingestion, not the one this run waits for.
    expect(await status(setup, new Date(Date.now() + 600_000).toISOString())).toMatchObject({
      settled: "waiting",
      statuses: `${SOURCE_NAMES}: not started`,
    });
  });
});
