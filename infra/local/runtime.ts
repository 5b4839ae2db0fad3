import "./polyfills.js";
import { mkdirSync } from "node:fs";
import type { Server } from "node:http";
import { join, resolve } from "node:path";
import { ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { SFNClient } from "@aws-sdk/client-sfn";
import { EXECUTION_STATUS_CHANGE } from "../../functions/execution-watch/event.js";
import { ALERT_RECEIVED } from "../../functions/ingest/core.js";
import { EnvNames } from "../../functions/shared/env.js";
import { systemClock } from "../../functions/shared/ids.js";
import { StepFunctionsStarter } from "../../functions/shared/machine-starter.js";
import { QUELL_EVENT } from "../../functions/shared/quell-events.js";
import { createDocumentClient, IncidentStore } from "../../functions/shared/store.js";
import { triageConfigFor } from "../../functions/triage/load-config.js";
import { TriageStore } from "../../functions/triage/triage-store.js";
import { compiledMachines } from "../../playbooks/machines.js";
import { closeServer, startInternalAwsEndpoint } from "./aws-endpoint.js";
import { type BusRecords, LocalEventBus, memoryBusRecords } from "./bus.js";
import { DatabaseSupervisor } from "./database-supervisor.js";
import { withDurability } from "./durability-routes.js";
import { fileRecords, memoryRecords } from "./durable-records.js";
import { LOCAL_DYNAMO_REGION, LOCAL_TABLES, localDynamoClient, startLocalDynamo } from "./dynamodb.js";
import { startThrottlingProxy, THROTTLE_FILE_VARIABLE } from "./dynamodb-throttle.js";
import { executionFailedEntry } from "./execution-status-event.js";
import { lambdaContext, loadHandlers } from "./handlers.js";
import { LOCAL_DYNAMODB_KEY_ID, loadLocalSecrets, READ_TOKEN, randomSecret } from "./local-config.js";
import { claimPidFile, removePidFile } from "./pid-files.js";
import { createPublicServer } from "./public-server.js";
import { recoverExecutions } from "./recovery.js";
import { rehearsalRoutes } from "./rehearsal-route.js";
import { allowedHostNames } from "./request-guard.js";
import { publicRoutes } from "./routes.js";
import { startShadowDigestTimer } from "./shadow-digest-timer.js";
import { shadowReportRoutes } from "./shadow-report-route.js";
import { type SlackSocket, slackAppTokenFrom, startSlackSocket } from "./slack-socket.js";
import { clearStaleInProgress } from "./stale-idempotency.js";
import { type ExecutionRecord, LocalStepFunctions } from "./stepfunctions.js";
import { localConfigFileEnv } from "./team-config-env.js";

export interface LocalRuntimeOptions {
  /** 0 picks a free port. */
  readonly port: number;
  /**
   * Where Quell keeps its state (`.quell`): DynamoDB Local's files, the pid files, the generated secrets;
   * `null` keeps everything in memory (tests).
   */
  readonly dataDir: string | null;
  /**
   * Configuration as environment variables (secrets, URLs, approvers, channel, dry run, `QUELL_READ_TOKEN`).
   * `SLACK_APP_TOKEN` (xapp-…) here, not merely in the process environment, adds Slack Socket Mode.
   */
  readonly env: Readonly<Record<string, string>>;
  /**
   * Shortens every approval timeout (the expiry tests), an escalation point in proportion; the compiled ASL
   * is otherwise unchanged.
   */
  readonly approvalTimeoutSeconds?: number;
  /** Every Wait state of every playbook waits this many seconds instead (tests of wait loops). */
  readonly waitSeconds?: number;
  /** Every Task's retries wait this many seconds apart instead (tests that exhaust the retries). */
  readonly retrySeconds?: number;
  /** The bus's retries before a dead letter (tests of dead letters); default about two minutes of them. */
  readonly busRetries?: { readonly attempts: number; readonly backoffMs: number };
}

export interface LocalRuntime {
  readonly url: string;
  /** What every GET but /healthz needs: `Authorization: Bearer <readToken>`. */
  readonly readToken: string;
  /** The Step Functions and EventBridge emulation: 127.0.0.1 only, SigV4 with this run's credentials only. */
  readonly awsEndpointUrl: string;
  readonly dynamoEndpoint: string;
  readonly store: IncidentStore;
  readonly stepFunctions: LocalStepFunctions;
  readonly bus: LocalEventBus;
  /** DynamoDB Local's supervisor: whether it is up, its restarts. */
  readonly database: DatabaseSupervisor;
  /** DynamoDB Local's process id (for the benchmarks' CPU accounting). */
  readonly dynamoPid: number | undefined;
  /**
   * How Slack interactivity arrives: `http` is POST /slack/events only; `socket` adds Socket Mode (connected
   * by the time the runtime has started), with POST /slack/events still served.
   */
  readonly slackMode: "http" | "socket";
  /** Resolves once every delivery and execution started so far has finished. */
  idle(): Promise<void>;
  /** Post the shadow digest now, as the daily timer does at 09:00 UTC (tests; the handler's result). */
  shadowDigest(): Promise<unknown>;
  stop(): Promise<void>;
}

export const RUNTIME_PID_FILE = "runtime.pid";
export const DYNAMODB_PID_FILE = "dynamodb.pid";

let started = false;

/**
 * Quell on one machine: DynamoDB Local, the compiled playbooks on aws-local-stepfunctions, a local bus,
 * and the HTTP routes of the local runtime contract, all running the real handler code. Handlers read
 * their configuration once at import, as on Lambda, so one process hosts one runtime. Only the contract's
 * routes are on the port; the database and the AWS emulation listen on 127.0.0.1 and need credentials that
 * only this process holds.
 */
export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const slackAppToken = slackAppTokenFrom(options.env);
  if (started) throw new Error("a local runtime is already running in this process");
  started = true;
  const cleanups: (() => Promise<void> | void)[] = [
    () => {
      started = false;
    },
  ];
  const cleanUp = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  };
  try {
    return await start(options, slackAppToken, cleanups, cleanUp);
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

async function start(
  options: LocalRuntimeOptions,
  slackAppToken: string | undefined,
  cleanups: (() => Promise<void> | void)[],
  cleanUp: () => Promise<void>,
): Promise<LocalRuntime> {
  const dataDir = options.dataDir ? resolve(options.dataDir) : undefined;
  if (dataDir) cleanups.push(claimRuntime(dataDir));
  const stored = dataDir ? loadLocalSecrets(options.env, dataDir) : undefined;
  const secret = (name: typeof READ_TOKEN | typeof LOCAL_DYNAMODB_KEY_ID) =>
    options.env[name] || stored?.[name] || randomSecret();
  // The key id selects DynamoDB Local's database (kept: the file is named after it); the secret is this run's.
  const credentials = { accessKeyId: secret(LOCAL_DYNAMODB_KEY_ID), secretAccessKey: randomSecret() };
  const readToken = secret(READ_TOKEN);

  const dynamoOptions = {
    credentials,
    ...(dataDir ? { dataDir: join(dataDir, "dynamodb"), pidFile: join(dataDir, DYNAMODB_PID_FILE) } : {}),
  };
  const dynamo = await startLocalDynamo(dynamoOptions);
  // Supervised: restarted on the same port (every handler keeps its endpoint) when it exits or hangs.
  const probeClient = localDynamoClient(dynamo.endpoint, credentials);
  const database = new DatabaseSupervisor(
    dynamo,
    (port) => startLocalDynamo({ ...dynamoOptions, port }),
    async (_endpoint, signal) =>
      void (await probeClient.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: signal })),
    { log: (line) => console.error(line) },
  );
  cleanups.push(async () => {
    await database.stop();
    probeClient.destroy();
  });
  const handlersDatabase = await databaseEndpointForHandlers(database, options.env, cleanups);
  const durable = durableRecordsIn(dataDir);
  const aws = await startInternalAwsEndpoint(credentials);
  cleanups.push(() => aws.close());
  const hostNames = allowedHostNames({ ...process.env, ...options.env });
  const publicServer = createPublicServer({ readToken, hostNames });
  const port = await listen(publicServer.server, options.port);
  cleanups.push(() => closeServer(publicServer.server));
  const url = `http://127.0.0.1:${port}`;

  const machines = compiledMachines();
  const playbookArns = Object.fromEntries(
    machines.map((machine) => [machine.name, LocalStepFunctions.arnFor(machine.name)]),
  );
  Object.assign(process.env, {
    AWS_REGION: LOCAL_DYNAMO_REGION,
    AWS_ENDPOINT_URL: aws.endpoints.unavailable,
    AWS_ENDPOINT_URL_DYNAMODB: handlersDatabase,
    AWS_ENDPOINT_URL_SFN: aws.endpoints.sfn,
    AWS_ENDPOINT_URL_EVENTBRIDGE: aws.endpoints.eventBridge,
    [EnvNames.tableName]: LOCAL_TABLES[0].name,
    [EnvNames.idempotencyTableName]: LOCAL_TABLES[1].name,
    [EnvNames.eventBusName]: "quell-local",
    [EnvNames.playbookArns]: JSON.stringify(playbookArns),
    POWERTOOLS_METRICS_DISABLED: "true",
    // Local tooling runs on the machine's Node 20 (see README); Lambda runs Node 22.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    // The team configuration file (else the example) and how soon triage sees an edit of it.
    ...localConfigFileEnv({ ...process.env, ...options.env }),
    ...options.env,
    // Last, so nothing overrides them: the database and the AWS emulation accept only these.
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
  });
  delete process.env.AWS_SESSION_TOKEN;

  const handlers = await loadHandlers();
  const ready = () => database.whenUp();
  const stepFunctions = new LocalStepFunctions((ref) => handlers.resolve(ref), {
    ...(options.approvalTimeoutSeconds ? { approvalTimeoutSeconds: options.approvalTimeoutSeconds } : {}),
    ...(options.waitSeconds !== undefined ? { waitSeconds: options.waitSeconds } : {}),
    ...(options.retrySeconds !== undefined ? { retrySeconds: options.retrySeconds } : {}),
    records: durable.executions,
    ready,
    // As on AWS (functions/execution-watch): a playbook that failed outside its own handling leaves its incident
    // interrupted, through the bus (durable, retried) like Step Functions' event on the default bus.
    onFailed: (execution) => void bus.put(executionFailedEntry(execution)),
  });
  for (const machine of machines) stepFunctions.register(machine);
  const bus = new LocalEventBus(
    [
      {
        name: "triage",
        source: ALERT_RECEIVED.source,
        detailType: ALERT_RECEIVED.detailType,
        target: handlers.triage,
      },
      {
        name: "notifier",
        source: QUELL_EVENT.source,
        detailType: QUELL_EVENT.detailType,
        target: handlers.notifier,
      },
      {
        name: "execution-watch",
        source: EXECUTION_STATUS_CHANGE.source,
        detailType: EXECUTION_STATUS_CHANGE.detailType,
        target: handlers.executionWatch,
      },
    ],
    { records: durable.bus, ready, ...options.busRetries },
  );
  // Stopping leaves what is unfinished in the records, as a crash would: the next start takes it up.
  cleanups.push(() => {
    bus.close();
    stepFunctions.close();
  });
  const db = createDocumentClient();
  const store = new IncidentStore(db, LOCAL_TABLES[0].name, systemClock);
  const triageStore = new TriageStore(db, LOCAL_TABLES[0].name, systemClock);
  aws.serve(stepFunctions, bus);
  // Before any click is served: executions that waited on an approval take their tokens back.
  const recovered = await recoverExecutions({
    stepFunctions,
    store,
    publish: (event) =>
      void bus.put({
        Source: QUELL_EVENT.source,
        DetailType: QUELL_EVENT.detailType,
        Detail: JSON.stringify(event),
      }),
    recorder: handlers.resolve({ kind: "recorder" }),
    dryRun: process.env[EnvNames.dryRun] !== "false",
    clearStaleInProgress: () => clearStaleInProgress(db, LOCAL_TABLES[1].name),
  });
  // As triage reads it: replay's rehearsals report the route under the configuration in force.
  const triageConfig = triageConfigFor(process.env);
  publicServer.serve(
    withDurability(
      [
        ...publicRoutes({
          handlers,
          store,
          triageStore,
          ingestMaxBodyBytes: handlers.ingestMaxBodyBytes,
          lambdaContext,
        }),
        // What shadow playbooks would have done (npm run quell -- shadow-report).
        ...shadowReportRoutes({ store }),
        // The operator's rehearsals (npm run quell -- replay): read token and loopback Host only.
        ...rehearsalRoutes({
          store,
          triageStore,
          readToken,
          playbooks: machines.map((machine) => machine.name),
          machines: new StepFunctionsStarter(new SFNClient({}), playbookArns),
          config: () => triageConfig.get(),
        }),
      ],
      { database, bus, readToken },
    ),
    handlers.countRefusal,
  );
  const redelivered = bus.redeliverPending();
  if (redelivered + recovered.resumed.length + recovered.interrupted.length > 0) {
    console.log(
      `Quell recovered after a restart: ${redelivered} accepted event(s) redelivered, ` +
        `${recovered.resumed.length} execution(s) waiting on an approval resumed, ` +
        `${recovered.interrupted.length} interrupted mid-step (see their incidents; /quell rerun starts them again)`,
    );
  }

  const shadowDigest = () => handlers.shadowDigest({});
  cleanups.push(startShadowDigestTimer(shadowDigest));

  let socket: SlackSocket | undefined;
  if (slackAppToken) {
    socket = await startSlackSocket({ ...handlers.slackAppOptions, appToken: slackAppToken });
    const connected = socket;
    cleanups.push(() => connected.stop());
  }

  return {
    url,
    readToken,
    awsEndpointUrl: aws.url,
    dynamoEndpoint: dynamo.endpoint,
    store,
    stepFunctions,
    bus,
    database,
    get dynamoPid() {
      return database.pid;
    },
    slackMode: socket ? "socket" : "http",
    async idle() {
      for (let round = 0; round < 3; round++) {
        await bus.idle();
        await stepFunctions.drain();
      }
    },
    shadowDigest,
    stop: cleanUp,
  };
}

/**
 * One runtime per data directory: `runtime.pid` names the live one. A file left by a runtime killed with -9
 * names a dead process and is taken over.
 */
function claimRuntime(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, RUNTIME_PID_FILE);
  const claim = claimPidFile(file, process.pid);
  if (!claim.ok) {
    throw new Error(
      `a Quell runtime (pid ${claim.holder}) is already running on ${dataDir}; stop it first ` +
        `(kill ${claim.holder}), or start from another directory`,
    );
  }
  return () => removePidFile(file, process.pid);
}

/**
 * Where accepted events, dead letters and executions are kept: under the data directory (`bus/pending`,
 * `bus/dead-letters`, `executions`), fsynced; in memory without one (tests), through the same code.
 */
function durableRecordsIn(dataDir: string | undefined): {
  bus: BusRecords;
  executions: ReturnType<typeof memoryRecords<ExecutionRecord>>;
} {
  if (!dataDir) return { bus: memoryBusRecords(), executions: memoryRecords() };
  return {
    bus: {
      pending: fileRecords(join(dataDir, "bus", "pending")),
      deadLetters: fileRecords(join(dataDir, "bus", "dead-letters")),
    },
    executions: fileRecords(join(dataDir, "executions")),
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

/**
 * Where the handlers reach the database: DynamoDB Local itself, or, only when the fault harness asks for it
 * (`QUELL_FAULT_DYNAMODB_THROTTLE_FILE`), a loopback proxy that throttles while that file exists. The supervisor's
 * probe always goes straight to the database: throttling is not an outage.
 */
async function databaseEndpointForHandlers(
  database: DatabaseSupervisor,
  env: Readonly<Record<string, string | undefined>>,
  cleanups: (() => Promise<void> | void)[],
): Promise<string> {
  const throttleFile = env[THROTTLE_FILE_VARIABLE] ?? process.env[THROTTLE_FILE_VARIABLE];
  if (!throttleFile) return database.endpoint;
  const proxy = await startThrottlingProxy({ throttleFile, upstream: () => database.endpoint });
  cleanups.push(() => proxy.close());
  console.error(
    `DynamoDB throttling injection on: the handlers go through ${proxy.endpoint} (${throttleFile})`,
  );
  return proxy.endpoint;
}
