import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { quellSignatureHeaders, slackSignatureHeaders } from "../../infra/local/signing.js";
import { countSdkCalls } from "../bench/sdk-call-counter.js";
import { type Harness, SECRETS, startHarness } from "./harness.js";
import type { RejectionEntry } from "./rejections.js";

/**
 * An unauthenticated flood at the two public URLs costs no database write per request (issue 12, public URLs
 * bounded): ingest tallies refusals anyone can cause per source, reason and minute; the Slack route refuses a bad
 * signature and writes nothing. Counted on the real runtime: every DynamoDB write the handlers send.
 */
const FLOOD = 60;
const DYNAMODB_WRITES = /^DynamoDB\.(Put|Update|Delete|TransactWrite|BatchWrite)(Item)?$/;

describe("an unauthenticated flood at the public URLs", () => {
  let harness: Harness;
  let sdk: ReturnType<typeof countSdkCalls>;
  beforeAll(async () => {
    sdk = countSdkCalls();
    harness = await startHarness({ dryRun: true });
  });
  afterAll(async () => {
    sdk?.restore();
    await harness?.stop();
  });

  const writes = () =>
    [...sdk.counts].filter(([key]) => DYNAMODB_WRITES.test(key)).reduce((sum, [, n]) => sum + n, 0);
  const post = (path: string, body: string, headers: Record<string, string>) =>
    fetch(`${harness.runtime.url}${path}`, { method: "POST", headers, body });
  /** After the tallies' timed flush (at most a second after the last refusal of a kind). */
  const afterFlush = () => new Promise((resolve) => setTimeout(resolve, 1500));

  it("ingest: bad signatures, bad tokens, unknown sources and oversized bodies cost at most two writes per kind", async () => {
    const alert = JSON.stringify({ schemaVersion: "1", id: "flood" });
    const kinds: [string, () => Promise<Response>][] = [
      ["bad signature", () => post("/alerts/generic", alert, quellSignatureHeaders(alert, "not-the-secret"))],
      [
        "bad bearer token",
        () =>
          post("/alerts/alertmanager", "{}", {
            "content-type": "application/json",
            authorization: "Bearer not-the-token",
          }),
      ],
      ["unknown source", () => post("/alerts/nope", "{}", { "content-type": "application/json" })],
      [
        "oversized body",
        () => post("/alerts/generic", "x".repeat(300 * 1024), quellSignatureHeaders("x", SECRETS.generic)),
      ],
    ];
    await afterFlush();
    const before = writes();
    const statuses = new Set<number>();
    const started = Date.now();
    for (const [, send] of kinds) {
      for (let n = 0; n < FLOOD; n++) statuses.add((await send()).status);
    }
    const seconds = Math.ceil((Date.now() - started) / 1000);
    await afterFlush();
    expect([...statuses].sort()).toEqual([401, 404, 413]);
    // Per kind, the first refusal is written at once and the rest at most once a second (REFUSAL_FLUSH_MS), plus
    // the final flush and a minute boundary the flood may cross: a bound set by time, not by the requests.
    expect(writes() - before).toBeLessThanOrEqual(kinds.length * (seconds + 3));
    expect(writes() - before).toBeLessThan((kinds.length * FLOOD) / 4);
    const day = new Date().toISOString().slice(0, 10);
    const { rejections } = (await (await harness.read(`/rejections?day=${day}&limit=200`)).json()) as {
      rejections: RejectionEntry[];
    };
    const counted = rejections.reduce(
      (sum, entry) => sum + (entry.kind === "unauthenticated" ? (entry.count ?? 0) : 0),
      0,
    );
    // Nothing is lost: every refusal is counted.
    expect(counted).toBe(kinds.length * FLOOD);
  });

  it("Slack: bad signatures and stale timestamps write nothing", async () => {
    await afterFlush();
    const before = writes();
    const body = "payload=%7B%7D";
    for (let n = 0; n < FLOOD; n++) {
      const forged = await post("/slack/events", body, slackSignatureHeaders(body, "not-the-signing-secret"));
      const stale = await post(
        "/slack/events",
        body,
        slackSignatureHeaders(body, SECRETS.slackSigning, new Date(Date.now() - 3600_000)),
      );
      expect([forged.status, stale.status]).toEqual([401, 401]);
    }
    await afterFlush();
    expect(writes() - before).toBe(0);
  });
});
