import { EnvNames, envSchemas, readEnv } from "../shared/env.js";
import { systemClock } from "../shared/ids.js";
import { createTools, instrumented } from "../shared/powertools.js";
import { slackMessagePoster } from "../shared/slack-client.js";
import { createDocumentClient, IncidentStore } from "../shared/store.js";
import { postShadowDigest } from "./core.js";

const env = readEnv({
  [EnvNames.tableName]: envSchemas.tableName,
  [EnvNames.slackChannel]: envSchemas.tableName,
});
const tools = createTools("shadow-digest");
const { logger, metrics } = tools;
const store = new IncidentStore(createDocumentClient(), env[EnvNames.tableName], systemClock);

/** Invoked once a day (an EventBridge schedule on AWS, a timer locally): posts the shadow playbooks' digest. */
export const handler = instrumented(tools, async () => {
  const result = await postShadowDigest({
    store,
    slack: await slackMessagePoster(),
    channel: env[EnvNames.slackChannel],
    clock: systemClock,
  });
  logger.info("shadow digest", result);
  metrics.addMetric("ShadowIncidentsDigested", "Count", result.incidents);
  return result;
});
