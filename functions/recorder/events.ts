import * as z from "zod";
import { ActionResult } from "../actions/result.js";

/** What Step Functions catches into `$.error`: the error name and its cause. */
const StepError = z.object({ Error: z.string(), Cause: z.string().optional() });

/** What playbooks tell the recorder (compiled by playbooks/compile.ts, handled by recorder/core.ts). */
export const RecordEvent = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("action"),
    incidentId: z.string().min(1),
    step: z.string().min(1),
    result: ActionResult,
    /** Whether the action's contract can undo what it applied (compiled from the contract). */
    undoable: z.boolean().default(false),
  }),
  /** An action step failed (after its retries); the playbook goes on at its `onError` step or ends failed. */
  z.object({
    kind: z.literal("action_failed"),
    incidentId: z.string().min(1),
    step: z.string().min(1),
    action: z.string().min(1),
    error: StepError,
  }),
  /** The undo machine (playbooks/undo.ts) restored, or in dry run planned to restore, an applied run. */
  z.object({
    kind: z.literal("undo"),
    incidentId: z.string().min(1),
    step: z.string().min(1),
    result: ActionResult,
  }),
  z.object({
    kind: z.literal("undo_failed"),
    incidentId: z.string().min(1),
    step: z.string().min(1),
    error: StepError,
  }),
  z.object({
    kind: z.literal("closed"),
    incidentId: z.string().min(1),
    step: z.string().min(1),
    outcome: z.enum(["mitigated", "resolved", "denied", "expired", "failed"]),
    summary: z.string().max(300),
    error: StepError.optional(),
  }),
  /** An approval timed out and the playbook goes on at its `onTimeout` step: recorded `expired`, not closed. */
  z.object({
    kind: z.literal("approval_expired"),
    incidentId: z.string().min(1),
    step: z.string().min(1),
    summary: z.string().max(300),
  }),
]);
export type RecordEvent = z.infer<typeof RecordEvent>;
