import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";

/** One logger and one metrics emitter per function, named after it. Alert text is never a log message. */
export const createLogger = (serviceName: string) => new Logger({ serviceName: `quell-${serviceName}` });

export const createMetrics = (serviceName: string) =>
  new Metrics({ namespace: "Quell", serviceName: `quell-${serviceName}` });

/**
 * An error as a log attribute: `{ error: errorAttributes(error) }`. Powertools reserves `message` for the log
 * line itself and drops a `message` attribute, so an error's words must travel under a key of their own.
 */
export const errorAttributes = (error: unknown): { name: string; message: string } =>
  error instanceof Error
    ? { name: error.name, message: error.message.slice(0, 1000) }
    : { name: "Error", message: String(error).slice(0, 1000) };
