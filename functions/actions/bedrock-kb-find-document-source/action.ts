import * as z from "zod";
import { defineAction } from "../contract.js";
import {
  IngestingSource,
  ingests,
  quarantineOf,
  readKnowledgeBasesIam,
  s3DataSources,
  s3Document,
} from "../knowledge-base-documents.js";

const S3_REF = /^s3:\/\//;

/** The most data sources one document's quarantine re-ingests (each is one write). */
export const MAX_SOURCES = 5;

const notFound = (why: string, sources: IngestingSource[] = []) => ({
  found: false,
  quarantinable: false,
  why,
  dataSources: sources,
  dataSourceNames: sources.map((source) => `${source.knowledgeBaseName}/${source.dataSourceName}`).join(", "),
});

/**
 * Find the Bedrock knowledge base data sources that ingest the document an alert names as poisoned (read-only):
 * every S3 data source of every knowledge base in the region whose bucket and inclusion prefixes take the object.
 * Also says whether Quell can quarantine it: the quarantine place (`quell-quarantine/` in the same bucket, unless
 * QUELL_DOCUMENT_QUARANTINE_BUCKET names another bucket) must be outside every data source over that bucket, or
 * the next ingestion would index the quarantined copy again.
 */
export const findDocumentSource = defineAction({
  name: "bedrock-kb.find-document-source",
  description:
    "Find the Amazon Bedrock knowledge base data sources that ingest an S3 document (bedrock:ListKnowledgeBases, " +
    "ListDataSources, GetDataSource; read-only).",
  input: z.object({ documentRef: z.string().max(2048) }),
  output: z.object({
    found: z.boolean(),
    /** True when the document can be moved somewhere no data source ingests. */
    quarantinable: z.boolean(),
    why: z.string(),
    dataSources: z.array(IngestingSource),
    dataSourceNames: z.string(),
  }),
  secrets: [],
  iam: readKnowledgeBasesIam,
  reversible: false,
  blastRadius: { maxWrites: 0, low: true },
  timeoutSeconds: 60,
  async plan({ documentRef }, context) {
    if (!S3_REF.test(documentRef))
      return {
        output: notFound(`${documentRef} is not an S3 object: only S3 data sources can be quarantined`),
        writes: [],
      };
    let document: ReturnType<typeof s3Document>;
    try {
      document = s3Document(documentRef);
    } catch {
      return { output: notFound(`${documentRef} is not a valid s3://<bucket>/<key> reference`), writes: [] };
    }
    const all = await s3DataSources(context);
    const ingesting = all.filter((source) => ingests(source, document));
    if (ingesting.length === 0) {
      return {
        output: notFound(
          `no knowledge base data source in this region ingests s3://${document.bucket}/${document.key}`,
        ),
        writes: [],
      };
    }
    if (ingesting.length > MAX_SOURCES) {
      return {
        output: notFound(
          `${ingesting.length} data sources ingest it (Quell re-ingests at most ${MAX_SOURCES})`,
          ingesting,
        ),
        writes: [],
      };
    }
    // Where this document would go (the incident part of the key is not known yet; a prefix cannot end in it).
    const probe = quarantineOf(document, context.env, "inc_0000000000");
    const overQuarantine = all.filter((source) => ingests(source, probe));
    const names = ingesting
      .map((source) => `${source.knowledgeBaseName}/${source.dataSourceName}`)
      .join(", ");
    if (overQuarantine.length > 0) {
      return {
        output: {
          found: true,
          quarantinable: false,
          why:
            `data source ${overQuarantine[0]?.dataSourceName} would ingest the quarantined copy at s3://${probe.bucket}/` +
            `${probe.key.split("/inc_")[0]}/: set settings.documentQuarantineBucket to a bucket no knowledge base reads`,
          dataSources: ingesting,
          dataSourceNames: names,
        },
        writes: [],
      };
    }
    return {
      output: {
        found: true,
        quarantinable: true,
        why: `ingested by ${names}`,
        dataSources: ingesting,
        dataSourceNames: names,
      },
      writes: [],
    };
  },
});
