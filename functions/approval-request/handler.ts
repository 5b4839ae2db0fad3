import { EnvNames, envSchemas, readEnv } from "../shared/env.js";
import { systemClock } from "../shared/ids.js";
import { createLogger } from "../shared/powertools.js";
import { slackWebClient } from "../shared/slack-client.js";
import { createDocumentClient, IncidentStore } from "../shared/store.js";
import { ApprovalRequestEvent, requestApproval } from "./core.js";

const env = readEnv({
  [EnvNames.tableName]: envSchemas.tableName,
  [EnvNames.slackChannel]: envSchemas.tableName,
  [EnvNames.approvers]: envSchemas.approvers,
  [EnvNames.dryRun]: envSchemas.dryRun,
});
const logger = createLogger("approval-request");
const store = new IncidentStore(createDocumentClient(), env[EnvNames.tableName], systemClock);

/** Invoked by a `.waitForTaskToken` approval step: store the token, post the card, return. */
export const handler = async (event: unknown) => {
  const request = ApprovalRequestEvent.parse(event);
  logger.info("approval requested", { incidentId: request.incidentId, step: request.step });
  const slack = await slackWebClient();
  return requestApproval(request, {
    store,
    slack: {
      async postMessage(message) {
        const posted = await slack.chat.postMessage({ ...message, unfurl_links: false, unfurl_media: false });
        if (!posted.channel || !posted.ts)
          throw new Error("Slack did not return the posted message's channel and ts");
        return { channel: posted.channel, ts: posted.ts };
      },
    },
    channel: env[EnvNames.slackChannel],
    defaultApprovers: env[EnvNames.approvers],
    dryRun: env[EnvNames.dryRun],
    clock: systemClock,
  });
};
