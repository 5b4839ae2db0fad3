import * as z from "zod";

/** What every action run returns to the playbook, and what the timeline and the action run record keep. */
export const ActionResult = z.object({
  action: z.string(),
  /** `planned`: dry run, writes recorded and not sent. `applied`: every write was sent (or none was needed). */
  mode: z.enum(["planned", "applied"]),
  /** The validated input: what an undo of this run needs. Action inputs name targets, never secrets. */
  input: z.unknown(),
  output: z.unknown(),
  writes: z.array(z.unknown()),
  /** What the read-back after apply observed, when the action verifies its writes; null otherwise. */
  verified: z.string().nullable(),
});
export type ActionResult = z.infer<typeof ActionResult>;
