import { App, type BlockButtonAction, type Receiver } from "@slack/bolt";
import { escapeMrkdwn } from "../shared/mrkdwn.js";
import { type DecisionDeps, type DecisionOutcome, decide } from "./decide.js";
import { SlackActionIds } from "./ids.js";

export interface SlackAppOptions {
  readonly receiver: Receiver;
  readonly token: string;
  readonly slackApiUrl?: string;
  readonly decisions: DecisionDeps;
  /** Told about decisions that could not be delivered (logged by the handler). */
  readonly onError?: (error: unknown) => void;
}

const NOT_DELIVERED =
  "Quell could not deliver your decision; the approval is pending again. Please click again.";
const NOT_AUTHORISED =
  "You are not authorised to decide this approval. It stays pending; your attempt was recorded.";

/**
 * The one Bolt app definition. It is served by AwsLambdaReceiver on Lambda and, locally, by the same
 * receiver behind the local HTTP server. A listener does only fast work: ack, one conditional write,
 * SendTaskSuccess/Failure and the card update.
 */
export function createSlackApp(options: SlackAppOptions): App {
  const app = new App({
    token: options.token,
    receiver: options.receiver,
    tokenVerificationEnabled: false,
    clientOptions: {
      ...(options.slackApiUrl ? { slackApiUrl: options.slackApiUrl } : {}),
      retryConfig: { retries: 1 },
    },
  });

  for (const [actionId, decision] of [
    [SlackActionIds.approve, "approved"],
    [SlackActionIds.deny, "denied"],
  ] as const) {
    app.action<BlockButtonAction>({ action_id: actionId }, async ({ ack, body, action, client }) => {
      await ack();
      const request = {
        approvalId: action.value ?? "",
        decision,
        userId: body.user.id,
        ...(body.team?.id ? { teamId: body.team.id } : {}),
        ...(body.channel?.id && body.message?.ts
          ? { message: { channel: body.channel.id, ts: body.message.ts } }
          : {}),
      };
      let outcome: Awaited<ReturnType<typeof decide>>;
      try {
        outcome = await decide(request, options.decisions);
      } catch (error) {
        options.onError?.(error);
        if (body.channel?.id) {
          await client.chat.postEphemeral({
            channel: body.channel.id,
            user: body.user.id,
            text: NOT_DELIVERED,
          });
        }
        return;
      }
      const channel =
        body.channel?.id ?? (outcome.kind !== "unknown_approval" ? outcome.approval.channel : undefined);
      if (!channel) return;
      const text = replyTo(outcome);
      if (text) await client.chat.postEphemeral({ channel, user: body.user.id, text });
    });
  }
  return app;
}

/** What the clicker alone is told; a decided approval speaks through the card itself. */
function replyTo(outcome: DecisionOutcome): string | undefined {
  switch (outcome.kind) {
    case "decided":
      return undefined;
    case "not_authorised":
      return NOT_AUTHORISED;
    case "unknown_approval":
      return "This approval is unknown to Quell.";
    case "vote_recorded":
      return "Your approval is recorded. This needs a second, different approver (four eyes).";
    case "already_voted":
      return "You already approved this. A second, different approver is needed; your second click counts for nothing.";
    case "already_final": {
      const { status, decidedBy } = outcome.approval;
      const by = decidedBy && status !== "expired" ? ` by <@${escapeMrkdwn(decidedBy, 30)}>` : "";
      return `Already ${status}${by}; nothing changed.`;
    }
  }
}
