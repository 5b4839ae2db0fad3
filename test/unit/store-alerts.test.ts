import { createServer, type Server } from "node:http";
import { DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CanonicalAlert } from "../../functions/shared/alert.js";
import type { Incident } from "../../functions/shared/incident.js";
import { retryTransactionConflicts } from "../../functions/shared/transactions.js";
import { type LocalStore, startLocalStore } from "./local-store.js";

/**
 * Issue 11 item 4, the store side: an alert is kept and counted in one transaction, once per alert id, however
 * many deliveries race; and a plain write that meets a transaction on its item is retried, not failed.
 */

const incident = (id: string): Incident =>
  ({
    id,
    status: "open",
    type: "jailbreak",
    severity: "high",
    title: "race",
    source: "generic",
    dedupKey: `race:${id}`,
    playbook: null,
    executionName: null,
    alertCount: 1,
    createdAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
  }) as Incident;

const alert = (id: string) =>
  ({
    id,
    source: "generic",
    receivedAt: new Date().toISOString(),
    details: { huge: 1e300, big: 2 ** 60, tiny: 5e-324 },
  }) as unknown as CanonicalAlert;

describe("keeping and counting alerts (DynamoDB Local)", () => {
  let local: LocalStore;
  beforeAll(async () => {
    local = await startLocalStore();
  });
  afterAll(async () => local?.stop());

  it("counts each of 20 racing alerts once, and none of their 20 racing redeliveries", async () => {
    const store = local.store(() => new Date());
    const id = `inc_race${Date.now()}`;
    expect(await store.createIncident(incident(id), alert(`${id}.first`))).toBe(true);
    expect(await store.createIncident(incident(id), alert(`${id}.first`))).toBe(false);
    const alerts = Array.from({ length: 20 }, (_, n) => alert(`${id}.${n}`));
    const added = await Promise.all(alerts.map((one) => store.addAlertIfOpen(id, one)));
    expect(added.map((result) => result.kind)).toEqual(Array(20).fill("added"));
    const again = await Promise.all(alerts.map((one) => store.addAlert(id, one)));
    expect(again.map((result) => result.kind)).toEqual(Array(20).fill("redelivered"));
    const detail = await store.getIncidentDetail(id);
    expect(detail?.alertCount).toBe(21);
    expect(detail?.alerts).toHaveLength(21);
    expect(detail?.alerts.find((kept) => kept.id === `${id}.7`)?.details).toEqual({
      huge: 1e300,
      big: 2 ** 60,
      tiny: 5e-324,
    });
  });

  it("writes nothing on an incident that is resolved or missing", async () => {
    const store = local.store(() => new Date());
    const id = `inc_closed${Date.now()}`;
    await store.createIncident({ ...incident(id), status: "resolved" });
    expect(await store.addAlertIfOpen(id, alert(`${id}.late`))).toEqual({ kind: "not_open" });
    expect(await store.addAlertIfOpen("inc_never_written", alert("alr_orphan"))).toEqual({
      kind: "not_open",
    });
    expect(await store.findAlert(`${id}.late`)).toBeUndefined();
    expect(await store.findAlert("alr_orphan")).toBeUndefined();
    expect((await store.getIncident(id))?.alertCount).toBe(1);
    await expect(store.addAlert("inc_never_written", alert("alr_orphan"))).rejects.toThrow(/not written yet/);
  });
});

describe("a plain write that meets a transaction on its item", () => {
  let server: Server;
  let endpoint: string;
  const requests: string[] = [];
  beforeAll(async () => {
    // A stand-in for DynamoDB that refuses the first write as DynamoDB does while a transaction holds the item.
    server = createServer((request, response) => {
      requests.push(String(request.headers["x-amz-target"]));
      request.resume();
      request.on("end", () => {
        if (requests.length === 1) {
          response.writeHead(400, { "content-type": "application/x-amz-json-1.0" });
          response.end(
            JSON.stringify({
              __type: "com.amazonaws.dynamodb.v20120810#TransactionConflictException",
              message: "Transaction is ongoing for the item",
            }),
          );
        } else {
          response.writeHead(200, { "content-type": "application/x-amz-json-1.0" });
          response.end("{}");
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    endpoint = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const put = (client: DynamoDBClient) =>
    client.send(new PutItemCommand({ TableName: "t", Item: { pk: { S: "INC#x" }, sk: { S: "META" } } }));
  const client = () =>
    new DynamoDBClient({
      endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "a", secretAccessKey: "b" },
    });

  it("is retried by the SDK once marked retryable, and succeeds", async () => {
    requests.length = 0;
    const marked = client();
    retryTransactionConflicts(marked);
    await expect(put(marked)).resolves.toBeDefined();
    expect(requests).toEqual(["DynamoDB_20120810.PutItem", "DynamoDB_20120810.PutItem"]);
  });

  it("fails at once without the mark (what the SDK does by itself)", async () => {
    requests.length = 0;
    await expect(put(client())).rejects.toMatchObject({ name: "TransactionConflictException" });
    expect(requests).toHaveLength(1);
  });
});
