import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";

/** One logger and one metrics emitter per function, named after it. Alert text is never a log message. */
export const createLogger = (serviceName: string) => new Logger({ serviceName: `quell-${serviceName}` });

export const createMetrics = (serviceName: string) =>
  new Metrics({ namespace: "Quell", serviceName: `quell-${serviceName}` });
