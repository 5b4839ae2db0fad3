import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { EnvNames, envSchemas, readEnv, type SecretName } from "../shared/env.js";
import { ConfigurationError, TransientError } from "../shared/errors.js";
import { jsonResponse, lowerCaseHeaders, rawBodyOf } from "../shared/function-url.js";
import { newId, systemClock } from "../shared/ids.js";
import { createLogger, createMetrics, errorAttributes, instrumented } from "../shared/powertools.js";
import { type Rejection, RejectionStore } from "../shared/rejections.js";
import { refreshSecret, resolveSecret } from "../shared/secrets.js";
import { createDocumentClient } from "../shared/store.js";
import { createTracer, traced, tracedHandler } from "../shared/tracing.js";
import type { Admission } from "../sources/github-allow.js";
import type { TriageConfig } from "../triage/config.js";
import { triageConfigSourceFrom } from "../triage/config-source.js";
import { admission, githubRefusingEverythingLine } from "./admission.js";
import { ALERT_RECEIVED, type AlertReceived, type IngestDeps, ingest, ingestEvents } from "./core.js";
import { refusingEverythingLine, routesRefusingEverything } from "./readiness.js";
import { RefusalCounter } from "./refusal-counter.js";
import { DynamoSeenDeliveries } from "./seen-deliveries.js";

const env = readEnv({
  [EnvNames.tableName]: envSchemas.tableName,
  [EnvNames.eventBusName]: envSchemas.tableName,
  [EnvNames.maxBodyBytes]: envSchemas.positiveInt.default(256 * 1024),
});
/** The largest body ingest accepts (the local server reads no more than this). */
export const maxBodyBytes = env[EnvNames.maxBodyBytes];
const logger = createLogger("ingest");
const refusing = routesRefusingEverything();
if (refusing.length > 0) {
  logger.warn(refusingEverythingLine(refusing) ?? "", {
    routes: refusing.map(({ route, secretName }) => ({ route, secretName })),
  });
}
// The same configuration triage reads (its allow-lists decide who may post), from the same place, kept as fresh.
const configSource = triageConfigSourceFrom(process.env, { log: logger });
let admit: ((source: string, payload: unknown) => Admission) | undefined;
let admitting: TriageConfig | undefined;

/** Before a GitHub delivery: the allow-list in force (said once per version when it refuses everything). */
async function refreshAdmission(): Promise<void> {
  let config: TriageConfig;
  try {
    config = await configSource.get();
  } catch (error) {
    // No good version was ever read: GitHub deliveries are refused (fail closed) and kept with this reason.
    logger.error("no triage configuration to read the GitHub allow-list from", {
      error: errorAttributes(error),
    });
    return;
  }
  if (config === admitting) return;
  admitting = config;
  admit = admission(config);
  const githubRefusing = githubRefusingEverythingLine(config);
  if (githubRefusing) logger.warn(githubRefusing, { route: "POST /alerts/github", setting: "github.allow" });
}
const ADMITTED: Admission = { allowed: true };
const UNREADABLE: Admission = {
  allowed: false,
  message:
    "the GitHub allow-list (triage configuration) could not be read; the delivery is kept, not triaged",
};
const metrics = createMetrics("ingest");
// X-Ray: ingest is the hot path, so its calls to the table and the bus are subsegments of each trace.
const tracer = createTracer("ingest");
const db = traced(tracer, createDocumentClient());
// Ingest keeps only refused requests in the table (the rest goes on the bus): the rejections' store, not all of
// IncidentStore, whose incidents, approvals and action runs would weigh on the bundle of the hot path for nothing.
const rejections = new RejectionStore(db, env[EnvNames.tableName], systemClock);
// Unauthenticated refusals are counted per source, reason and minute: a flood costs at most one write a second.
const refusals = new RefusalCounter(
  (tally) => rejections.count(tally),
  systemClock,
  (error) => logger.error("could not write a tally of refused requests", { error: errorAttributes(error) }),
);
const events = traced(tracer, new EventBridgeClient({}));

async function publish(event: AlertReceived): Promise<void> {
  const result = await events.send(
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: env[EnvNames.eventBusName],
          Source: ALERT_RECEIVED.source,
          DetailType: ALERT_RECEIVED.detailType,
          Detail: JSON.stringify(event),
        },
      ],
    }),
  );
  if (result.FailedEntryCount) {
    throw new TransientError(
      `the event bus refused the alert: ${result.Entries?.[0]?.ErrorCode ?? "unknown"}`,
    );
  }
}

const ALERTS_PATH = /^\/alerts\/([^/]{1,64})\/?$/;
const EVENTS_PATH = /^\/events\/?$/;

/**
 * Count an unauthenticated refusal in ingest's per-minute tally. Exported for the local server, whose own early
 * refusals of ingest routes (method, size, type, before ingest runs) join the same tally.
 */
export const countRefusal = (refusal: Rejection): Promise<void> => refusals.count(refusal);

const deps: IngestDeps = {
  // A parameter not set yet: its routes refuse with 401 not_configured, and the log says how to set it.
  secret: (name: SecretName) =>
    resolveSecret(name).catch((error: unknown) => {
      if (!(error instanceof ConfigurationError)) throw error;
      logger.warn(error.message);
      return undefined;
    }),
  refreshSecret: (name: SecretName, rejected: string) => refreshSecret(name, rejected),
  publish,
  recordRejection: (rejection: Rejection) => rejections.record(rejection),
  countRefusal,
  admit: (source, payload) => admit?.(source, payload) ?? (source === "github" ? UNREADABLE : ADMITTED),
  deliveries: new DynamoSeenDeliveries(db, env[EnvNames.tableName], systemClock),
  clock: systemClock,
  newId,
  maxBodyBytes: env[EnvNames.maxBodyBytes],
};

/** `POST /alerts/{source}` (webhooks) and `POST /events` (EventBridge envelopes over HTTPS). */
export const handler = instrumented(
  { logger, metrics },
  tracedHandler(tracer, async (event: APIGatewayProxyEventV2) => {
    const path = event.rawPath ?? "";
    const source = ALERTS_PATH.exec(path)?.[1] ?? (EVENTS_PATH.test(path) ? "events" : undefined);
    if (!source) {
      return jsonResponse(404, {
        error: { code: "not_found", message: "POST /alerts/{source} or POST /events" },
      });
    }
    if (source === "github") await refreshAdmission();
    const request = {
      method: event.requestContext.http.method,
      source,
      headers: lowerCaseHeaders(event),
      rawBody: rawBodyOf(event),
    };
    try {
      const response =
        source === "events" && EVENTS_PATH.test(path)
          ? await ingestEvents(request, deps)
          : await ingest(request, deps);
      metrics.addMetric(response.status < 300 ? "AlertAccepted" : "AlertRejected", "Count", 1);
      if (response.status >= 400) logger.info("alert rejected", { source, status: response.status });
      return jsonResponse(response.status, response.body);
    } catch (error) {
      // The sender must retry: nothing was put on the bus, so answering 2xx would lose the alert.
      logger.error("ingest failed", { source, error: errorAttributes(error) });
      return jsonResponse(503, {
        error: { code: "unavailable", message: "could not accept the alert now; retry" },
      });
    }
  }),
);
