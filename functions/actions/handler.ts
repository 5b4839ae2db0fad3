import { IdempotencyConfig, makeIdempotent } from "@aws-lambda-powertools/idempotency";
import { DynamoDBPersistenceLayer } from "@aws-lambda-powertools/idempotency/dynamodb";
import type { Context } from "aws-lambda";
import { z } from "zod";
import { actionSessionName } from "../shared/action-session.js";
import { EnvNames, envSchemas, readEnv } from "../shared/env.js";
import { AutoApprovalRefused, toQuellError } from "../shared/errors.js";
import { createLogger } from "../shared/powertools.js";
import { type AnyAction, isAutoApprovable } from "./contract.js";
import { type ActionResult, createActionContext, runAction, runUndo } from "./run.js";

/** What a playbook's action task (or the undo machine) sends; compiled by playbooks/compile.ts and undo.ts. */
export const ActionEvent = z.object({
  incidentId: z.string().min(1),
  step: z.string().min(1),
  input: z.record(z.string(), z.unknown()),
  /** In `undo` mode, the output the applied run recorded (what it replaced, for actions that need it). */
  output: z.unknown().optional(),
  /** `undo` restores what the applied run of this step changed. */
  mode: z.enum(["apply", "undo"]).default("apply"),
  /** This execution is a rehearsal (`/quell dry-run`); the deployment-wide dry run applies either way. */
  dryRun: z.boolean().default(false),
  /** The step runs under the `auto` policy, with no human first: refused unless the contract allows it. */
  approval: z.literal("auto").optional(),
});
export type ActionEvent = z.infer<typeof ActionEvent>;

/**
 * The Lambda handler of one action. Idempotent per (incident, step): a retried invocation returns the
 * first result instead of sending the writes again.
 */
export function createActionHandler(action: AnyAction) {
  const env = readEnv({
    [EnvNames.dryRun]: envSchemas.dryRun,
    [EnvNames.idempotencyTableName]: envSchemas.tableName,
    [EnvNames.actionRoles]: envSchemas.actionRoles,
  });
  const dryRun = env[EnvNames.dryRun];
  const roleArn = env[EnvNames.actionRoles][action.name];
  const logger = createLogger(`action-${action.name}`);
  // Per invocation: the role session is named after the incident this run serves.
  const contextFor = (incidentId: string) =>
    createActionContext(
      process.env,
      roleArn ? { roleArn, sessionName: actionSessionName(incidentId) } : undefined,
    );
  const run = async (event: unknown): Promise<ActionResult> => {
    const parsed = ActionEvent.parse(event);
    logger.appendKeys({ incidentId: parsed.incidentId, step: parsed.step, mode: parsed.mode });
    try {
      if (parsed.approval === "auto" && !isAutoApprovable(action)) {
        throw new AutoApprovalRefused(
          `${action.name} may not run without a human: only reversible, low-blast-radius actions may (auto policy)`,
        );
      }
      const options = { dryRun: dryRun || parsed.dryRun, context: contextFor(parsed.incidentId) };
      const result =
        parsed.mode === "undo"
          ? await runUndo(action, { input: parsed.input, output: parsed.output }, options)
          : await runAction(action, parsed.input, options);
      logger.info("action finished", {
        action: action.name,
        mode: result.mode,
        writes: result.writes.length,
      });
      return result;
    } catch (error) {
      const quellError = toQuellError(error);
      logger.warn("action failed", {
        action: action.name,
        error: quellError.name,
        message: quellError.message,
      });
      throw quellError;
    }
  };
  const config = new IdempotencyConfig({
    // An undo is a second, distinct run of the same step.
    eventKeyJmesPath: "[incidentId, step, mode]",
    throwOnNoIdempotencyKey: true,
  });
  const idempotent = makeIdempotent(run, {
    persistenceStore: new DynamoDBPersistenceLayer({ tableName: env[EnvNames.idempotencyTableName] }),
    config,
  });
  return (event: unknown, lambdaContext?: Context) => {
    if (lambdaContext) config.registerLambdaContext(lambdaContext);
    return idempotent(event);
  };
}
