import { ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { DescribeExecutionCommand, SendTaskSuccessCommand, SFNClient } from "@aws-sdk/client-sfn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localDynamoClient } from "../../infra/local/dynamodb.js";
import { githubWebhookHeaders } from "../../infra/local/signing.js";
import { type Harness, INGEST_ONLY_ROUTE, SECRETS, startHarness, webhookForAlert } from "./harness.js";
import { listeningAddresses, rawExchange, requestWithHost } from "./raw-http.js";

const portOf = (url: string) => Number(new URL(url).port);
const errorOf = async (response: Response) =>
  ((await response.json()) as { error: { code: string; message: string } }).error;

/** The calls the issue forged on the public port: a PutEvents that opens an incident, a SendTaskSuccess. */
const FORGED = [
  {
    path: "/_aws/events",
    target: "AWSEvents.PutEvents",
    body: {
      Entries: [
        {
          Source: "quell.ingest",
          DetailType: "Alert Received",
          Detail: JSON.stringify({
            alertId: "alr_forged",
            source: "generic",
            receivedAt: new Date().toISOString(),
          }),
        },
      ],
    },
  },
  {
    path: "/_aws/sfn",
    target: "AWSStepFunctions.SendTaskSuccess",
    body: { taskToken: "a-task-token-read-from-the-database", output: '{"decision":"approved"}' },
  },
] as const;

describe("the local runtime's perimeter: only the contract's routes, only on loopback, only with credentials", () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({
      dryRun: true,
      triageConfig: { routes: [INGEST_ONLY_ROUTE], github: { allow: { organizations: ["example-corp"] } } },
    });
  });
  afterAll(async () => harness?.stop());

  describe("DynamoDB Local (issue 11, item 1)", () => {
    it("listens on 127.0.0.1 only, like the public port and the internal AWS endpoint", () => {
      for (const url of [
        harness.runtime.dynamoEndpoint,
        harness.runtime.url,
        harness.runtime.awsEndpointUrl,
      ]) {
        expect(listeningAddresses(portOf(url))).toEqual(["127.0.0.1"]);
      }
    });

    it("shows a client without the runtime's access key id an empty database, never Quell's tables", async () => {
      const intruder = localDynamoClient(harness.runtime.dynamoEndpoint, {
        accessKeyId: "local",
        secretAccessKey: "local",
      });
      const quell = localDynamoClient(harness.runtime.dynamoEndpoint, {
        accessKeyId: process.env.AWS_ACCESS_KEY_ID as string,
        secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY as string,
      });
      try {
        expect((await intruder.send(new ListTablesCommand({}))).TableNames).toEqual([]);
        expect((await quell.send(new ListTablesCommand({}))).TableNames).toContain("quell-incidents");
      } finally {
        intruder.destroy();
        quell.destroy();
      }
    });
  });

  describe("the Step Functions and EventBridge emulation (item 2)", () => {
    it.each(FORGED)("is not on the public port: $target there is a 404", async ({ path, target, body }) => {
      const response = await fetch(`${harness.runtime.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": target },
        body: JSON.stringify(body),
      });
      expect(response.status).toBe(404);
      expect((await errorOf(response)).code).toBe("not_found");
    });

    it.each(FORGED)(
      "refuses an unsigned $target on the internal port: 403",
      async ({ path, target, body }) => {
        const response = await fetch(`${harness.runtime.awsEndpointUrl}${path.replace("/_aws", "")}`, {
          method: "POST",
          headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": target },
          body: JSON.stringify(body),
        });
        expect(response.status).toBe(403);
      },
    );

    it.each([
      ["another access key id", () => ({ accessKeyId: "AKIDFORGED", secretAccessKey: "anything" })],
      [
        "this runtime's access key id and a wrong secret",
        // Read when the test runs: the runtime sets the environment as it starts.
        () => ({
          accessKeyId: process.env.AWS_ACCESS_KEY_ID as string,
          secretAccessKey: "not-this-run-secret",
        }),
      ],
    ] as const)("refuses SendTaskSuccess signed with %s: 403", async (_name, credentials) => {
      const sfn = new SFNClient({
        endpoint: `${harness.runtime.awsEndpointUrl}/sfn`,
        region: "us-east-1",
        credentials: credentials(),
        maxAttempts: 1,
      });
      try {
        const refused = await sfn
          .send(new SendTaskSuccessCommand({ taskToken: "a-task-token", output: "{}" }))
          .then(() => "accepted")
          .catch((error: { $metadata?: { httpStatusCode?: number } }) => error.$metadata?.httpStatusCode);
        expect(refused).toBe(403);
      } finally {
        sfn.destroy();
      }
    });

    it("answers Quell's own signed calls", async () => {
      const sfn = new SFNClient({ maxAttempts: 1 });
      try {
        const missing = await sfn
          .send(
            new DescribeExecutionCommand({
              executionArn: "arn:aws:states:us-east-1:000000000000:execution:x:y",
            }),
          )
          .catch((error: Error) => error.name);
        expect(missing).toBe("ExecutionDoesNotExist");
      } finally {
        sfn.destroy();
      }
      const events = new EventBridgeClient({ maxAttempts: 1 });
      try {
        const put = await events.send(
          new PutEventsCommand({
            Entries: [{ Source: "quell.test", DetailType: "Nobody Listens", Detail: "{}" }],
          }),
        );
        expect(put.FailedEntryCount).toBe(0);
      } finally {
        events.destroy();
      }
    });

    it("opened no incident from any forged call", async () => {
      await harness.runtime.idle();
      const incidents = (await (await harness.read("/incidents")).json()) as { incidents: { id: string }[] };
      expect(incidents.incidents).toEqual([]);
    });
  });

  describe("reads and Host names (item 3)", () => {
    it.each(["/incidents", "/incidents/inc_x", "/rejections", "/unmatched", "/anything-else"])(
      "GET %s without the read token is a 401 in Quell's error shape",
      async (path) => {
        for (const authorization of [
          undefined,
          "Bearer not-the-read-token",
          SECRETS.read,
          "Basic dGVzdA==",
        ]) {
          const response = await fetch(`${harness.runtime.url}${path}`, {
            headers: authorization ? { authorization } : {},
          });
          expect(response.status).toBe(401);
          expect(response.headers.get("www-authenticate")).toContain("Bearer");
          const error = await errorOf(response);
          expect(error.code).toBe("unauthorized");
          expect(error.message).toMatch(/read token/);
        }
      },
    );

    it("serves /healthz without a token, and reads with it", async () => {
      expect((await fetch(`${harness.runtime.url}/healthz`)).status).toBe(200);
      expect((await harness.read("/incidents")).status).toBe(200);
      expect((await harness.read("/incidents/inc_missing")).status).toBe(404);
    });

    it.each(["localhost", "127.0.0.1", "[::1]"])("serves Host %s with any port", async (name) => {
      for (const host of [name, `${name}:${portOf(harness.runtime.url)}`, `${name}:1`]) {
        const answer = await requestWithHost(harness.runtime.url, { host, path: "/healthz" });
        expect(answer.status).toBe(200);
      }
    });

    it.each([
      "evil.example",
      "evil.example:8787",
      "127.0.0.1.evil.example",
      "localhost.evil.example",
      "[::1].evil.example",
    ])("refuses Host %j on every route, GET or POST, signed or not: 421", async (host) => {
      const body = webhookForAlert(9001);
      const requests = [
        { path: "/healthz" },
        { path: "/incidents", headers: { authorization: `Bearer ${SECRETS.read}` } },
        { path: "/alerts/github", method: "POST", headers: githubWebhookHeaders(body, SECRETS.github), body },
      ];
      for (const request of requests) {
        const answer = await requestWithHost(harness.runtime.url, { host, ...request });
        expect(answer.status).toBe(421);
        const { error } = JSON.parse(answer.body) as { error: { code: string; message: string } };
        expect(error.code).toBe("misdirected_request");
        expect(error.message).toContain("127.0.0.1, localhost, [::1]");
      }
    });

    it.each([
      ["an empty Host", "GET /healthz HTTP/1.1\r\nHost: \r\n\r\n"],
      ["no Host (HTTP/1.0)", "GET /healthz HTTP/1.0\r\n\r\n"],
    ])("refuses %s: 421", async (_name, request) => {
      const exchange = await rawExchange(portOf(harness.runtime.url), [request], { expectResponses: 1 });
      expect(exchange.statuses).toEqual([421]);
    });

    it("took no alert sent with a foreign Host", async () => {
      await harness.runtime.idle();
      const incidents = (await (await harness.read("/incidents")).json()) as { incidents: unknown[] };
      expect(incidents.incidents).toEqual([]);
    });
  });
});
