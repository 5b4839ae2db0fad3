import { App, type BlockButtonAction, type Receiver } from "@slack/bolt";
import type { WebClient } from "@slack/web-api";
import { escapeMrkdwn } from "../shared/mrkdwn.js";
import { type CommandDeps, runCommand } from "./commands.js";
import {
  checkDecidable,
  type DecisionDeps,
  type DecisionOutcome,
  type DecisionRequest,
  decide,
} from "./decide.js";
import { DECISION_TEXTS, type DecisionText, decisionTextModal, readDecisionText } from "./deny-modal.js";
import { SlackActionIds } from "./ids.js";
import { requestUndo } from "./undo.js";

export interface SlackAppOptions {
  readonly receiver: Receiver;
  /** The bot token, or how to read it now (on AWS it is re-read on a short TTL, so a rotation reaches clicks). */
  readonly token: string | (() => Promise<string>);
  readonly slackApiUrl?: string;
  readonly decisions: DecisionDeps;
  readonly commands: CommandDeps;
  /** Told about decisions that could not be delivered (logged by the handler). */
  readonly onError?: (error: unknown) => void;
}

const NOT_DELIVERED =
  "Quell could not deliver your decision; the approval is pending again. Please click again.";
/** How long a modal submission may take to decide before Slack's 3 s for the answer run out. */
const MODAL_ANSWER_MS = 2500;
const timeoutAfter = (ms: number) =>
  new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), ms).unref());

const NOT_DELIVERED_MODAL =
  "Quell could not record this just now; the approval may still be pending. Submit again.";
const NOT_AUTHORISED =
  "You are not authorised to decide this approval. It stays pending; your attempt was recorded.";

/**
 * The one Bolt app definition. It is served by AwsLambdaReceiver on Lambda and, locally, by the same
 * receiver behind the local HTTP server. A listener does only fast work: ack, one conditional write,
 * SendTaskSuccess/Failure and the card update.
 */
export function createSlackApp(options: SlackAppOptions): App {
  const app = new App({
    // Bolt's `authorize` option: every request is served with the configured bot token. Given `token` instead,
    // Bolt 5 (with tokenVerificationEnabled false) calls auth.test on every request, and a click fails
    // unheard whenever that call does. Quell's listeners need no bot ids, so nothing is looked up at all.
    authorize: async () => ({
      botToken: typeof options.token === "string" ? options.token : await options.token(),
    }),
    receiver: options.receiver,
    clientOptions: {
      ...(options.slackApiUrl ? { slackApiUrl: options.slackApiUrl } : {}),
      retryConfig: { retries: 1 },
    },
  });

  /** The decision's outcome, or undefined when it could not be recorded or delivered (the approval is pending). */
  const tryDecide = async (request: DecisionRequest): Promise<DecisionOutcome | undefined> => {
    try {
      return await decide(request, options.decisions);
    } catch (error) {
      options.onError?.(error);
      return undefined;
    }
  };

  /** Tell the decider alone what happened when the card itself does not say it. */
  const replyAbout = async (
    client: WebClient,
    request: DecisionRequest,
    outcome: DecisionOutcome,
    channel: string | undefined,
  ) => {
    const where = channel ?? (outcome.kind !== "unknown_approval" ? outcome.approval.channel : undefined);
    const text = replyTo(outcome);
    if (where && text) await client.chat.postEphemeral({ channel: where, user: request.userId, text });
  };

  /** A click: decide, then reply; a decision that did not get through asks for another click. */
  const decideAndReply = async (client: WebClient, request: DecisionRequest, channel: string | undefined) => {
    const outcome = await tryDecide(request);
    if (outcome) return replyAbout(client, request, outcome, channel);
    if (channel) await client.chat.postEphemeral({ channel, user: request.userId, text: NOT_DELIVERED });
  };

  const requestFrom = (body: BlockButtonAction, action: { value?: string }) => ({
    approvalId: action.value ?? "",
    userId: body.user.id,
    ...(body.team?.id ? { teamId: body.team.id } : {}),
    ...(body.channel?.id && body.message?.ts
      ? { message: { channel: body.channel.id, ts: body.message.ts } }
      : {}),
  });

  app.action<BlockButtonAction>(
    { action_id: SlackActionIds.approve },
    async ({ ack, body, action, client }) => {
      await ack();
      await decideAndReply(client, { ...requestFrom(body, action), decision: "approved" }, body.channel?.id);
    },
  );

  // Deny asks why, and "Approve with comment…" asks for the comment, first: the modal opens only for someone
  // who may decide, while the approval is pending. Its submission then decides like a click.
  const decisionWithText = (kind: DecisionText, actionId: string) => {
    app.action<BlockButtonAction>({ action_id: actionId }, async ({ ack, body, action, client }) => {
      await ack();
      const request = { ...requestFrom(body, action), decision: kind.decision };
      const checked = await checkDecidable(request, options.decisions);
      if (checked.kind !== "decidable") {
        const text = replyTo(checked);
        const channel =
          body.channel?.id ?? (checked.kind !== "unknown_approval" ? checked.approval.channel : undefined);
        if (channel && text) await client.chat.postEphemeral({ channel, user: body.user.id, text });
        return;
      }
      await client.views.open({
        trigger_id: body.trigger_id,
        view: decisionTextModal(kind, request.approvalId, checked.approval.title) as never,
      });
    });
    app.view(kind.ids.callbackId, async ({ ack, body, view, client }) => {
      const submission = readDecisionText(kind, view);
      if (!submission.ok) {
        await ack({ response_action: "errors", errors: { [kind.ids.blockId]: submission.error } });
        return;
      }
      const request: DecisionRequest = {
        approvalId: submission.approvalId,
        decision: kind.decision,
        ...(kind.decision === "denied" ? { reason: submission.text } : { comment: submission.text }),
        userId: body.user.id,
        ...(body.team?.id ? { teamId: body.team.id } : {}),
      };
      // Decided before the ack (on Lambda the answer goes back when the listener ends anyway): a decision that
      // did not get through keeps the modal open, saying so, and the same Submit tries again. Slack waits 3 s for
      // the answer: a decision still under way then (a database throttling) is answered the same way; if it lands
      // after all, the next Submit is told it is already decided.
      const outcome = await Promise.race([tryDecide(request), timeoutAfter(MODAL_ANSWER_MS)]);
      if (!outcome) {
        await ack({ response_action: "errors", errors: { [kind.ids.blockId]: NOT_DELIVERED_MODAL } });
        return;
      }
      await ack();
      await replyAbout(client, request, outcome, undefined);
    });
  };
  decisionWithText(DECISION_TEXTS.denied, SlackActionIds.deny);
  decisionWithText(DECISION_TEXTS.approved, SlackActionIds.approveWithComment);

  // Undo on an `auto` card: the same path as `/quell undo <run>`, answered to the clicker alone.
  app.action<BlockButtonAction>({ action_id: SlackActionIds.undo }, async ({ ack, body, action, client }) => {
    await ack();
    let text: string;
    try {
      text = await requestUndo(action.value ?? "", body.user.id, options.commands);
    } catch (error) {
      options.onError?.(error);
      text = "Quell could not start the undo; nothing changed. Please click again.";
    }
    if (body.channel?.id)
      await client.chat.postEphemeral({ channel: body.channel.id, user: body.user.id, text });
  });

  app.command("/quell", async ({ ack, command }) => {
    let text: string;
    try {
      text = await runCommand(command.text ?? "", command.user_id, options.commands);
    } catch (error) {
      options.onError?.(error);
      text = "Quell could not do that just now; see its log. Please try again.";
    }
    await ack({ response_type: "ephemeral", text });
  });

  return app;
}

/** What the clicker alone is told; a decided approval speaks through the card itself. */
function replyTo(outcome: DecisionOutcome): string | undefined {
  switch (outcome.kind) {
    case "decided":
      return undefined;
    case "not_authorised":
      return NOT_AUTHORISED;
    case "excluded":
      return excludedReply(outcome);
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

const EXCLUDED_BECAUSE = {
  subject: "you are the subject of this alert",
  requester: "you requested this run",
} as const;

/** Why an authorised person may not decide this approval, and what that means for them. */
function excludedReply(outcome: Extract<DecisionOutcome, { kind: "excluded" }>): string {
  const why = outcome.because.map((because) => EXCLUDED_BECAUSE[because]).join(" and ");
  const rule =
    outcome.approval.policy === "two"
      ? "Four eyes: neither approver may be the requester or the subject of the alert, and an excluded person may neither approve nor deny."
      : "Nobody may decide on an action against themselves, neither approve nor deny.";
  return `You may not decide this approval: ${why}. ${rule} It stays ${outcome.approval.status}; your attempt was recorded.`;
}
