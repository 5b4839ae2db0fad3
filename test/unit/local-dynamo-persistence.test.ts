import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, describe, expect, it } from "vitest";
import { LOCAL_TABLES, localDynamoClient, startLocalDynamo } from "../../infra/local/dynamodb.js";

const TABLE = LOCAL_TABLES[0].name;
const credentials = { accessKeyId: "persistencetest", secretAccessKey: "unused" };
const clientFor = (endpoint: string) => DynamoDBDocumentClient.from(localDynamoClient(endpoint, credentials));

describe("DynamoDB Local with a data directory (the local runtime's .quell/dynamodb)", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "quell-dynamo-"));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("keeps what was written across a restart, in the directory it was given", async () => {
    const first = await startLocalDynamo({ dataDir, credentials });
    const writer = clientFor(first.endpoint);
    await writer.send(
      new PutCommand({ TableName: TABLE, Item: { pk: "INC#kept", sk: "INC", status: "open" } }),
    );
    writer.destroy();
    await first.stop();
    expect(readdirSync(dataDir).some((name) => name.endsWith(".db"))).toBe(true);

    const second = await startLocalDynamo({ dataDir, credentials });
    const reader = clientFor(second.endpoint);
    try {
      const read = await reader.send(
        new GetCommand({ TableName: TABLE, Key: { pk: "INC#kept", sk: "INC" } }),
      );
      expect(read.Item).toEqual({ pk: "INC#kept", sk: "INC", status: "open" });
    } finally {
      reader.destroy();
      await second.stop();
    }
  });
});
