import * as z from "zod";

/**
 * What the approval-request function is asked besides a new approval (which carries no `mode`): an
 * escalating approval step compiles (playbooks/compile.ts) to a first wait, an `escalate` task and an
 * `extend` wait, all served by this one function.
 */
export const ApprovalModes = { escalate: "escalate", extend: "extend", auto: "auto" } as const;

/** A Slack user group (S…) or user (U…, W…): who an escalation mentions. */
export const SLACK_MENTIONABLE = /^[SUW][A-Z0-9]{2,20}$/;
export const SLACK_CHANNEL = /^[CG][A-Z0-9]{2,20}$/;

/** Re-post a pending approval's card with a mention of the escalation group or user. */
export const EscalateEvent = z.object({
  mode: z.literal(ApprovalModes.escalate),
  incidentId: z.string().min(1),
  step: z.string().min(1),
  to: z.string().regex(SLACK_MENTIONABLE),
  channel: z.string().regex(SLACK_CHANNEL).optional(),
});
export type EscalateEvent = z.infer<typeof EscalateEvent>;

/** The escalated, final wait: the same approval, a new task token. */
export const ExtendEvent = z.object({
  mode: z.literal(ApprovalModes.extend),
  taskToken: z.string().min(1).max(2048),
  incidentId: z.string().min(1),
  step: z.string().min(1),
  /** The approval's whole timeout, as on the first request. */
  timeoutSeconds: z.number().int().positive(),
});
export type ExtendEvent = z.infer<typeof ExtendEvent>;

/** How a playbook asks for an escalation (the DSL's `escalation`), stored on the pending approval. */
export const EscalationPlan = z.object({
  afterSeconds: z.number().int().positive(),
  to: z.string().regex(SLACK_MENTIONABLE),
  channel: z.string().regex(SLACK_CHANNEL).optional(),
});
export type EscalationPlan = z.infer<typeof EscalationPlan>;
