import { SFNClient } from "@aws-sdk/client-sfn";
import { AwsLambdaReceiver } from "@slack/bolt";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { EnvNames, envSchemas, readEnv, SecretNames } from "../shared/env.js";
import { jsonResponse, lowerCaseHeaders, rawBodyOf } from "../shared/function-url.js";
import { newId, systemClock } from "../shared/ids.js";
import { StepFunctionsStarter } from "../shared/machine-starter.js";
import { createTools, errorAttributes, instrumented } from "../shared/powertools.js";
import { createEventPublisher } from "../shared/quell-events.js";
import { requireSecret, withSecret } from "../shared/secrets.js";
import { verifyTimestampedSignature } from "../shared/signatures.js";
import { BotTokenClient, slackApiUrl } from "../shared/slack-client.js";
import { createDocumentClient, IncidentStore } from "../shared/store.js";
import { stepFunctionsTaskSettler } from "../shared/task-settler.js";
import { UNDO_MACHINE } from "../shared/undo-machine.js";
import { createSlackApp, type SlackAppOptions } from "./app.js";
import { createApproverDirectory } from "./approvers.js";
import { slackBodyProblem } from "./request-body.js";

const env = readEnv({
  [EnvNames.tableName]: envSchemas.tableName,
  [EnvNames.approvers]: envSchemas.approvers,
  [EnvNames.eventBusName]: envSchemas.tableName,
  [EnvNames.playbookArns]: envSchemas.machineArns,
});
const tools = createTools("slack");
const { logger, metrics } = tools;
const sfn = new SFNClient({});
const tasks = stepFunctionsTaskSettler(sfn);
const events = createEventPublisher(env[EnvNames.eventBusName]);

// The handler below verifies every request against the signing secret as read now (short TTL, re-read once when
// a signature fails), before Bolt sees it; Bolt's own check would hold the value read at cold start.
const receiver = new AwsLambdaReceiver({ signingSecret: "", signatureVerification: false });
const store = new IncidentStore(createDocumentClient(), env[EnvNames.tableName], systemClock);
const url = slackApiUrl();
const groups = new BotTokenClient(process.env, {
  ...(url ? { slackApiUrl: url } : {}),
  retryConfig: { retries: 1 },
});
const approvers = createApproverDirectory({
  async listGroup(usergroup) {
    return (await groups.usergroups.users.list({ usergroup })).users ?? [];
  },
});
/**
 * Everything the Bolt app needs except its receiver: one set of listeners' dependencies (store, task settler,
 * approver cache). Locally, Socket Mode (infra/local/slack-socket.ts) serves a second app built from these same
 * options, so a click over the socket decides exactly as one over HTTP.
 */
export const slackAppOptions: Omit<SlackAppOptions, "receiver"> = {
  token: () => requireSecret(SecretNames.slackBotToken),
  onError: (error) => logger.error("decision not delivered", { error: errorAttributes(error) }),
  ...(url ? { slackApiUrl: url } : {}),
  decisions: {
    store,
    tasks,
    events,
    clock: systemClock,
    isAuthorised: (userId, approval) =>
      approvers.includes(
        approval.approvers.length > 0 ? approval.approvers : env[EnvNames.approvers],
        userId,
      ),
  },
  commands: {
    store,
    isResponder: (userId) => approvers.includes(env[EnvNames.approvers], userId),
    machines: new StepFunctionsStarter(sfn, env[EnvNames.playbookArns]),
    playbooks: Object.keys(env[EnvNames.playbookArns]).filter((name) => name !== UNDO_MACHINE),
    events,
    clock: systemClock,
    newId,
  },
};
createSlackApp({ receiver, ...slackAppOptions });
const boltHandler = receiver.toHandler();

/**
 * Slack interactivity. The signature and a 5-minute window both ways are checked here over the raw body,
 * in constant time, before Bolt sees the request (Bolt alone accepts future-dated timestamps); then the body
 * must be what Slack sends (request-body.ts), so a signed but malformed request gets a 400, never a 500.
 */
export const handler = instrumented(tools, async (event: APIGatewayProxyEventV2, context: unknown) => {
  const headers = lowerCaseHeaders(event);
  const verdict = await withSecret(
    SecretNames.slackSigningSecret,
    (secret) =>
      verifyTimestampedSignature({
        scheme: "slack",
        rawBody: rawBodyOf(event),
        timestamp: headers["x-slack-request-timestamp"],
        signature: headers["x-slack-signature"],
        secret,
        now: systemClock(),
      }),
    { rejected: (result) => !result.ok && result.code === "bad_signature" },
  );
  if (!verdict.ok) {
    logger.warn("slack request refused", { code: verdict.code });
    metrics.addMetric("SlackRequestRefused", "Count", 1);
    return jsonResponse(401, { error: { code: verdict.code, message: verdict.message } });
  }
  const contentType = headers["content-type"]?.split(";")[0]?.trim().toLowerCase();
  const problem = slackBodyProblem(Buffer.from(rawBodyOf(event)).toString("utf8"), contentType);
  if (problem) {
    logger.warn("slack request refused", { code: problem.code });
    metrics.addMetric("SlackRequestRefused", "Count", 1);
    return jsonResponse(problem.status, { error: { code: problem.code, message: problem.message } });
  }
  const normalized = { ...event, headers: { ...headers, "content-type": contentType ?? "" } };
  metrics.addMetric("SlackRequestAccepted", "Count", 1);
  return boltHandler(normalized as never, context as never);
});
