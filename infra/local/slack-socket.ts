import { LogLevel, SocketModeReceiver } from "@slack/bolt";
import { createSlackApp, type SlackAppOptions } from "../../functions/slack/app.js";

/** Name of the app-level token that switches the local runtime's Slack interactivity to Socket Mode. */
export const SLACK_APP_TOKEN = "SLACK_APP_TOKEN";

/**
 * The app-level token from `env`, or undefined when Socket Mode is not asked for. A bot token (`xoxb-`) or a
 * signing secret pasted by mistake is refused at start-up, before anything starts.
 */
export function slackAppTokenFrom(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const token = env[SLACK_APP_TOKEN]?.trim();
  if (!token) return undefined;
  if (!token.startsWith("xapp-")) {
    throw new Error(
      `${SLACK_APP_TOKEN} must be an app-level token (xapp-…) with the connections:write scope, from your ` +
        "Slack app's Basic Information → App-Level Tokens; the bot token (xoxb-…) goes in SLACK_BOT_TOKEN",
    );
  }
  return token;
}

const CONNECT_TIMEOUT_MS = 30_000;

export interface SlackSocket {
  /** Disconnects the socket (a clean close handshake) and stops reconnecting. */
  stop(): Promise<void>;
}

/**
 * Serves the one Bolt app definition over Socket Mode: the same listeners and the same decision and command
 * dependencies as the HTTP `/slack/events` route (`slackAppOptions` from functions/slack/handler.ts), only the
 * receiver differs. Resolves once Slack (or the stand-in) said hello on the socket.
 *
 * There is no Slack request signature over Socket Mode and none is checked: Slack authenticates the socket
 * itself (the URL from `apps.connections.open`, called with the app-level token, is single-use and
 * short-lived), so what arrives on it comes from Slack. The HTTP route keeps its signature check.
 */
export async function startSlackSocket(
  options: Omit<SlackAppOptions, "receiver"> & { readonly appToken: string },
): Promise<SlackSocket> {
  const { appToken, ...appOptions } = options;
  const receiver = new SocketModeReceiver({
    appToken,
    logLevel: LogLevel.WARN,
    // Bolt hands these to the Socket Mode client's WebClient, which calls apps.connections.open.
    installerOptions: {
      clientOptions: options.slackApiUrl ? { slackApiUrl: options.slackApiUrl } : {},
    },
  });
  const app = createSlackApp({ ...appOptions, receiver });
  let timer: NodeJS.Timeout | undefined;
  try {
    // The client retries an unreachable Slack and reconnects a socket that never says hello: bound the wait.
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`not connected within ${CONNECT_TIMEOUT_MS / 1000} s`)),
        CONNECT_TIMEOUT_MS,
      );
    });
    const started = app.start();
    started.catch(() => {}); // after a timeout, disconnect() below settles it too
    await Promise.race([started, timeout]);
  } catch (error) {
    await receiver.client.disconnect();
    const reason = (error as { data?: { error?: string } }).data?.error ?? (error as Error).message;
    throw new Error(
      `Slack Socket Mode could not connect (${reason}): check ${SLACK_APP_TOKEN}, that Socket Mode is enabled ` +
        "in the app's settings, and that Slack is reachable",
    );
  } finally {
    clearTimeout(timer);
  }
  return {
    async stop() {
      // App.stop() does not wait for the close handshake; the client's disconnect() does.
      await receiver.client.disconnect();
    },
  };
}
