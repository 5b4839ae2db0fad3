import * as z from "zod";
import { defineAction } from "../contract.js";
import { IngestingSource, latestIngestion, readKnowledgeBasesIam } from "../knowledge-base-documents.js";

const SETTLED = ["waiting", "complete", "failed", "timed_out"] as const;

/** A job started this long before `since` still counts (clocks of Quell and Bedrock differ a little). */
const CLOCK_SKEW_MS = 60_000;

/**
 * Where the ingestion jobs Quell started on some knowledge base data sources stand (read-only), polled by a
 * playbook's wait loop until the knowledge base has dropped (or taken back) a document: each data source's latest
 * job, which must have started since `since` (the quarantine's `requestedAt`). `complete` once every one ended
 * COMPLETE, `failed` when one failed or stopped, `timed_out` past `maxWaitSeconds`, else `waiting`.
 */
export const ingestionStatus = defineAction({
  name: "bedrock-kb.ingestion-status",
  description:
    "Read the latest ingestion job of Amazon Bedrock knowledge base data sources (bedrock:ListIngestionJobs; read-only).",
  input: z.object({
    dataSources: z.array(IngestingSource).min(1).max(5),
    since: z.iso.datetime(),
    maxWaitSeconds: z.number().int().min(60).max(21_600),
  }),
  output: z.object({
    settled: z.enum(SETTLED),
    statuses: z.string(),
    documentsDeleted: z.number(),
  }),
  secrets: [],
  iam: readKnowledgeBasesIam,
  reversible: false,
  blastRadius: { maxWrites: 0, low: true },
  timeoutSeconds: 30,
  async plan({ dataSources, since, maxWaitSeconds }, context) {
    const from = Date.parse(since) - CLOCK_SKEW_MS;
    const jobs = (await Promise.all(dataSources.map((source) => latestIngestion(context, source)))).map(
      (job) => (job?.startedAt && job.startedAt.getTime() >= from ? job : undefined),
    );
    const statuses = jobs.map((job) => job?.status ?? "not started");
    const timedOut = (Date.now() - Date.parse(since)) / 1000 > maxWaitSeconds;
    const settled: (typeof SETTLED)[number] = statuses.some(
      (status) => status === "FAILED" || status === "STOPPED",
    )
      ? "failed"
      : statuses.every((status) => status === "COMPLETE")
        ? "complete"
        : timedOut
          ? "timed_out"
          : "waiting";
    return {
      output: {
        settled,
        statuses: dataSources
          .map((source, index) => `${source.knowledgeBaseName}/${source.dataSourceName}: ${statuses[index]}`)
          .join(", "),
        documentsDeleted: jobs.reduce(
          (sum, job) => sum + (job?.statistics?.numberOfDocumentsDeleted ?? 0),
          0,
        ),
      },
      writes: [],
    };
  },
});
