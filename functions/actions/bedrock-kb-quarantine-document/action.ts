import * as z from "zod";
import { TargetChanged } from "../../shared/errors.js";
import { type ActionContext, defineAction, type Write } from "../contract.js";
import {
  DocumentRef,
  IngestingSource,
  ingestIam,
  latestIngestion,
  quarantineOf,
  type S3Document,
  s3Document,
  sidecarOf,
  startIngestion,
} from "../knowledge-base-documents.js";
import {
  copyObject,
  deleteAfterCopy,
  headOf,
  listBucketIam,
  moveObjectsIam,
  s3Uri,
  sameContent,
} from "../s3-objects.js";

const Input = z.object({
  documentRef: DocumentRef,
  /** The data sources that ingest it, as bedrock-kb.find-document-source found them. */
  dataSources: z.array(IngestingSource).min(1).max(5),
  incidentId: z.string().regex(/^inc_[a-z0-9]{10,40}$/),
});

/**
 * Move `from` to `to` (and its metadata file, when it has one): copy, then delete the original once the copy is
 * checked. A move already done (the original gone, the copy there) plans nothing; neither there is refused.
 * `copiedAt`: when the copy found at `to` was made (by an earlier attempt); undefined when there is none.
 */
async function moveWrites(
  context: ActionContext,
  from: S3Document,
  to: S3Document,
  what: string,
): Promise<{ writes: Write[]; copiedAt: Date | undefined }> {
  const writes: Write[] = [];
  let copiedAt: Date | undefined;
  for (const [source, target, optional] of [
    [from, to, false],
    [sidecarOf(from), sidecarOf(to), true],
  ] as const) {
    const head = await headOf(context, source);
    const copied = head || !optional ? await headOf(context, target) : undefined;
    if (!optional) copiedAt = copied?.LastModified;
    if (!head) {
      if (optional || copied) continue;
      throw new TargetChanged(
        `${what}: neither ${s3Uri(source)} nor ${s3Uri(target)} exists: nothing was written`,
      );
    }
    if (!sameContent(head, copied)) writes.push(copyObject(context, source, target, head.VersionId));
    writes.push(deleteAfterCopy(context, source, head, target));
  }
  return { writes, copiedAt };
}

/**
 * Quarantine a poisoned document out of the Bedrock knowledge bases that ingest it: copy the S3 object (with its
 * metadata, content type, tags and its `.metadata.json` file) to the quarantine place, delete the original only
 * once the copy is checked, then start an ingestion job on each data source so the knowledge base drops it. The
 * quarantine place is `quell-quarantine/<incident>/<key>` in the same bucket, or `<bucket>/<incident>/<key>` in
 * QUELL_DOCUMENT_QUARANTINE_BUCKET. Moving rather than tagging: a knowledge base drops a document only when it no
 * longer finds it in the data source; a tag and a bucket policy would make ingestion fail on the object instead,
 * and would need Quell to own the bucket's policy. On a versioned bucket the delete also leaves the original's
 * versions in place.
 *
 * Undo moves it back the same careful way and ingests again; it refuses when a document exists at the original
 * key again (someone restored or replaced it), never overwriting it.
 */
export const quarantineDocument = defineAction({
  name: "bedrock-kb.quarantine-document",
  description:
    "Move a poisoned S3 document out of its Bedrock knowledge base data sources into quarantine and re-ingest " +
    "them (s3:CopyObject, DeleteObject after the copy is checked, bedrock:StartIngestionJob).",
  input: Input,
  output: z.object({
    document: z.string(),
    quarantine: z.string(),
    dataSources: z.string(),
    /**
     * When the quarantine was planned (on a retry, when an earlier attempt made the copy): the ingestion jobs it
     * starts begin after this. A retry gets back the job the earlier attempt started (same clientToken).
     */
    requestedAt: z.iso.datetime(),
  }),
  secrets: [],
  iam: [moveObjectsIam, listBucketIam, ingestIam],
  reversible: true,
  // Not low: the knowledge base stops answering from this document until it is restored.
  blastRadius: { maxWrites: 4 + 5, low: false },
  timeoutSeconds: 60,
  async plan(input, context) {
    const document = s3Document(input.documentRef);
    const quarantine = quarantineOf(document, context.env, input.incidentId);
    const { writes, copiedAt } = await moveWrites(context, document, quarantine, "quarantine");
    for (const source of input.dataSources)
      writes.push(startIngestion(context, source, input.incidentId, "quarantine"));
    return {
      output: {
        document: s3Uri(document),
        quarantine: s3Uri(quarantine),
        dataSources: input.dataSources
          .map((source) => `${source.knowledgeBaseName}/${source.dataSourceName}`)
          .join(", "),
        requestedAt: new Date(
          Math.min(Date.now(), copiedAt?.getTime() ?? Number.POSITIVE_INFINITY),
        ).toISOString(),
      },
      writes,
    };
  },
  async verify(input, context) {
    const document = s3Document(input.documentRef);
    const quarantine = quarantineOf(document, context.env, input.incidentId);
    const [original, copy] = await Promise.all([headOf(context, document), headOf(context, quarantine)]);
    const jobs = await Promise.all(input.dataSources.map((source) => latestIngestion(context, source)));
    const failed = jobs.filter((job) => !job || job.status === "FAILED" || job.status === "STOPPED");
    return {
      verified: original === undefined && copy !== undefined && failed.length === 0,
      observed:
        `${s3Uri(document)} ${original ? "still there" : "gone"}, quarantine copy ${copy ? "present" : "missing"}; ` +
        `ingestion ${jobs.map((job) => job?.status ?? "not started").join(", ")}`,
    };
  },
  async undo(input, context) {
    const document = s3Document(input.documentRef);
    const quarantine = quarantineOf(document, context.env, input.incidentId);
    const [original, copy] = await Promise.all([headOf(context, document), headOf(context, quarantine)]);
    if (original && copy) {
      throw new TargetChanged(
        `a document exists at ${s3Uri(document)} again: someone restored or replaced it, and Quell does not ` +
          `overwrite it (the quarantined copy stays at ${s3Uri(quarantine)})`,
      );
    }
    const { writes } = await moveWrites(context, quarantine, document, "restore");
    for (const source of input.dataSources)
      writes.push(startIngestion(context, source, input.incidentId, "restore"));
    return writes;
  },
});
