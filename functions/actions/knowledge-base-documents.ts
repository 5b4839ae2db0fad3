import {
  type DataSource,
  GetDataSourceCommand,
  GetIngestionJobCommand,
  type IngestionJob,
  ListDataSourcesCommand,
  ListIngestionJobsCommand,
  ListKnowledgeBasesCommand,
  StartIngestionJobCommand,
} from "@aws-sdk/client-bedrock-agent";
import * as z from "zod";
import { TransientError, ValidationError } from "../shared/errors.js";
import type { ActionContext, IamNeed, Write } from "./contract.js";
import { listAllTokenPages } from "./paged-list.js";

/**
 * What the poisoned-document actions share: the S3 document an alert names, the Bedrock knowledge base data
 * sources that ingest it, where Quell quarantines it, and the ingestion jobs that make a knowledge base drop it.
 */

/** An S3 object as `s3://<bucket>/<key>`: a bucket name as S3 allows it, then a key of printable characters. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point.
const S3_URI = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/([^\u0000-\u001f\u007f]{1,1024})$/;

export const DocumentRef = z.string().max(1100).regex(S3_URI, "must be an S3 object as s3://<bucket>/<key>");

export interface S3Document {
  readonly bucket: string;
  readonly key: string;
}

export function s3Document(ref: string): S3Document {
  const [, bucket, key] = S3_URI.exec(ref) ?? [];
  if (!bucket || !key) throw new ValidationError(`not an S3 object reference: ${ref}`);
  return { bucket, key };
}

/** The bucket quarantined documents go to (settings.documentQuarantineBucket); unset: their own bucket. */
export const DOCUMENT_QUARANTINE_BUCKET_ENV = "QUELL_DOCUMENT_QUARANTINE_BUCKET";

/** Where Quell puts quarantined documents in their own bucket, unless QUELL_DOCUMENT_QUARANTINE_BUCKET names one. */
export const QUARANTINE_PREFIX = "quell-quarantine/";

/** A knowledge base data source that ingests a document, as the cards and the writes name it. */
export const IngestingSource = z.object({
  knowledgeBaseId: z.string().regex(/^[0-9a-zA-Z]{10}$/),
  knowledgeBaseName: z.string(),
  dataSourceId: z.string().regex(/^[0-9a-zA-Z]{10}$/),
  dataSourceName: z.string(),
  bucketArn: z.string(),
  inclusionPrefixes: z.array(z.string()),
});
export type IngestingSource = z.infer<typeof IngestingSource>;

// biome-ignore lint/suspicious/noTemplateCurlyInString: placeholders that infra fills per stack.
const KB_RESOURCE = "arn:${Partition}:bedrock:${Region}:${Account}:knowledge-base/*";

/** Listing knowledge bases takes no resource; their data sources and ingestion jobs take the knowledge base. */
export const readKnowledgeBasesIam: readonly IamNeed[] = [
  { actions: ["bedrock:ListKnowledgeBases"], resources: ["*"] },
  {
    actions: [
      "bedrock:ListDataSources",
      "bedrock:GetDataSource",
      "bedrock:ListIngestionJobs",
      "bedrock:GetIngestionJob",
    ],
    resources: [KB_RESOURCE],
  },
];
export const ingestIam: IamNeed = {
  actions: ["bedrock:StartIngestionJob", "bedrock:ListIngestionJobs", "bedrock:GetIngestionJob"],
  resources: [KB_RESOURCE],
};

const bucketOf = (bucketArn: string) => /^arn:aws[a-z-]*:s3:::([^/]+)$/.exec(bucketArn)?.[1];

/** Whether a data source over `bucketArn` with these inclusion prefixes takes `key` (no prefix: the whole bucket). */
export const ingests = (
  source: Pick<IngestingSource, "bucketArn" | "inclusionPrefixes">,
  document: S3Document,
) =>
  bucketOf(source.bucketArn) === document.bucket &&
  (source.inclusionPrefixes.length === 0 ||
    source.inclusionPrefixes.some((prefix) => document.key.startsWith(prefix)));

/** Every S3 data source of every knowledge base in the region (ListKnowledgeBases, ListDataSources, GetDataSource). */
export async function s3DataSources(context: ActionContext): Promise<IngestingSource[]> {
  const client = context.aws.bedrockAgent();
  const bases = await listAllTokenPages(async (from) => {
    const answer = await client.send(new ListKnowledgeBasesCommand({ maxResults: 100, ...from }));
    return { items: answer.knowledgeBaseSummaries, nextToken: answer.nextToken };
  }, "ListKnowledgeBases");
  const sources: IngestingSource[] = [];
  for (const base of bases) {
    const knowledgeBaseId = base.knowledgeBaseId ?? "";
    const summaries = await listAllTokenPages(async (from) => {
      const answer = await client.send(
        new ListDataSourcesCommand({ knowledgeBaseId, maxResults: 100, ...from }),
      );
      return { items: answer.dataSourceSummaries, nextToken: answer.nextToken };
    }, `ListDataSources ${knowledgeBaseId}`);
    for (const summary of summaries) {
      const { dataSource } = await client.send(
        new GetDataSourceCommand({ knowledgeBaseId, dataSourceId: summary.dataSourceId ?? "" }),
      );
      const s3 = s3ConfigurationOf(dataSource);
      if (!s3) continue;
      sources.push({
        knowledgeBaseId,
        knowledgeBaseName: base.name ?? knowledgeBaseId,
        dataSourceId: summary.dataSourceId ?? "",
        dataSourceName: summary.name ?? "",
        bucketArn: s3.bucketArn ?? "",
        inclusionPrefixes: s3.inclusionPrefixes ?? [],
      });
    }
  }
  return sources;
}

const s3ConfigurationOf = (dataSource: DataSource | undefined) =>
  dataSource?.dataSourceConfiguration?.type === "S3"
    ? dataSource.dataSourceConfiguration.s3Configuration
    : undefined;

/** The quarantine place for a document: another bucket when configured, else a prefix of its own bucket. */
export function quarantineOf(document: S3Document, env: NodeJS.ProcessEnv, incidentId: string): S3Document {
  const bucket = env[DOCUMENT_QUARANTINE_BUCKET_ENV]?.trim();
  if (bucket) return { bucket, key: `${document.bucket}/${incidentId}/${document.key}` };
  return { bucket: document.bucket, key: `${QUARANTINE_PREFIX}${incidentId}/${document.key}` };
}

/** A Bedrock knowledge base's metadata file for a document: `<key>.metadata.json`, next to it. */
export const sidecarOf = (document: S3Document): S3Document => ({
  bucket: document.bucket,
  key: `${document.key}.metadata.json`,
});

/**
 * The idempotency token of an ingestion Quell starts: the same run retried starts no second job. The API wants
 * 33 to 256 letters, digits and dashes.
 */
const clientToken = (incidentId: string, purpose: string, source: IngestingSource) =>
  `quell-${purpose}-${incidentId}-${source.knowledgeBaseId}-${source.dataSourceId}`.replace(
    /[^a-zA-Z0-9-]/g,
    "-",
  );

export const startIngestion = (
  context: ActionContext,
  source: IngestingSource,
  incidentId: string,
  purpose: "quarantine" | "restore",
): Write => {
  const input = {
    knowledgeBaseId: source.knowledgeBaseId,
    dataSourceId: source.dataSourceId,
    clientToken: clientToken(incidentId, purpose, source),
    description: `Quell ${incidentId}: ${purpose === "quarantine" ? "drop a quarantined document" : "restore a document"}`,
  };
  return {
    description: { kind: "aws", service: "bedrock-agent", operation: "StartIngestionJob", input },
    async send() {
      try {
        return await context.aws.bedrockAgent().send(new StartIngestionJobCommand(input));
      } catch (error) {
        // One ingestion job at a time per data source: another one (a scheduled sync, a human's) is running.
        // Retried later, by which time it has ended; the object is already moved, so it drops the document too.
        if ((error as { name?: string }).name === "ConflictException")
          throw new TransientError(
            `data source ${source.dataSourceName} is already ingesting: its job must end before Quell's starts`,
            { cause: error, status: 409 },
          );
        throw error;
      }
    },
  };
};

/** The data source's most recent ingestion job as GetIngestionJob reads it, or undefined when it never ran one. */
export async function latestIngestion(
  context: ActionContext,
  source: Pick<IngestingSource, "knowledgeBaseId" | "dataSourceId">,
): Promise<IngestionJob | undefined> {
  const client = context.aws.bedrockAgent();
  const answer = await client.send(
    new ListIngestionJobsCommand({
      knowledgeBaseId: source.knowledgeBaseId,
      dataSourceId: source.dataSourceId,
      sortBy: { attribute: "STARTED_AT", order: "DESCENDING" },
      maxResults: 1,
    }),
  );
  const ingestionJobId = answer.ingestionJobSummaries?.[0]?.ingestionJobId;
  if (!ingestionJobId) return undefined;
  const { knowledgeBaseId, dataSourceId } = source;
  return (await client.send(new GetIngestionJobCommand({ knowledgeBaseId, dataSourceId, ingestionJobId })))
    .ingestionJob;
}
