import { IAMClient } from "@aws-sdk/client-iam";
import { z } from "zod";
import { BlastRadiusExceeded, ValidationError } from "../shared/errors.js";
import { createHttpClient } from "../shared/http.js";
import { requireSecret } from "../shared/secrets.js";
import type { ActionContext, AnyAction, WriteDescription } from "./contract.js";

/** What every action run returns to the playbook, and what the timeline records. */
export const ActionResult = z.object({
  action: z.string(),
  /** `planned`: dry run, writes recorded and not sent. `applied`: every write was sent (or none was needed). */
  mode: z.enum(["planned", "applied"]),
  output: z.unknown(),
  writes: z.array(z.unknown()),
});
export type ActionResult = z.infer<typeof ActionResult>;

const issuesOf = (error: z.ZodError) =>
  error.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message }));

/**
 * Run an action: validate input, plan, enforce the blast-radius budget, then send the writes unless this
 * is a dry run. Dry run is enforced here, the only place that calls `send`.
 */
export async function runAction(
  action: AnyAction,
  rawInput: unknown,
  options: { dryRun: boolean; context: ActionContext },
): Promise<ActionResult> {
  const input = action.input.safeParse(rawInput);
  if (!input.success) {
    throw new ValidationError(`invalid input for ${action.name}`, issuesOf(input.error));
  }
  const plan = await action.plan(input.data, options.context);
  if (plan.writes.length > action.blastRadius.maxWrites) {
    throw new BlastRadiusExceeded(
      `${action.name} planned ${plan.writes.length} writes; its budget is ${action.blastRadius.maxWrites}`,
    );
  }
  const output = action.output.safeParse(plan.output);
  if (!output.success) {
    throw new ValidationError(`${action.name} produced an invalid output`, issuesOf(output.error));
  }
  const writes: WriteDescription[] = plan.writes.map((write) => write.description);
  // A run with nothing to write (a read-only action, or a target already in the wanted state) is complete.
  if (options.dryRun && writes.length > 0)
    return { action: action.name, mode: "planned", output: output.data, writes };
  for (const write of plan.writes) await write.send();
  return { action: action.name, mode: "applied", output: output.data, writes };
}

/** The real context: provider HTTP, secrets by reference, AWS clients created on first use. */
export function createActionContext(env: NodeJS.ProcessEnv = process.env): ActionContext {
  let iam: IAMClient | undefined;
  return {
    http: createHttpClient({ userAgent: "quell-action" }),
    secret: (name) => requireSecret(name, env),
    aws: { iam: () => (iam ??= new IAMClient({})) },
    env,
  };
}
