import { rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DynamoDBClient,
  ListTablesCommand,
  PutItemCommand,
  TransactWriteItemsCommand,
} from "@aws-sdk/client-dynamodb";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { closeServer } from "../../infra/local/aws-endpoint.js";
import {
  startThrottlingProxy,
  type ThrottlingProxy,
  throttleShare,
} from "../../infra/local/dynamodb-throttle.js";

const file = join(tmpdir(), `quell-throttle-${process.pid}-${Date.now()}`);
let upstream: Server;
let upstreamUrl = "";
const seen: { target: string; headers: IncomingHttpHeaders; body: string }[] = [];
let proxy: ThrottlingProxy;

beforeAll(async () => {
  upstream = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => {
      body += chunk;
    });
    request.on("end", () => {
      seen.push({ target: String(request.headers["x-amz-target"]), headers: request.headers, body });
      response.writeHead(200, { "content-type": "application/x-amz-json-1.0" });
      response.end(JSON.stringify({ TableNames: ["upstream-table"] }));
    });
  });
  await new Promise<void>((done) => upstream.listen(0, "127.0.0.1", done));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  proxy = await startThrottlingProxy({ throttleFile: file, upstream: () => upstreamUrl });
});
afterAll(async () => {
  await proxy.close();
  await closeServer(upstream);
});
afterEach(() => {
  rmSync(file, { force: true });
  seen.length = 0;
});

const client = () =>
  new DynamoDBClient({
    endpoint: proxy.endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "AKIDTHROTTLE", secretAccessKey: "secret" },
    maxAttempts: 1,
  });

describe("the harness's DynamoDB throttling proxy", () => {
  it("passes requests through, signature headers and body unchanged, while there is no throttle file", async () => {
    const answer = await client().send(new ListTablesCommand({ Limit: 3 }));
    expect(answer.TableNames).toEqual(["upstream-table"]);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.target).toBe("DynamoDB_20120810.ListTables");
    expect(String(seen[0]?.headers.authorization)).toContain("Credential=AKIDTHROTTLE/");
    expect(JSON.parse(seen[0]?.body ?? "{}")).toEqual({ Limit: 3 });
    expect(proxy.throttled()).toBe(0);
  });

  it("answers a single-item call with ProvisionedThroughputExceededException while the file exists, sending nothing on", async () => {
    writeFileSync(file, "");
    const attempt = client().send(new PutItemCommand({ TableName: "t", Item: { pk: { S: "a" } } }));
    await expect(attempt).rejects.toMatchObject({
      name: "ProvisionedThroughputExceededException",
      $metadata: { httpStatusCode: 400 },
    });
    expect(seen).toHaveLength(0);
    expect(proxy.throttled()).toBeGreaterThan(0);
  });

  it("cancels a transaction with a ThrottlingError reason per item, as DynamoDB does (the SDK does not retry it)", async () => {
    writeFileSync(file, "1");
    const items = [1, 2].map((n) => ({ Put: { TableName: "t", Item: { pk: { S: `k${n}` } } } }));
    const attempt = client().send(new TransactWriteItemsCommand({ TransactItems: items }));
    await expect(attempt).rejects.toMatchObject({
      name: "TransactionCanceledException",
      CancellationReasons: [{ Code: "ThrottlingError" }, { Code: "ThrottlingError" }],
    });
  });

  it("throttles the share written in the file", async () => {
    expect(throttleShare(file)).toBe(0);
    writeFileSync(file, "0.25");
    expect(throttleShare(file)).toBe(0.25);
    writeFileSync(file, "0");
    await expect(client().send(new ListTablesCommand({}))).resolves.toBeDefined();
    writeFileSync(file, "7");
    expect(throttleShare(file)).toBe(1);
  });
});
