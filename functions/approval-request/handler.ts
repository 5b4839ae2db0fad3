import { SFNClient } from "@aws-sdk/client-sfn";
import { containmentBudgetFrom } from "../shared/containment-budget.js";
import { EnvNames, envSchemas, readEnv } from "../shared/env.js";
import { systemClock } from "../shared/ids.js";
import { createTools, instrumented } from "../shared/powertools.js";
import { slackMessagePoster } from "../shared/slack-client.js";
import { createDocumentClient, IncidentStore } from "../shared/store.js";
import { stepFunctionsTaskSettler } from "../shared/task-settler.js";
import { AutoApprovalEvent, approveByPolicy } from "./auto.js";
import { ApprovalRequestEvent, requestApproval } from "./core.js";
import { escalateApproval, extendApproval, type ThreadedSlackPoster } from "./escalation.js";
import { ApprovalModes, EscalateEvent, ExtendEvent } from "./events.js";

const env = readEnv({
  [EnvNames.tableName]: envSchemas.tableName,
  [EnvNames.slackChannel]: envSchemas.tableName,
  [EnvNames.approvers]: envSchemas.approvers,
  [EnvNames.dryRun]: envSchemas.dryRun,
});
const tools = createTools("approval-request");
const { logger, metrics } = tools;
const store = new IncidentStore(createDocumentClient(), env[EnvNames.tableName], systemClock);

const tasks = stepFunctionsTaskSettler(new SFNClient({}));

const slackPoster: () => Promise<ThreadedSlackPoster> = slackMessagePoster;

/**
 * Invoked by a `.waitForTaskToken` approval step (store the token, post the card, return) and, for an
 * escalating approval, by its escalation task and its escalated wait (see events.ts).
 */
export const handler = instrumented(tools, async (event: unknown) => {
  const mode = (event as { mode?: unknown } | null)?.mode;
  if (mode === ApprovalModes.escalate) {
    const request = EscalateEvent.parse(event);
    logger.info("approval escalating", { incidentId: request.incidentId, step: request.step });
    metrics.addMetric("ApprovalEscalated", "Count", 1);
    return escalateApproval(request, {
      store,
      slack: await slackPoster(),
      tasks,
      channel: env[EnvNames.slackChannel],
    });
  }
  if (mode === ApprovalModes.extend) {
    const request = ExtendEvent.parse(event);
    logger.info("approval extended", { incidentId: request.incidentId, step: request.step });
    metrics.addMetric("ApprovalExtended", "Count", 1);
    return extendApproval(request, { store, tasks });
  }
  if (mode === ApprovalModes.auto) {
    const request = AutoApprovalEvent.parse(event);
    logger.info("approved by policy", { incidentId: request.incidentId, step: request.step });
    metrics.addMetric("ApprovedByPolicy", "Count", 1);
    return approveByPolicy(request, await cardDeps());
  }
  const request = ApprovalRequestEvent.parse(event);
  logger.info("approval requested", { incidentId: request.incidentId, step: request.step });
  metrics.addMetric("ApprovalRequested", "Count", 1);
  return requestApproval(request, {
    ...(await cardDeps()),
    tasks,
    defaultApprovers: env[EnvNames.approvers],
    containmentsPerHour: containmentBudgetFrom(process.env),
  });
});

/** What posting an approval card needs, whichever the policy. */
const cardDeps = async () => ({
  store,
  playbookDocsUrl: process.env[EnvNames.playbookDocsUrl],
  slack: await slackPoster(),
  channel: env[EnvNames.slackChannel],
  dryRun: env[EnvNames.dryRun],
  clock: systemClock,
});
