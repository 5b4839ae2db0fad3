import { hmacSha256Hex } from "../../functions/shared/hash.js";
import { APPROVE_COMMENT, DENY_REASON } from "../../functions/slack/deny-modal.js";
import { SlackActionIds } from "../../functions/slack/ids.js";

/** Headers GitHub would send with a webhook delivery of `body`. */
export function githubWebhookHeaders(
  body: string | Uint8Array,
  secret: string,
  options: { event?: string; delivery?: string } = {},
) {
  return {
    "content-type": "application/json",
    "x-github-event": options.event ?? "secret_scanning_alert",
    "x-github-delivery": options.delivery ?? crypto.randomUUID(),
    "x-hub-signature-256": `sha256=${hmacSha256Hex(secret, body)}`,
  };
}

/**
 * Headers for Quell's own signature (`generic` and the inline detectors): `X-Quell-Timestamp` and
 * `X-Quell-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<raw body>">`.
 */
export function quellSignatureHeaders(body: string | Uint8Array, secret: string, at = new Date()) {
  const timestamp = String(Math.floor(at.getTime() / 1000));
  const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
  return {
    "content-type": "application/json",
    "x-quell-timestamp": timestamp,
    "x-quell-signature": `v1=${hmacSha256Hex(secret, Buffer.concat([Buffer.from(`${timestamp}.`), bytes]))}`,
  };
}

/** Headers Slack would send with `body`: `v0=HMAC("v0:<ts>:<body>")` with the app's signing secret. */
export function slackSignatureHeaders(body: string, secret: string, now = new Date()) {
  const timestamp = String(Math.floor(now.getTime() / 1000));
  return {
    "content-type": "application/x-www-form-urlencoded",
    "x-slack-request-timestamp": timestamp,
    "x-slack-signature": `v0=${hmacSha256Hex(secret, `v0:${timestamp}:${body}`)}`,
  };
}

/** What every Slack interaction payload says about who sent it, from which workspace and app. */
function interactionFrom(type: "block_actions" | "view_submission", userId: string, teamId = "T0LOCAL") {
  return {
    type,
    team: { id: teamId, domain: "local" },
    user: { id: userId, username: userId, team_id: teamId },
    api_app_id: "A0LOCAL",
    token: "unused-verification-token",
    trigger_id: `${Date.now()}.local`,
  };
}

interface ApprovalClick {
  /** The button's value: an approval id, or for Undo an action run id (the same `<incident>.<step>` shape). */
  approvalId: string;
  /** Which card button: Approve, Deny, "Approve with comment…" (`approve_comment`), or Undo on an auto card. */
  decision: "approve" | "deny" | "approve_comment" | "undo";
  userId: string;
  teamId?: string;
  channel?: string;
  messageTs?: string;
}

/** A `block_actions` interaction for a click on a card's Approve or Deny button, form-encoded as Slack does. */
export function approvalClickBody(options: ApprovalClick): string {
  return new URLSearchParams({ payload: JSON.stringify(approvalClickPayload(options)) }).toString();
}

/** The same click's payload itself, as Slack sends it in a Socket Mode `interactive` envelope. */
export function approvalClickPayload(options: ApprovalClick): Record<string, unknown> {
  return {
    ...interactionFrom("block_actions", options.userId, options.teamId),
    ...(options.channel ? { channel: { id: options.channel, name: options.channel } } : {}),
    ...(options.channel && options.messageTs
      ? {
          container: { type: "message", message_ts: options.messageTs, channel_id: options.channel },
          message: { type: "message", ts: options.messageTs },
        }
      : {}),
    actions: [
      {
        type: "button",
        block_id: options.decision === "undo" ? "quell.undo" : "quell.decision",
        action_id: {
          approve: SlackActionIds.approve,
          deny: SlackActionIds.deny,
          approve_comment: SlackActionIds.approveWithComment,
          undo: SlackActionIds.undo,
        }[options.decision],
        value: options.approvalId,
        action_ts: String(Date.now() / 1000),
      },
    ],
  };
}

/** The `view_submission` Slack sends when someone submits a decision modal with one text input. */
function decisionTextSubmissionBody(
  ids: { callbackId: string; blockId: string; actionId: string },
  options: { approvalId: string; userId: string; text: string; teamId?: string },
): string {
  const payload = {
    ...interactionFrom("view_submission", options.userId, options.teamId),
    view: {
      id: "V0LOCAL",
      type: "modal",
      callback_id: ids.callbackId,
      private_metadata: options.approvalId,
      state: {
        values: {
          [ids.blockId]: {
            [ids.actionId]: { type: "plain_text_input", value: options.text },
          },
        },
      },
    },
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** The `view_submission` Slack sends when someone submits the deny-reason modal. */
export function denyReasonSubmissionBody(options: {
  approvalId: string;
  userId: string;
  reason: string;
  teamId?: string;
}): string {
  return decisionTextSubmissionBody(DENY_REASON, { ...options, text: options.reason });
}

/** The `view_submission` Slack sends when someone submits the "Approve with comment…" modal. */
export function approveCommentSubmissionBody(options: {
  approvalId: string;
  userId: string;
  comment: string;
  teamId?: string;
}): string {
  return decisionTextSubmissionBody(APPROVE_COMMENT, { ...options, text: options.comment });
}

/** A `/quell` slash command as Slack posts it (form-encoded). */
export function slashCommandBody(options: {
  text: string;
  userId: string;
  channel?: string;
  teamId?: string;
}): string {
  return new URLSearchParams({
    token: "unused-verification-token",
    team_id: options.teamId ?? "T0LOCAL",
    team_domain: "local",
    channel_id: options.channel ?? "C0QUELLLOCAL",
    channel_name: "incidents",
    user_id: options.userId,
    user_name: options.userId,
    command: "/quell",
    text: options.text,
    api_app_id: "A0LOCAL",
    response_url: "https://hooks.slack.com/commands/T0LOCAL/local/unused",
    trigger_id: `${Date.now()}.local`,
  }).toString();
}
