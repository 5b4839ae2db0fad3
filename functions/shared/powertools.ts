import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import type { Context } from "aws-lambda";
import { QuellError, TransientError, toQuellError } from "./errors.js";

/** One logger and one metrics emitter per function, named after it. Alert text is never a log message. */
export const createLogger = (serviceName: string) => new Logger({ serviceName: `quell-${serviceName}` });

/**
 * Powertools' Metrics, its on/off switch made public for EMF lines a function writes itself: off by Powertools'
 * own rule, decided when it is made (POWERTOOLS_METRICS_DISABLED when set, else POWERTOOLS_DEV).
 */
export class FunctionMetrics extends Metrics {
  public override isDisabled(): boolean {
    return super.isDisabled();
  }
}

export const createMetrics = (serviceName: string) =>
  new FunctionMetrics({ namespace: "Quell", serviceName: `quell-${serviceName}` });

/**
 * An error as a log attribute: `{ error: errorAttributes(error) }`. Powertools reserves `message` for the log
 * line itself and drops a `message` attribute, so an error's words must travel under a key of their own.
 */
export const errorAttributes = (error: unknown): { name: string; message: string } =>
  error instanceof Error
    ? { name: error.name, message: error.message.slice(0, 1000) }
    : { name: "Error", message: String(error).slice(0, 1000) };

/** A function's logger and metrics emitter, as `instrumented` takes them. */
export interface FunctionTools {
  readonly logger: Logger;
  readonly metrics: FunctionMetrics;
}

export const createTools = (serviceName: string): FunctionTools => ({
  logger: createLogger(serviceName),
  metrics: createMetrics(serviceName),
});

/**
 * A handler with Powertools around each invocation (what `injectLambdaContext` and `logMetrics` do, without
 * middy): the Lambda context on every log line (function_name, function_request_id, cold_start…), keys appended
 * during the invocation dropped after it (so one alert's id never labels the next one's lines), and the metrics it
 * stored flushed once as EMF, on failure too. `context` is absent when the local runtime's Step Functions emulation
 * invokes a task.
 */
export function instrumented<Event, Result>(
  { logger, metrics }: FunctionTools,
  handler: (event: Event, context?: Context) => Promise<Result>,
): (event: Event, context?: Context) => Promise<Result> {
  return async (event, context) => {
    if (context) logger.addContext(context);
    try {
      return await handler(event, context);
    } catch (error) {
      throw retryableAsTransient(error);
    } finally {
      // An invocation that stored nothing publishes nothing (and Powertools' "no metrics" warning stays quiet).
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
      logger.resetKeys();
    }
  };
}

/**
 * A throttle, 5xx or network failure of an AWS call that escaped a handler becomes a TransientError, the name every
 * playbook task retries on (Step Functions sees an error by its name: `ProvisionedThroughputExceededException`
 * would fail the step at once). Every other error is left exactly as thrown.
 */
function retryableAsTransient(error: unknown): unknown {
  if (error instanceof QuellError) return error;
  const normalised = toQuellError(error);
  return normalised instanceof TransientError ? normalised : error;
}
