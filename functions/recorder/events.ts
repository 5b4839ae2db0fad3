import { z } from "zod";

/** What playbooks tell the recorder (compiled by playbooks/compile.ts, handled by recorder/core.ts). */
export const RecordEvent = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("action"),
    incidentId: z.string().min(1),
    step: z.string().min(1),
    result: z.object({
      action: z.string(),
      mode: z.enum(["planned", "applied"]),
      output: z.unknown(),
      writes: z.array(z.unknown()),
    }),
  }),
  z.object({
    kind: z.literal("closed"),
    incidentId: z.string().min(1),
    step: z.string().min(1),
    outcome: z.enum(["mitigated", "resolved", "denied", "expired", "failed"]),
    summary: z.string().max(300),
    error: z.object({ Error: z.string(), Cause: z.string().optional() }).optional(),
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
