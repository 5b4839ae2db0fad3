import * as z from "zod";
import { plainText } from "../shared/mrkdwn.js";

/**
 * Decisions that carry text: a deny asks why, an "Approve with comment…" asks for the comment. Each opens one
 * modal (built here) from its button; the modal carries only the approval id.
 */
export const DENY_REASON = {
  callbackId: "quell.deny_reason",
  blockId: "reason",
  actionId: "reason",
} as const;

export const APPROVE_COMMENT = {
  callbackId: "quell.approve_comment",
  blockId: "comment",
  actionId: "comment",
} as const;

export const REASON_LIMITS = { min: 3, max: 500 } as const;
export const COMMENT_LIMITS = { min: 1, max: 500 } as const;

/** One kind of decision with text: its modal's ids, wording and limits. */
export interface DecisionText {
  readonly decision: "approved" | "denied";
  readonly ids: { readonly callbackId: string; readonly blockId: string; readonly actionId: string };
  /** The modal's title and its submit button (Slack allows 24 characters each). */
  readonly title: string;
  readonly verb: string;
  readonly label: string;
  readonly limits: { readonly min: number; readonly max: number };
  readonly noun: string;
}

export const DECISION_TEXTS = {
  denied: {
    decision: "denied",
    ids: DENY_REASON,
    title: "Deny",
    verb: "Deny",
    label: "Why? (kept on the incident's record)",
    limits: REASON_LIMITS,
    noun: "a reason",
  },
  approved: {
    decision: "approved",
    ids: APPROVE_COMMENT,
    title: "Approve with comment",
    verb: "Approve",
    label: "Comment (kept on the incident's record and shown on the card)",
    limits: COMMENT_LIMITS,
    noun: "a comment",
  },
} as const satisfies Record<string, DecisionText>;

export function decisionTextModal(kind: DecisionText, approvalId: string, title: string) {
  return {
    type: "modal",
    callback_id: kind.ids.callbackId,
    private_metadata: approvalId,
    title: { type: "plain_text", text: kind.title },
    submit: { type: "plain_text", text: kind.verb },
    close: { type: "plain_text", text: "Cancel" },
    blocks: [
      { type: "section", text: { type: "plain_text", text: plainText(`${kind.verb}: ${title}`, 300) } },
      {
        type: "input",
        block_id: kind.ids.blockId,
        label: { type: "plain_text", text: kind.label },
        element: {
          type: "plain_text_input",
          action_id: kind.ids.actionId,
          multiline: true,
          min_length: kind.limits.min,
          max_length: kind.limits.max,
        },
      },
    ],
  };
}

/** The deny-reason modal, opened from the Deny button. */
export const denyReasonModal = (approvalId: string, title: string) =>
  decisionTextModal(DECISION_TEXTS.denied, approvalId, title);

const Submission = z.object({
  private_metadata: z.string().min(1).max(200),
  state: z.object({
    values: z.record(z.string(), z.record(z.string(), z.object({ value: z.string().nullish() }))),
  }),
});

/** The approval id and the text from a submitted decision modal, or what is wrong with it. */
export function readDecisionText(
  kind: DecisionText,
  view: unknown,
): { ok: true; approvalId: string; text: string } | { ok: false; error: string } {
  const parsed = Submission.safeParse(view);
  if (!parsed.success) return { ok: false, error: "The form could not be read; please try again." };
  const text = parsed.data.state.values[kind.ids.blockId]?.[kind.ids.actionId]?.value?.trim() ?? "";
  const { min, max } = kind.limits;
  if (text.length < min || text.length > max) {
    return { ok: false, error: `Give ${kind.noun} of ${min} to ${max} characters.` };
  }
  return { ok: true, approvalId: parsed.data.private_metadata, text };
}

/** The approval id and the reason from a submitted deny-reason modal, or what is wrong with it. */
export function readDenySubmission(
  view: unknown,
): { ok: true; approvalId: string; reason: string } | { ok: false; error: string } {
  const read = readDecisionText(DECISION_TEXTS.denied, view);
  return read.ok ? { ok: true, approvalId: read.approvalId, reason: read.text } : read;
}
