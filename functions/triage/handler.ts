import { EventBridgeEnvelope } from "@aws-lambda-powertools/parser/envelopes/eventbridge";
import { SFNClient } from "@aws-sdk/client-sfn";
import { z } from "zod";
import { EnvNames, envSchemas, readEnv } from "../shared/env.js";
import { newId, systemClock } from "../shared/ids.js";
import { createLogger, createMetrics } from "../shared/powertools.js";
import { createDocumentClient, IncidentStore } from "../shared/store.js";
import { AlertReceivedDetail, triage } from "./core.js";
import { routeByType } from "./routing.js";
import { StepFunctionsStarter } from "./starter.js";

const env = readEnv({
  [EnvNames.tableName]: envSchemas.tableName,
  [EnvNames.playbookArns]: z
    .string()
    .transform((value) => z.record(z.string(), z.string().startsWith("arn:")).parse(JSON.parse(value))),
  [EnvNames.dedupWindowSeconds]: envSchemas.positiveInt.default(7 * 24 * 3600),
});
const logger = createLogger("triage");
const metrics = createMetrics("triage");
const deps = {
  store: new IncidentStore(createDocumentClient(), env[EnvNames.tableName], systemClock),
  starter: new StepFunctionsStarter(new SFNClient({}), env[EnvNames.playbookArns]),
  route: routeByType,
  clock: systemClock,
  newId,
  dedupWindowSeconds: env[EnvNames.dedupWindowSeconds],
};

/** Target of the bus rule for `quell.ingest` / `Alert Received`. A thrown error makes EventBridge retry. */
export const handler = async (event: unknown) => {
  const detail = EventBridgeEnvelope.parse(event, AlertReceivedDetail);
  logger.appendKeys({ alertId: detail.alertId, source: detail.source });
  try {
    const result = await triage(detail, deps);
    metrics.addMetric(result.outcome === "started" ? "PlaybookStarted" : "AlertNotStarted", "Count", 1);
    logger.info("triaged", { ...result });
    return result;
  } finally {
    metrics.publishStoredMetrics();
  }
};
