import { WebClient } from "@slack/web-api";
import { EnvNames, SecretNames } from "./env.js";
import { requireSecret } from "./secrets.js";

/** Slack's Web API, or the URL in SLACK_API_URL (a local stand-in or a proxy). */
export const slackApiUrl = (env: NodeJS.ProcessEnv = process.env): string | undefined =>
  env[EnvNames.slackApiUrl];

let client: Promise<WebClient> | undefined;

/** One WebClient per cold start, with the bot token resolved by reference. */
export function slackWebClient(env: NodeJS.ProcessEnv = process.env): Promise<WebClient> {
  client ??= requireSecret(SecretNames.slackBotToken, env).then((token) => {
    const url = slackApiUrl(env);
    return new WebClient(token, { ...(url ? { slackApiUrl: url } : {}), retryConfig: { retries: 2 } });
  });
  return client;
}
