import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { EXAMPLE_CONFIG_PATH } from "../../infra/aws/team-config.js";
import { fixture } from "./triage-harness.js";

/**
 * Issue 11 item 4: a triage failure is logged with the alert id and the error (under keys Powertools Logger keeps:
 * it drops a `message` attribute), and rethrown so the bus retries the delivery.
 */

/** A port nothing listens on: DynamoDB there refuses every connection. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === "object" && address ? address.port : 1;
}

describe("the triage handler, when triage fails", () => {
  const lines: string[] = [];
  beforeAll(async () => {
    Object.assign(process.env, {
      QUELL_TABLE_NAME: "quell-incidents",
      QUELL_PLAYBOOK_ARNS: "{}",
      // Triage reads its configuration at load: the example team file, as `npm start` does.
      QUELL_CONFIG_FILE: EXAMPLE_CONFIG_PATH,
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
      AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${await closedPort()}`,
      AWS_MAX_ATTEMPTS: "1",
      // Powertools then logs through the global console, which the test reads.
      POWERTOOLS_DEV: "true",
      POWERTOOLS_LOG_LEVEL: "INFO",
    });
    for (const method of ["log", "info", "warn", "error"] as const)
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        lines.push(args.map(String).join(" "));
      });
  });
  afterAll(() => vi.restoreAllMocks());

  it("logs the alert id and the error's name and message, and rethrows for the bus to retry", async () => {
    const { handler } = await import("../../functions/triage/handler.js");
    const event = fixture("aws/guardduty", "ai-anomalous-model-invocation-iamuser-key.json");
    await expect(handler(event)).rejects.toThrow();
    const failure = lines
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as Record<string, unknown>];
        } catch {
          return [];
        }
      })
      .find((entry) => entry.message === "triage failed; the bus retries the delivery");
    expect(failure).toMatchObject({
      level: "ERROR",
      alertId: `evt_${event.id}`,
      source: "aws.guardduty",
      error: { name: expect.any(String), message: expect.stringMatching(/\S/) },
    });
  });
});
