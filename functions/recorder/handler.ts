import { EnvNames, envSchemas, readEnv } from "../shared/env.js";
import { toQuellError } from "../shared/errors.js";
import { systemClock } from "../shared/ids.js";
import { createTools, instrumented } from "../shared/powertools.js";
import { createEventPublisher } from "../shared/quell-events.js";
import { createDocumentClient, IncidentStore } from "../shared/store.js";
import { record } from "./core.js";
import { RecordEvent } from "./events.js";

const env = readEnv({
  [EnvNames.tableName]: envSchemas.tableName,
  [EnvNames.eventBusName]: envSchemas.tableName,
});
const tools = createTools("recorder");
const { logger, metrics } = tools;

const deps = {
  store: new IncidentStore(createDocumentClient(), env[EnvNames.tableName], systemClock),
  events: createEventPublisher(env[EnvNames.eventBusName]),
  // Response metrics are an EMF line of their own (dimensions Playbook and AlertType, without Powertools' `service`),
  // written straight to stdout as Powertools writes its own, so Lambda's console prefix never breaks the JSON; and
  // only where Powertools writes its own (off locally, infra/local/runtime.ts, and in tests).
  emitMetrics: (line: string) => {
    if (!metrics.isDisabled()) process.stdout.write(`${line}\n`);
  },
};

/** Invoked by playbook state machines after each action and at each ending. */
export const handler = instrumented(tools, async (event: unknown): Promise<{ recorded: true }> => {
  const parsed = RecordEvent.parse(event);
  logger.info("recording", { incidentId: parsed.incidentId, kind: parsed.kind, step: parsed.step });
  try {
    await record(parsed, deps);
  } catch (error) {
    // A database that does not answer for a moment is a TransientError: the playbook's Retry runs this step again.
    metrics.addMetric("RecordFailed", "Count", 1);
    throw toQuellError(error);
  }
  metrics.addMetric("Recorded", "Count", 1);
  return { recorded: true };
});
