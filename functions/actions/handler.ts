import { IdempotencyConfig, makeIdempotent } from "@aws-lambda-powertools/idempotency";
import { DynamoDBPersistenceLayer } from "@aws-lambda-powertools/idempotency/dynamodb";
import type { Context } from "aws-lambda";
import { z } from "zod";
import { EnvNames, envSchemas, readEnv } from "../shared/env.js";
import { toQuellError } from "../shared/errors.js";
import { createLogger } from "../shared/powertools.js";
import type { AnyAction } from "./contract.js";
import { type ActionResult, createActionContext, runAction } from "./run.js";

/** What a playbook's action task sends (compiled by playbooks/compile.ts). */
export const ActionEvent = z.object({
  incidentId: z.string().min(1),
  step: z.string().min(1),
  input: z.record(z.string(), z.unknown()),
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
  });
  const dryRun = env[EnvNames.dryRun];
  const logger = createLogger(`action-${action.name}`);
  const context = createActionContext();
  const run = async (event: unknown): Promise<ActionResult> => {
    const parsed = ActionEvent.parse(event);
    logger.appendKeys({ incidentId: parsed.incidentId, step: parsed.step });
    try {
      const result = await runAction(action, parsed.input, { dryRun, context });
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
    eventKeyJmesPath: "[incidentId, step]",
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
