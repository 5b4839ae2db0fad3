import { DescribeExecutionCommand, SFNClient } from "@aws-sdk/client-sfn";
import { EnvNames, envSchemas, readEnv } from "../shared/env.js";
import { toQuellError } from "../shared/errors.js";
import { systemClock } from "../shared/ids.js";
import { createTools, errorAttributes, instrumented } from "../shared/powertools.js";
import { createEventPublisher } from "../shared/quell-events.js";
import { createDocumentClient, IncidentStore } from "../shared/store.js";
import { type WatchDeps, type WatchOutcome, watchExecution } from "./core.js";

const env = readEnv({
  [EnvNames.tableName]: envSchemas.tableName,
  [EnvNames.eventBusName]: envSchemas.tableName,
  [EnvNames.playbookArns]: envSchemas.machineArns,
});
const tools = createTools("execution-watch");
const { logger, metrics } = tools;
const sfn = new SFNClient({});
const deps: WatchDeps = {
  store: new IncidentStore(createDocumentClient(), env[EnvNames.tableName], systemClock),
  events: createEventPublisher(env[EnvNames.eventBusName]),
  machines: env[EnvNames.playbookArns],
  async describeInput(executionArn) {
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    return described.input ?? "";
  },
};

/**
 * Invoked (asynchronously) by the EventBridge rule on the default bus for each of Quell's executions that failed,
 * timed out or was aborted: settles its incident (core.ts). A rejected event fails the invocation, so after its
 * retries it waits in the dead-letter queue with the error, never silently dropped.
 */
export const handler = instrumented(tools, async (event: unknown): Promise<WatchOutcome> => {
  try {
    const outcome = await watchExecution(event, deps);
    logger.info("execution watched", { ...outcome });
    metrics.addMetric(
      outcome.kind === "ignored" ? "ExecutionEndIgnored" : "ExecutionInterrupted",
      "Count",
      1,
    );
    return outcome;
  } catch (error) {
    const quellError = toQuellError(error);
    logger.error("execution not settled", { error: errorAttributes(quellError) });
    metrics.addMetric("ExecutionWatchFailed", "Count", 1);
    throw quellError;
  }
});
