import { EnvNames, envSchemas, readEnv } from "../shared/env.js";
import { eventBridgeDetailParser } from "../shared/eventbridge-detail.js";
import { systemClock } from "../shared/ids.js";
import { createTools, instrumented } from "../shared/powertools.js";
import { IncidentTimelineEvent } from "../shared/quell-events.js";
import { slackWebClient } from "../shared/slack-client.js";
import { createDocumentClient, IncidentStore } from "../shared/store.js";
import { notify } from "./core.js";

const env = readEnv({
  [EnvNames.tableName]: envSchemas.tableName,
  [EnvNames.slackChannel]: envSchemas.tableName,
});
const tools = createTools("notifier");
const { logger, metrics } = tools;
const parseTimelineEvent = eventBridgeDetailParser(IncidentTimelineEvent);
const store = new IncidentStore(createDocumentClient(), env[EnvNames.tableName], systemClock);

/** Target of the bus rule for Quell's own incident events. A thrown error makes EventBridge retry. */
export const handler = instrumented(tools, async (event: unknown) => {
  const detail = parseTimelineEvent(event);
  const slack = await slackWebClient();
  logger.info("notifying", { incidentId: detail.incidentId, kind: detail.kind });
  await notify(detail, {
    store,
    channel: env[EnvNames.slackChannel],
    cards: {
      async update(channel, ts, card) {
        await slack.chat.update({ channel, ts, text: card.text, blocks: card.blocks as never });
      },
    },
    threads: {
      async post(message) {
        const posted = await slack.chat.postMessage({
          channel: message.channel,
          text: message.text,
          ...(message.threadTs ? { thread_ts: message.threadTs } : {}),
          unfurl_links: false,
          unfurl_media: false,
        });
        if (!posted.channel || !posted.ts)
          throw new Error("Slack did not return the posted message's channel and ts");
        return { channel: posted.channel, ts: posted.ts };
      },
    },
  });
  metrics.addMetric("TimelineEventHandled", "Count", 1);
});
