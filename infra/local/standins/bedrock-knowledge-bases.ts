/**
 * Knowledge bases, their S3 data sources and ingestion jobs for the Agents for Amazon Bedrock stand-in (see
 * bedrock-agent.ts; the same BedrockAgentClient, endpoint and `bedrock` signing service), as the AWS SDK v3 sends
 * the operations and as documented at
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_ListKnowledgeBases.html,
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_ListDataSources.html,
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_GetDataSource.html,
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_StartIngestionJob.html,
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_GetIngestionJob.html and
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_ListIngestionJobs.html:
 *   POST /knowledgebases/                         {maxResults?, nextToken?}  → 200 {knowledgeBaseSummaries, nextToken?}
 *   POST /knowledgebases/{kb}/datasources/        {maxResults?, nextToken?}  → 200 {dataSourceSummaries, nextToken?}
 *   GET  /knowledgebases/{kb}/datasources/{ds}                               → 200 {dataSource}
 *   PUT  /knowledgebases/{kb}/datasources/{ds}/ingestionjobs/  {clientToken?, description?} → 202 {ingestionJob}
 *   GET  /knowledgebases/{kb}/datasources/{ds}/ingestionjobs/{job}           → 200 {ingestionJob}
 *   POST /knowledgebases/{kb}/datasources/{ds}/ingestionjobs/  {filters?, sortBy?, maxResults?, nextToken?}
 *                                                                   → 200 {ingestionJobSummaries, nextToken?}
 * (GetDataSource and GetIngestionJob without a trailing slash, as the SDK sends them.)
 *
 * A job starts STARTING and reads STARTING for `ingestionReads` GetIngestionJob reads, then IN_PROGRESS for as
 * many, then COMPLETE: at completion `documentsOf(bucketArn, inclusionPrefixes)` gives the documents the data
 * source now indexes (the statistics count the new and the deleted ones; a throw fails the job). The SDK fills
 * clientToken when the caller does not: the same clientToken on the same data source answers the job it started
 * (a retried StartIngestionJob starts nothing). A job STARTING or IN_PROGRESS on the data source makes another
 * StartIngestionJob a 409 ConflictException. Stricter than the service where it does not document its behaviour:
 * a clientToken reused on another data source or with another description is a 409 ConflictException; members
 * the operation does not have are refused; a data source not AVAILABLE (or a knowledge base not ACTIVE) refuses
 * a job (409). ListIngestionJobs does not move jobs along, and lists newest first unless sortBy says otherwise;
 * lists page 10 at a time when maxResults is absent (the service does not document its default). Tests can let
 * every running job complete at once with `completeIngestionJobs()`.
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { DataSourceSeed, KnowledgeBaseSeed } from "./bedrock-agent-seed.js";
import {
  type AgentRoute,
  CLIENT_TOKEN,
  conflict,
  constraint,
  defined,
  invalid,
  jsonBody,
  listPage,
  notFound,
  unknownMembers,
} from "./bedrock-agent-shared.js";
import { isRecord, type StandinResponse } from "./server.js";

export type IngestionJobStatus = "STARTING" | "IN_PROGRESS" | "COMPLETE" | "FAILED" | "STOPPING" | "STOPPED";

/** The documents an S3 data source holds now, as `s3://bucket/key` URIs (called when an ingestion job completes). */
export type DocumentsOf = (
  bucketArn: string,
  inclusionPrefixes: string[] | undefined,
) => string[] | Promise<string[]>;

export interface IngestionStatistics {
  numberOfDocumentsScanned: number;
  numberOfMetadataDocumentsScanned: number;
  numberOfNewDocumentsIndexed: number;
  numberOfModifiedDocumentsIndexed: number;
  numberOfMetadataDocumentsModified: number;
  numberOfDocumentsDeleted: number;
  numberOfDocumentsFailed: number;
  numberOfDocumentsSkipped: number;
}

/** One ingestion job as the stand-in keeps it (what GetIngestionJob answers, plus the clientToken that started it). */
export interface IngestionJobRecord {
  knowledgeBaseId: string;
  dataSourceId: string;
  ingestionJobId: string;
  clientToken: string;
  description?: string;
  status: IngestionJobStatus;
  statistics: IngestionStatistics;
  failureReasons?: string[];
  startedAt: string;
  updatedAt: string;
}

interface StoredJob extends IngestionJobRecord {
  /** GetIngestionJob reads left in the current step. */
  readsLeft: number;
  /** Set while the job completes (documentsOf may be slow): every reader waits for the same completion. */
  completion?: Promise<void>;
}

export interface KnowledgeBasesOptions {
  knowledgeBases: KnowledgeBaseSeed[];
  ingestionReads: number;
  documentsOf?: DocumentsOf;
}

export interface KnowledgeBases {
  routes: AgentRoute[];
  ingestionJobs(): IngestionJobRecord[];
  indexedDocuments(knowledgeBaseId: string, dataSourceId: string): string[];
  /** Let every running job complete now, as if enough reads had happened. */
  completeIngestionJobs(): Promise<void>;
}

const JOB_MEMBERS = ["clientToken", "description"];
const RUNNING: readonly IngestionJobStatus[] = ["STARTING", "IN_PROGRESS", "STOPPING"];
const zeroStatistics = (): IngestionStatistics => ({
  numberOfDocumentsScanned: 0,
  numberOfMetadataDocumentsScanned: 0,
  numberOfNewDocumentsIndexed: 0,
  numberOfModifiedDocumentsIndexed: 0,
  numberOfMetadataDocumentsModified: 0,
  numberOfDocumentsDeleted: 0,
  numberOfDocumentsFailed: 0,
  numberOfDocumentsSkipped: 0,
});
const newJobId = () =>
  Array.from(randomBytes(10), (byte) => "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"[byte % 36]).join("");

export function knowledgeBases(options: KnowledgeBasesOptions): KnowledgeBases {
  const bases = new Map(options.knowledgeBases.map((seed) => [seed.knowledgeBaseId, structuredClone(seed)]));
  const jobs: StoredJob[] = [];

  type Found<T> = T | { error: StandinResponse };
  const baseOf = (params: Record<string, string>): Found<{ base: KnowledgeBaseSeed }> => {
    const base = bases.get(params.knowledgeBaseId ?? "");
    return base ? { base } : { error: notFound(`Knowledge base ${params.knowledgeBaseId} was not found.`) };
  };
  const sourceOf = (
    params: Record<string, string>,
  ): Found<{ base: KnowledgeBaseSeed; source: DataSourceSeed }> => {
    const found = baseOf(params);
    if ("error" in found) return found;
    const source = found.base.dataSources.find((each) => each.dataSourceId === params.dataSourceId);
    return source
      ? { base: found.base, source }
      : { error: notFound(`Data source ${params.dataSourceId} was not found.`) };
  };
  const jobView = (job: StoredJob) =>
    defined({
      knowledgeBaseId: job.knowledgeBaseId,
      dataSourceId: job.dataSourceId,
      ingestionJobId: job.ingestionJobId,
      description: job.description,
      status: job.status,
      statistics: { ...job.statistics },
      failureReasons: job.failureReasons ? [...job.failureReasons] : undefined,
      startedAt: job.startedAt,
      updatedAt: job.updatedAt,
    });
  const record = (job: StoredJob): IngestionJobRecord => {
    const { readsLeft: _reads, completion: _completion, ...rest } = job;
    return structuredClone(rest);
  };

  async function finish(job: StoredJob, source: DataSourceSeed): Promise<void> {
    const before = new Set(source.indexedDocuments ?? []);
    try {
      const { bucketArn, inclusionPrefixes } = source.s3Configuration;
      const documents = options.documentsOf
        ? [
            ...new Set(await options.documentsOf(bucketArn, inclusionPrefixes && [...inclusionPrefixes])),
          ].sort()
        : [...before];
      source.indexedDocuments = documents;
      job.statistics = {
        ...zeroStatistics(),
        numberOfDocumentsScanned: documents.length,
        numberOfNewDocumentsIndexed: documents.filter((uri) => !before.has(uri)).length,
        numberOfDocumentsDeleted: [...before].filter((uri) => !documents.includes(uri)).length,
      };
      job.status = "COMPLETE";
    } catch (error) {
      job.status = "FAILED";
      job.failureReasons = [error instanceof Error ? error.message : String(error)];
    }
    job.updatedAt = new Date().toISOString();
  }

  /** Move a running job one step on (STARTING → IN_PROGRESS → COMPLETE). */
  async function advance(job: StoredJob): Promise<void> {
    if (job.status === "STARTING") {
      Object.assign(job, { status: "IN_PROGRESS", readsLeft: options.ingestionReads });
      job.updatedAt = new Date().toISOString();
      return;
    }
    const source = bases
      .get(job.knowledgeBaseId)
      ?.dataSources.find((each) => each.dataSourceId === job.dataSourceId);
    if (!source) throw new Error(`data source ${job.dataSourceId} of job ${job.ingestionJobId} is gone`);
    job.completion ??= finish(job, source);
    await job.completion;
  }
  /** A GetIngestionJob read: the job moves on when its step's reads are used up. */
  async function read(job: StoredJob): Promise<void> {
    while (job.status === "STARTING" || job.status === "IN_PROGRESS") {
      if (job.readsLeft > 0) {
        job.readsLeft -= 1;
        return;
      }
      await advance(job);
    }
  }

  function ingestionProblem(body: Record<string, unknown>): string | undefined {
    const extra = unknownMembers("StartIngestionJob", body, JOB_MEMBERS);
    if (extra) return extra;
    const { clientToken, description } = body;
    if (clientToken !== undefined && (typeof clientToken !== "string" || !CLIENT_TOKEN.test(clientToken)))
      return constraint("clientToken", clientToken, "length 33 to 256, pattern [a-zA-Z0-9](-*[a-zA-Z0-9])*");
    if (description !== undefined && (typeof description !== "string" || !/^.{1,200}$/s.test(description)))
      return constraint("description", description, "length between 1 and 200");
    return undefined;
  }

  const listJobs = (knowledgeBaseId: string, dataSourceId: string) => (body: Record<string, unknown>) => {
    const { filters, sortBy } = body;
    let listed = jobs.filter(
      (job) => job.knowledgeBaseId === knowledgeBaseId && job.dataSourceId === dataSourceId,
    );
    if (filters !== undefined) {
      if (!Array.isArray(filters) || filters.length !== 1)
        return invalid("filters must hold exactly one filter");
      const [filter] = filters as unknown[];
      if (
        !isRecord(filter) ||
        filter.attribute !== "STATUS" ||
        filter.operator !== "EQ" ||
        !Array.isArray(filter.values)
      )
        return invalid("a filter must be {attribute: STATUS, operator: EQ, values: [...]}");
      const values = filter.values as unknown[];
      listed = listed.filter((job) => values.includes(job.status));
    }
    let attribute = "STARTED_AT";
    let order = "DESCENDING";
    if (sortBy !== undefined) {
      if (
        !isRecord(sortBy) ||
        !["STATUS", "STARTED_AT"].includes(String(sortBy.attribute)) ||
        !["ASCENDING", "DESCENDING"].includes(String(sortBy.order))
      )
        return invalid("sortBy must be {attribute: STATUS | STARTED_AT, order: ASCENDING | DESCENDING}");
      [attribute, order] = [String(sortBy.attribute), String(sortBy.order)];
    }
    const key = (job: StoredJob) => (attribute === "STATUS" ? job.status : job.startedAt);
    const sorted = listed
      .map((job, index) => ({ job, index }))
      .sort((a, b) => key(a.job).localeCompare(key(b.job)) || a.index - b.index)
      .map(({ job }) => job);
    if (order === "DESCENDING") sorted.reverse();
    return sorted.map((job) => {
      const { failureReasons: _reasons, ...summary } = jobView(job);
      return summary;
    });
  };

  const routes: AgentRoute[] = [
    {
      operation: "ListKnowledgeBases",
      method: "POST",
      path: "/knowledgebases/",
      handle(_params, request) {
        const summaries = [...bases.values()].map((base) =>
          defined({
            knowledgeBaseId: base.knowledgeBaseId,
            name: base.name,
            description: base.description,
            status: base.status ?? "ACTIVE",
            updatedAt: base.updatedAt,
          }),
        );
        const listed = listPage(request, "ListKnowledgeBases", summaries, "knowledgebases");
        if ("error" in listed) return listed.error;
        return {
          status: 200,
          body: defined({ knowledgeBaseSummaries: listed.page, nextToken: listed.nextToken }),
        };
      },
    },
    {
      operation: "ListDataSources",
      method: "POST",
      path: "/knowledgebases/:knowledgeBaseId/datasources/",
      handle(params, request) {
        const found = baseOf(params);
        if ("error" in found) return found.error;
        const summaries = found.base.dataSources.map((source) =>
          defined({
            knowledgeBaseId: found.base.knowledgeBaseId,
            dataSourceId: source.dataSourceId,
            name: source.name,
            status: source.status ?? "AVAILABLE",
            description: source.description,
            updatedAt: source.updatedAt,
          }),
        );
        const scope = `datasources:${found.base.knowledgeBaseId}`;
        const listed = listPage(request, "ListDataSources", summaries, scope);
        if ("error" in listed) return listed.error;
        return {
          status: 200,
          body: defined({ dataSourceSummaries: listed.page, nextToken: listed.nextToken }),
        };
      },
    },
    {
      operation: "GetDataSource",
      method: "GET",
      path: "/knowledgebases/:knowledgeBaseId/datasources/:dataSourceId",
      handle(params) {
        const found = sourceOf(params);
        if ("error" in found) return found.error;
        const { base, source } = found;
        const dataSource = defined({
          knowledgeBaseId: base.knowledgeBaseId,
          dataSourceId: source.dataSourceId,
          name: source.name,
          status: source.status ?? "AVAILABLE",
          description: source.description,
          dataSourceConfiguration: { type: "S3", s3Configuration: structuredClone(source.s3Configuration) },
          dataDeletionPolicy: source.dataDeletionPolicy,
          createdAt: source.createdAt,
          updatedAt: source.updatedAt,
        });
        return { status: 200, body: { dataSource } };
      },
    },
    {
      operation: "StartIngestionJob",
      method: "PUT",
      path: "/knowledgebases/:knowledgeBaseId/datasources/:dataSourceId/ingestionjobs/",
      handle(params, request) {
        const found = sourceOf(params);
        if ("error" in found) return found.error;
        const parsed = jsonBody(request);
        if ("error" in parsed) return parsed.error;
        const problem = ingestionProblem(parsed.body);
        if (problem) return invalid(problem);
        const { base, source } = found;
        const clientToken = (parsed.body.clientToken as string | undefined) ?? randomUUID();
        const description = parsed.body.description as string | undefined;
        const same = jobs.find((job) => job.clientToken === clientToken);
        if (same) {
          if (
            same.dataSourceId !== source.dataSourceId ||
            same.knowledgeBaseId !== base.knowledgeBaseId ||
            same.description !== description
          )
            return conflict(
              `The clientToken ${clientToken} was already used for another StartIngestionJob request.`,
            );
          return { status: 202, body: { ingestionJob: jobView(same) } };
        }
        if ((base.status ?? "ACTIVE") !== "ACTIVE" || (source.status ?? "AVAILABLE") !== "AVAILABLE")
          return conflict(
            `Knowledge base ${base.knowledgeBaseId} or its data source is not ready for ingestion.`,
          );
        const running = jobs.find(
          (job) =>
            job.dataSourceId === source.dataSourceId &&
            job.knowledgeBaseId === base.knowledgeBaseId &&
            RUNNING.includes(job.status),
        );
        if (running)
          return conflict(
            `Ingestion job ${running.ingestionJobId} is ${running.status} on data source ${source.dataSourceId}; wait for it to finish.`,
          );
        const at = new Date().toISOString();
        const job: StoredJob = {
          knowledgeBaseId: base.knowledgeBaseId,
          dataSourceId: source.dataSourceId,
          ingestionJobId: newJobId(),
          clientToken,
          ...(description !== undefined ? { description } : {}),
          status: "STARTING",
          statistics: zeroStatistics(),
          startedAt: at,
          updatedAt: at,
          readsLeft: options.ingestionReads,
        };
        jobs.push(job);
        return { status: 202, body: { ingestionJob: jobView(job) } };
      },
    },
    {
      operation: "GetIngestionJob",
      method: "GET",
      path: "/knowledgebases/:knowledgeBaseId/datasources/:dataSourceId/ingestionjobs/:ingestionJobId",
      async handle(params) {
        const found = sourceOf(params);
        if ("error" in found) return found.error;
        const job = jobs.find(
          (each) =>
            each.ingestionJobId === params.ingestionJobId &&
            each.dataSourceId === params.dataSourceId &&
            each.knowledgeBaseId === params.knowledgeBaseId,
        );
        if (!job) return notFound(`Ingestion job ${params.ingestionJobId} was not found.`);
        await read(job);
        return { status: 200, body: { ingestionJob: jobView(job) } };
      },
    },
    {
      operation: "ListIngestionJobs",
      method: "POST",
      path: "/knowledgebases/:knowledgeBaseId/datasources/:dataSourceId/ingestionjobs/",
      handle(params, request) {
        const found = sourceOf(params);
        if ("error" in found) return found.error;
        const { base, source } = found;
        const parsed = jsonBody(request);
        // A nextToken belongs to the list with the same filters and order.
        const query = "body" in parsed ? JSON.stringify([parsed.body.filters, parsed.body.sortBy]) : "";
        const listed = listPage(
          request,
          "ListIngestionJobs",
          listJobs(base.knowledgeBaseId, source.dataSourceId),
          `ingestionjobs:${base.knowledgeBaseId}:${source.dataSourceId}:${query}`,
          ["filters", "sortBy", "maxResults", "nextToken"],
        );
        if ("error" in listed) return listed.error;
        return {
          status: 200,
          body: defined({ ingestionJobSummaries: listed.page, nextToken: listed.nextToken }),
        };
      },
    },
  ];

  return {
    routes,
    ingestionJobs: () => jobs.map(record),
    indexedDocuments(knowledgeBaseId, dataSourceId) {
      const source = bases
        .get(knowledgeBaseId)
        ?.dataSources.find((each) => each.dataSourceId === dataSourceId);
      if (!source)
        throw new Error(`no data source ${knowledgeBaseId}/${dataSourceId} in the Bedrock Agent stand-in`);
      return [...(source.indexedDocuments ?? [])];
    },
    async completeIngestionJobs() {
      for (const job of jobs)
        while (job.status === "STARTING" || job.status === "IN_PROGRESS") await advance(job);
    },
  };
}
