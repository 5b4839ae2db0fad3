import { S3Client } from "@aws-sdk/client-s3";
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from "aws-lambda";
import { EnvNames, envSchemas, readEnv } from "../shared/env.js";
import { createTools, errorAttributes, instrumented } from "../shared/powertools.js";
import { exportHeads, type HeadRecord } from "./core.js";
import { headWriter } from "./s3-heads.js";

const env = readEnv({ [EnvNames.auditBucket]: envSchemas.bucketName });
const bucket = env[EnvNames.auditBucket];
const tools = createTools("audit-export");
const { logger, metrics } = tools;
const putHead = headWriter(new S3Client({}), bucket);

/** Invoked by the incident table's stream (chain heads only); the records of incidents not exported come again. */
export const handler = instrumented(
  tools,
  async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
    const outcome = await exportHeads(event.Records as HeadRecord[], putHead);
    metrics.addMetric("AuditHeadsExported", "Count", outcome.exported);
    for (const { incidentId, error } of outcome.errors) {
      metrics.addMetric("AuditHeadExportFailed", "Count", 1);
      logger.error("audit head not exported", { incidentId, bucket, error: errorAttributes(error) });
    }
    return { batchItemFailures: outcome.failed.map((itemIdentifier) => ({ itemIdentifier })) };
  },
);
