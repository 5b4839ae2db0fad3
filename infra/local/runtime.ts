import "./polyfills.js";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { resolve } from "node:path";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { actions } from "../../functions/actions/registry.js";
import { ALERT_RECEIVED } from "../../functions/ingest/core.js";
import { EnvNames } from "../../functions/shared/env.js";
import { systemClock } from "../../functions/shared/ids.js";
import { QUELL_EVENT } from "../../functions/shared/quell-events.js";
import { createDocumentClient, IncidentStore } from "../../functions/shared/store.js";
import { TriageStore } from "../../functions/triage/triage-store.js";
import type { FunctionRef } from "../../playbooks/compile.js";
import { compiledMachines } from "../../playbooks/machines.js";
import { createAwsEndpoint } from "./aws-endpoint.js";
import { LocalEventBus } from "./bus.js";
import { LOCAL_TABLES, startLocalDynamo } from "./dynamodb.js";
import { BodyTooLarge, readBody, sendJson, toFunctionUrlEvent, writeFunctionUrlResult } from "./http.js";
import { type SlackSocket, slackAppTokenFrom, startSlackSocket } from "./slack-socket.js";
import { type LocalHandler, LocalStepFunctions } from "./stepfunctions.js";

export interface LocalRuntimeOptions {
  /** 0 picks a free port. */
  readonly port: number;
  /** Where DynamoDB Local keeps its files; `null` keeps everything in memory (tests). */
  readonly dataDir: string | null;
  /**
   * Configuration as environment variables (secrets, URLs, approvers, channel, dry run). `SLACK_APP_TOKEN`
   * (xapp-…) here, not merely in the process environment, adds Slack Socket Mode.
   */
  readonly env: Readonly<Record<string, string>>;
  /**
   * Shortens every approval timeout (the expiry tests), an escalation point in proportion; the compiled ASL
   * is otherwise unchanged.
   */
  readonly approvalTimeoutSeconds?: number;
}

export interface LocalRuntime {
  readonly url: string;
  readonly store: IncidentStore;
  readonly stepFunctions: LocalStepFunctions;
  readonly bus: LocalEventBus;
  /** DynamoDB Local's process id (for the benchmarks' CPU accounting). */
  readonly dynamoPid: number | undefined;
  /**
   * How Slack interactivity arrives: `http` is POST /slack/events only; `socket` adds Socket Mode (connected
   * by the time the runtime has started), with POST /slack/events still served.
   */
  readonly slackMode: "http" | "socket";
  /** Resolves once every delivery and execution started so far has finished. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

type FunctionUrlHandler = (
  event: APIGatewayProxyEventV2,
  context: unknown,
) => Promise<APIGatewayProxyStructuredResultV2>;
type PlainHandler = (event: unknown) => Promise<unknown>;

let started = false;

/**
 * Quell on one machine: DynamoDB Local, the compiled playbooks on aws-local-stepfunctions, a local bus,
 * and the HTTP routes of the local runtime contract, all running the real handler code. Handlers read
 * their configuration once at import, as on Lambda, so one process hosts one runtime.
 */
export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const slackAppToken = slackAppTokenFrom(options.env);
  if (started) throw new Error("a local runtime is already running in this process");
  started = true;
  const dynamo = await startLocalDynamo(
    options.dataDir ? { dataDir: resolve(options.dataDir, "dynamodb") } : {},
  );
  let ready = false;
  let route: (request: IncomingMessage, response: ServerResponse, body: Buffer) => Promise<void> =
    async () => {};
  const server = createServer((request, response) => {
    readBody(request)
      .then((body) =>
        ready ? route(request, response, body) : sendJson(response, 503, { status: "starting" }),
      )
      .catch((error: Error) => {
        if (response.headersSent) return;
        if (error instanceof BodyTooLarge)
          return sendJson(response, 413, { error: { code: "too_large", message: error.message } });
        sendJson(response, 500, {
          error: { code: "internal", message: "the local runtime failed; see its log" },
        });
        console.error(error);
      });
  });
  const port = await listen(server, options.port);
  const url = `http://127.0.0.1:${port}`;

  const machines = compiledMachines();
  const playbookArns = Object.fromEntries(
    machines.map((machine) => [machine.name, LocalStepFunctions.arnFor(machine.name)]),
  );
  Object.assign(process.env, {
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
    // Every AWS service not emulated here is refused locally, never reached in AWS.
    AWS_ENDPOINT_URL: `${url}/_aws/unavailable`,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ENDPOINT_URL_SFN: `${url}/_aws/sfn`,
    AWS_ENDPOINT_URL_EVENTBRIDGE: `${url}/_aws/events`,
    [EnvNames.tableName]: LOCAL_TABLES[0].name,
    [EnvNames.idempotencyTableName]: LOCAL_TABLES[1].name,
    [EnvNames.eventBusName]: "quell-local",
    [EnvNames.playbookArns]: JSON.stringify(playbookArns),
    POWERTOOLS_METRICS_DISABLED: "true",
    // Local tooling runs on the machine's Node 20 (see README); Lambda runs Node 22.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    ...options.env,
  });

  const handlers = await loadHandlers();
  const stepFunctions = new LocalStepFunctions(
    (ref) => handlers.resolve(ref),
    options.approvalTimeoutSeconds ? { approvalTimeoutSeconds: options.approvalTimeoutSeconds } : {},
  );
  for (const machine of machines) stepFunctions.register(machine);
  const bus = new LocalEventBus([
    { source: ALERT_RECEIVED.source, detailType: ALERT_RECEIVED.detailType, target: handlers.triage },
    { source: QUELL_EVENT.source, detailType: QUELL_EVENT.detailType, target: handlers.notifier },
  ]);
  const db = createDocumentClient();
  const store = new IncidentStore(db, LOCAL_TABLES[0].name, systemClock);
  const triageStore = new TriageStore(db, LOCAL_TABLES[0].name, systemClock);
  route = createRouter({ handlers, store, triageStore, aws: createAwsEndpoint(stepFunctions, bus) });
  ready = true;

  const stopServers = async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await dynamo.stop();
    started = false;
  };
  let socket: SlackSocket | undefined;
  if (slackAppToken) {
    try {
      socket = await startSlackSocket({ ...handlers.slackAppOptions, appToken: slackAppToken });
    } catch (error) {
      await stopServers();
      throw error;
    }
  }

  return {
    url,
    store,
    stepFunctions,
    bus,
    dynamoPid: dynamo.pid,
    slackMode: socket ? "socket" : "http",
    async idle() {
      for (let round = 0; round < 3; round++) {
        await bus.idle();
        await stepFunctions.drain();
      }
    },
    async stop() {
      await socket?.stop();
      await stopServers();
    },
  };
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : port);
    });
  });
}

/** Import the real handler modules, after the environment is set, as Lambda would at cold start. */
async function loadHandlers() {
  const ingest = (await import("../../functions/ingest/handler.js")).handler as FunctionUrlHandler;
  const slackModule = await import("../../functions/slack/handler.js");
  const slack = slackModule.handler as FunctionUrlHandler;
  const triage = (await import("../../functions/triage/handler.js")).handler as PlainHandler;
  const approvalRequest = (await import("../../functions/approval-request/handler.js"))
    .handler as PlainHandler;
  const recorder = (await import("../../functions/recorder/handler.js")).handler as PlainHandler;
  const notifier = (await import("../../functions/notifier/handler.js")).handler as PlainHandler;
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
    ingest,
    slack,
    /** What the HTTP route's Bolt app was built from; Socket Mode serves the same. */
    slackAppOptions: slackModule.slackAppOptions,
    triage,
    notifier,
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
function lambdaContext(timeoutSeconds: number) {
  const deadline = Date.now() + timeoutSeconds * 1000;
  return {
    functionName: "quell-local",
    awsRequestId: crypto.randomUUID(),
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}

function createRouter(deps: {
  handlers: Awaited<ReturnType<typeof loadHandlers>>;
  store: IncidentStore;
  triageStore: TriageStore;
  aws: (request: IncomingMessage, response: ServerResponse, body: Buffer) => Promise<void>;
}) {
  return async (request: IncomingMessage, response: ServerResponse, body: Buffer): Promise<void> => {
    const { pathname, searchParams } = new URL(request.url ?? "/", "http://127.0.0.1");
    const method = request.method ?? "GET";
    if (pathname.startsWith("/_aws/")) return deps.aws(request, response, body);
    if (pathname === "/healthz" && method === "GET") return sendJson(response, 200, { status: "ok" });
    if (pathname.startsWith("/alerts/") || pathname === "/events") {
      return writeFunctionUrlResult(
        response,
        await deps.handlers.ingest(toFunctionUrlEvent(request, body), lambdaContext(10)),
      );
    }
    if (pathname === "/slack/events" && method === "POST") {
      const event = toFunctionUrlEvent(request, body, "text");
      return writeFunctionUrlResult(response, await deps.handlers.slack(event, lambdaContext(10)));
    }
    if (pathname === "/incidents" && method === "GET") {
      return sendJson(response, 200, { incidents: await deps.store.listIncidents() });
    }
    const incidentId = /^\/incidents\/([A-Za-z0-9_]{1,64})$/.exec(pathname)?.[1];
    if (incidentId && method === "GET") {
      const detail = await deps.store.getIncidentDetail(incidentId);
      return detail
        ? sendJson(response, 200, detail)
        : sendJson(response, 404, { error: { code: "not_found", message: `no incident ${incidentId}` } });
    }
    // Kept for inspection, by day: refused requests, and alerts that matched nothing (a resolve with no case).
    const byDay = { "/rejections": "rejections", "/unmatched": "unmatched" } as const;
    if ((pathname === "/rejections" || pathname === "/unmatched") && method === "GET") {
      const day = searchParams.get("day") ?? new Date().toISOString().slice(0, 10);
      if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) {
        return sendJson(response, 400, { error: { code: "bad_day", message: "day must be YYYY-MM-DD" } });
      }
      const items =
        pathname === "/rejections"
          ? await deps.store.listRejections(day)
          : await deps.triageStore.listUnmatched(day);
      return sendJson(response, 200, { day, [byDay[pathname]]: items });
    }
    return sendJson(response, 404, {
      error: {
        code: "not_found",
        message: `${method} ${pathname} is not a route; see GET /healthz, POST /alerts/{source}, POST /events, GET /incidents`,
      },
    });
  };
}
