import { SFNClient } from "@aws-sdk/client-sfn";
import * as z from "zod";
import { ALERT_RECEIVED } from "../ingest/alert-received.js";
import { EnvNames, envSchemas, readEnv } from "../shared/env.js";
import { eventBridgeDetailParser } from "../shared/eventbridge-detail.js";
import { newId, systemClock } from "../shared/ids.js";
import { StepFunctionsStarter } from "../shared/machine-starter.js";
import { createLogger, createMetrics, errorAttributes, instrumented } from "../shared/powertools.js";
import { createDocumentClient, IncidentStore } from "../shared/store.js";
import { ClaimMemory } from "./claim-memory.js";
import { AlertReceivedDetail, type TriageDeps, triage } from "./core.js";
import { Inventory } from "./enrich.js";
import { triageConfigFor } from "./load-config.js";
import { TriageStore } from "./triage-store.js";

const env = readEnv({
  [EnvNames.tableName]: envSchemas.tableName,
  [EnvNames.playbookArns]: envSchemas.machineArns,
  [EnvNames.dedupWindowSeconds]: envSchemas.positiveInt.default(7 * 24 * 3600),
});
const logger = createLogger("triage");
const parseAlertReceived = eventBridgeDetailParser(AlertReceivedDetail);
const metrics = createMetrics("triage");
const db = createDocumentClient();
// AppConfig on AWS, the team file locally: looked at again once per max age, a bad version refused (fail safe).
const configSource = triageConfigFor(process.env, logger);
const base = {
  store: new IncidentStore(db, env[EnvNames.tableName], systemClock),
  triageStore: new TriageStore(db, env[EnvNames.tableName], systemClock),
  starter: new StepFunctionsStarter(new SFNClient({}), env[EnvNames.playbookArns]),
  clock: systemClock,
  newId,
  dedupWindowSeconds: env[EnvNames.dedupWindowSeconds],
  // Lives as long as the warm function: a storm's duplicates are counted without reading their claim.
  claimMemory: new ClaimMemory({ maxEntries: 10_000, maxAgeSeconds: 60 }),
};
let deps: TriageDeps | undefined;

/** The dependencies with the configuration in force; the inventory index is rebuilt only when it changed. */
async function currentDeps(): Promise<TriageDeps> {
  const config = await configSource.get();
  if (deps?.config !== config) deps = { ...base, config, inventory: new Inventory(config.inventory) };
  return deps;
}

const AwsEvent = z.object({
  id: z.string().min(1).max(64),
  source: z.string().min(1),
  "detail-type": z.string(),
});

/**
 * What a delivery to triage carries: Quell's own `Alert Received` (from ingest), or an AWS source's event
 * delivered as is by a rule on the default bus, whose EventBridge id identifies it across redeliveries.
 */
export function toAlertReceived(event: unknown, receivedAt: Date): AlertReceivedDetail {
  const envelope = AwsEvent.parse(event);
  if (envelope.source === ALERT_RECEIVED.source) return parseAlertReceived(event);
  return {
    alertId: `evt_${envelope.id}`.slice(0, 64),
    source: envelope.source,
    receivedAt: receivedAt.toISOString(),
    deliveryId: envelope.id,
    payload: event,
  };
}

/** Target of the bus rules (Quell's `Alert Received`, AWS sources). A thrown error makes EventBridge retry. */
export const handler = instrumented({ logger, metrics }, async (event: unknown) => {
  const detail = toAlertReceived(event, systemClock());
  logger.appendKeys({ alertId: detail.alertId, source: detail.source });
  try {
    const results = await triage(detail, await currentDeps());
    for (const result of results) {
      metrics.addMetric(result.outcome === "started" ? "PlaybookStarted" : "AlertNotStarted", "Count", 1);
      logger.info("triaged", { ...result });
    }
    return results;
  } catch (error) {
    // Said here, with the alert, because the bus only retries: an alert that keeps failing must be findable.
    metrics.addMetric("TriageFailed", "Count", 1);
    logger.error("triage failed; the bus retries the delivery", {
      alertId: detail.alertId,
      source: detail.source,
      error: errorAttributes(error),
    });
    throw error;
  }
});
