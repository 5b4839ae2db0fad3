import { z } from "zod";
import { plainText } from "../shared/mrkdwn.js";

/** A deny asks why: this modal, opened from the Deny button, carries only the approval id. */
export const DENY_REASON = {
  callbackId: "quell.deny_reason",
  blockId: "reason",
  actionId: "reason",
} as const;

export const REASON_LIMITS = { min: 3, max: 500 } as const;

export function denyReasonModal(approvalId: string, title: string) {
  return {
    type: "modal",
    callback_id: DENY_REASON.callbackId,
    private_metadata: approvalId,
    title: { type: "plain_text", text: "Deny" },
    submit: { type: "plain_text", text: "Deny" },
    close: { type: "plain_text", text: "Cancel" },
    blocks: [
      { type: "section", text: { type: "plain_text", text: plainText(`Deny: ${title}`, 300) } },
      {
        type: "input",
        block_id: DENY_REASON.blockId,
        label: { type: "plain_text", text: "Why? (kept on the incident's record)" },
        element: {
          type: "plain_text_input",
          action_id: DENY_REASON.actionId,
          multiline: true,
          min_length: REASON_LIMITS.min,
          max_length: REASON_LIMITS.max,
        },
      },
    ],
  };
}

const Submission = z.object({
  private_metadata: z.string().min(1).max(200),
  state: z.object({
    values: z.record(z.string(), z.record(z.string(), z.object({ value: z.string().nullish() }))),
  }),
});

/** The approval id and the reason from a submitted modal, or what is wrong with it. */
export function readDenySubmission(
  view: unknown,
): { ok: true; approvalId: string; reason: string } | { ok: false; error: string } {
  const parsed = Submission.safeParse(view);
  if (!parsed.success) return { ok: false, error: "The form could not be read; please try again." };
  const reason = parsed.data.state.values[DENY_REASON.blockId]?.[DENY_REASON.actionId]?.value?.trim() ?? "";
  if (reason.length < REASON_LIMITS.min || reason.length > REASON_LIMITS.max) {
    return { ok: false, error: `Give a reason of ${REASON_LIMITS.min} to ${REASON_LIMITS.max} characters.` };
  }
  return { ok: true, approvalId: parsed.data.private_metadata, reason };
}
