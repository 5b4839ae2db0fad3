import { WebClient, type WebClientOptions } from "@slack/web-api";
import { EnvNames, SecretNames } from "./env.js";
import { TransientError } from "./errors.js";
import { withSecret } from "./secrets.js";

/** Slack's Web API, or the URL in SLACK_API_URL (a local stand-in or a proxy). */
export const slackApiUrl = (env: NodeJS.ProcessEnv = process.env): string | undefined =>
  env[EnvNames.slackApiUrl];

/**
 * A WebClient that holds no token: each call is sent with the bot token as read now (cached for the secret
 * TTL), and a call Slack refuses as unauthenticated (`invalid_auth`, `token_revoked`, ...) is sent once more
 * when a fresh read finds the token was rotated.
 */
export class BotTokenClient extends WebClient {
  constructor(
    private readonly env: NodeJS.ProcessEnv,
    options: WebClientOptions,
  ) {
    super(undefined, options);
  }

  override apiCall(method: string, options: Record<string, unknown> = {}) {
    if (options.token) return super.apiCall(method, options);
    return withSecret(SecretNames.slackBotToken, (token) => super.apiCall(method, { ...options, token }), {
      env: this.env,
    });
  }
}

let client: WebClient | undefined;

/** One WebClient per cold start; the bot token is resolved by reference on every call (see BotTokenClient). */
export function slackWebClient(env: NodeJS.ProcessEnv = process.env): Promise<WebClient> {
  const url = slackApiUrl(env);
  client ??= new BotTokenClient(env, { ...(url ? { slackApiUrl: url } : {}), retryConfig: { retries: 2 } });
  return Promise.resolve(client);
}

/** Slack's own words for "not now": a call that failed with one of these may succeed if made again. */
const TRANSIENT_PLATFORM_ERRORS = new Set([
  "internal_error",
  "fatal_error",
  "service_unavailable",
  "request_timeout",
  "ratelimited",
]);

/**
 * A failed Web API call as Step Functions should see it: a TransientError (retried by the playbook) when Slack
 * was unreachable, answered 5xx or 429, or answered `ok: false` with one of its transient errors; else unchanged.
 */
export function slackCallFailure(error: unknown): unknown {
  const { code, data, statusCode } = (error ?? {}) as {
    code?: unknown;
    data?: { error?: unknown };
    statusCode?: unknown;
  };
  const transient =
    code === "slack_webapi_request_error" ||
    code === "slack_webapi_rate_limited_error" ||
    (code === "slack_webapi_http_error" && typeof statusCode === "number" && statusCode >= 500) ||
    (code === "slack_webapi_platform_error" && TRANSIENT_PLATFORM_ERRORS.has(String(data?.error)));
  if (!transient) return error;
  const status = typeof statusCode === "number" ? statusCode : undefined;
  return new TransientError(`Slack: ${(error as Error).message}`, {
    cause: error,
    ...(status ? { status } : {}),
  });
}

/** Posts a message (in a thread when `thread_ts` is given) and answers where it went. */
export interface SlackMessagePoster {
  postMessage(message: {
    channel: string;
    text: string;
    blocks: unknown[];
    thread_ts?: string;
  }): Promise<{ channel: string; ts: string }>;
}

/** chat.postMessage without link unfurls, a failure as Step Functions should see it (slackCallFailure). */
export async function slackMessagePoster(): Promise<SlackMessagePoster> {
  const slack = await slackWebClient();
  return {
    async postMessage(message) {
      const posted = await slack.chat
        .postMessage({ ...message, unfurl_links: false, unfurl_media: false })
        .catch((error: unknown) => {
          throw slackCallFailure(error);
        });
      if (!posted.channel || !posted.ts)
        throw new Error("Slack did not return the posted message's channel and ts");
      return { channel: posted.channel, ts: posted.ts };
    },
  };
}
