import { actions } from "../../functions/actions/registry.js";
import type { FunctionRef } from "../../playbooks/compile.js";
import type { FunctionUrlHandler } from "./routes.js";
import type { LocalHandler } from "./stepfunctions.js";

type PlainHandler = (event: unknown) => Promise<unknown>;

export type LocalHandlers = Awaited<ReturnType<typeof loadHandlers>>;

/** Import the real handler modules, after the environment is set, as Lambda would at cold start. */
export async function loadHandlers() {
  const ingestModule = await import("../../functions/ingest/handler.js");
  const slackModule = await import("../../functions/slack/handler.js");
  const triage = (await import("../../functions/triage/handler.js")).handler as PlainHandler;
  const approvalRequest = (await import("../../functions/approval-request/handler.js"))
    .handler as PlainHandler;
  const recorder = (await import("../../functions/recorder/handler.js")).handler as PlainHandler;
  const notifier = (await import("../../functions/notifier/handler.js")).handler as PlainHandler;
  const executionWatch = (await import("../../functions/execution-watch/handler.js")).handler as PlainHandler;
  const shadowDigest = (await import("../../functions/shadow-digest/handler.js")).handler as PlainHandler;
  const actionHandlers = new Map<string, LocalHandler>();
  for (const [name, entry] of Object.entries(actions)) {
    const module = (await import(`../../functions/actions/${entry.folder}/handler.ts`)) as {
      handler: (event: unknown, context: unknown) => Promise<unknown>;
    };
    actionHandlers.set(name, (payload) =>
      module.handler(payload, lambdaContext(entry.definition.timeoutSeconds)),
    );
  }
  return {
    ingest: ingestModule.handler as FunctionUrlHandler,
    /** The largest body ingest accepts (QUELL_MAX_BODY_BYTES). */
    ingestMaxBodyBytes: ingestModule.maxBodyBytes,
    /** Ingest's tally of unauthenticated refusals, which the server's own early refusals join. */
    countRefusal: ingestModule.countRefusal,
    slack: slackModule.handler as FunctionUrlHandler,
    /** What the HTTP route's Bolt app was built from; Socket Mode serves the same. */
    slackAppOptions: slackModule.slackAppOptions,
    triage,
    notifier,
    executionWatch,
    /** The daily shadow digest (on AWS a scheduled rule invokes it; locally a timer, or a test). */
    shadowDigest,
    resolve(ref: FunctionRef): LocalHandler {
      if (ref.kind === "approvalRequest") return approvalRequest;
      if (ref.kind === "recorder") return recorder;
      const handler = actionHandlers.get(ref.action);
      if (!handler) throw new Error(`no local handler for action ${ref.action}`);
      return handler;
    },
  };
}

/** The parts of a Lambda context that handlers and Powertools read. */
export function lambdaContext(timeoutSeconds: number) {
  const deadline = Date.now() + timeoutSeconds * 1000;
  return {
    functionName: "quell-local",
    awsRequestId: crypto.randomUUID(),
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}
