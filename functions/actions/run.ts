import type { z } from "zod";
import {
  BlastRadiusExceeded,
  NotReversible,
  ProtectedPrincipal,
  ValidationError,
  VerificationFailed,
} from "../shared/errors.js";
import { createHttpClient } from "../shared/http.js";
import {
  PROTECTED_PRINCIPALS_ENV,
  protectedPrincipalsFrom,
  protectionOf,
} from "../shared/protected-principals.js";
import type { ActionSession } from "./assume-role.js";
import { type AwsClientClasses, awsClients } from "./aws-clients.js";
import type { ActionContext, ActionJournal, AnyAction, Write, WriteDescription } from "./contract.js";
import { writeFailure } from "./journal.js";
import { providerCredentials } from "./provider-credentials.js";
import type { ActionResult } from "./result.js";

export { ActionResult } from "./result.js";

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
  const input = validInput(action, rawInput);
  const plan = await action.plan(input, options.context);
  const output = action.output.safeParse(plan.output);
  if (!output.success) {
    throw new ValidationError(`${action.name} produced an invalid output`, issuesOf(output.error));
  }
  refuseProtected(action, input, output.data, options.context.env);
  const result = await send(action, { input, output: output.data, writes: plan.writes }, options);
  if (result.mode !== "applied" || result.writes.length === 0 || !action.verify) return result;
  const verification = await action.verify(input, options.context);
  if (!verification.verified) {
    throw new VerificationFailed(
      `${action.name} sent its writes, but the read-back found: ${verification.observed}`,
    );
  }
  return { ...result, verified: verification.observed };
}

/** Nothing is sent, planned or undone for a protected principal, whoever approved it. */
function refuseProtected(action: AnyAction, input: unknown, output: unknown, env: NodeJS.ProcessEnv): void {
  if (!action.changes) return;
  const protection = protectionOf(protectedPrincipalsFrom(env), action.changes(input, output));
  if (protection) {
    throw new ProtectedPrincipal(
      `${protection.principal} is a protected principal (${protection.entry} in ${PROTECTED_PRINCIPALS_ENV}): ` +
        `${action.name} never changes it; contain it by hand`,
    );
  }
}

/**
 * Undo an applied run: the action's undo writes for the run's recorded input and output, under the same budget
 * and dry-run rule. Refused for actions that cannot be undone.
 */
export async function runUndo(
  action: AnyAction,
  applied: { input: unknown; output: unknown },
  options: { dryRun: boolean; context: ActionContext },
): Promise<ActionResult> {
  if (!action.reversible || !action.undo) throw new NotReversible(`${action.name} cannot be undone`);
  const input = validInput(action, applied.input);
  const output = action.output.safeParse(applied.output);
  if (!output.success) {
    throw new ValidationError(
      `the applied run of ${action.name} recorded an output its undo cannot read`,
      issuesOf(output.error),
    );
  }
  const writes = await action.undo(input, options.context, { output: output.data });
  return send(action, { input, output: null, writes }, options);
}

function validInput(action: AnyAction, rawInput: unknown): unknown {
  const input = action.input.safeParse(rawInput);
  if (!input.success) {
    throw new ValidationError(`invalid input for ${action.name}`, issuesOf(input.error));
  }
  return input.data;
}

/** Enforce the blast-radius budget, then send the writes unless this is a dry run. */
async function send(
  action: AnyAction,
  run: { input: unknown; output: unknown; writes: readonly Write[] },
  { dryRun, context }: { dryRun: boolean; context: ActionContext },
): Promise<ActionResult> {
  if (run.writes.length > action.blastRadius.maxWrites) {
    throw new BlastRadiusExceeded(
      `${action.name} planned ${run.writes.length} writes; its budget is ${action.blastRadius.maxWrites}`,
    );
  }
  const writes: WriteDescription[] = run.writes.map((write) => write.description);
  const result = { action: action.name, input: run.input, output: run.output, writes, verified: null };
  // A run with nothing to write (a read-only action, or a target already in the wanted state) is complete.
  if (dryRun && writes.length > 0) return { ...result, mode: "planned" };
  for (const write of run.writes) await sendRecorded(write, context.journal);
  return { ...result, mode: "applied" };
}

/**
 * Send one write, recorded as attempted before it goes out and settled after: sent, or failed with what came
 * back. A write the provider applied but answered 500 stays on the incident even when the retry finds nothing
 * left to write.
 */
async function sendRecorded(write: Write, journal: ActionJournal): Promise<void> {
  await journal.attempted(write.description);
  try {
    await write.send();
  } catch (error) {
    await journal.settled(write.description, writeFailure(error));
    throw error;
  }
  await journal.settled(write.description, { ok: true });
}

/**
 * The real context: provider HTTP, secrets by reference, the AWS clients of `clients` created on first use, and
 * the journal that records each write. With a `session`, AWS calls run as the action's own role in a session
 * named after the incident; without one (no role configured), as the function itself.
 */
export function createActionContext(
  env: NodeJS.ProcessEnv,
  journal: ActionJournal,
  session?: ActionSession,
  clients: AwsClientClasses = {},
): ActionContext {
  const { http, secret } = providerCredentials(createHttpClient({ userAgent: "quell-action" }), env);
  return {
    http,
    secret,
    aws: awsClients(clients, session),
    env,
    journal,
  };
}
