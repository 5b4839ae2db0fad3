import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { githubWebhookHeaders } from "../../infra/local/signing.js";
import { type Harness, INGEST_ONLY_ROUTE, SECRETS, startHarness, webhookForAlert } from "./harness.js";
import { rawExchange } from "./raw-http.js";

const LIMIT = 256 * 1024;
const MB = 1024 * 1024;

interface Page<T> {
  nextCursor?: string;
  more: boolean;
  incidents?: T[];
  rejections?: T[];
}
/** What GET /rejections lists of an unauthenticated refusal: a tally per source, reason and minute. */
interface KeptRefusal {
  kind: string;
  source: string;
  status: number;
  code: string;
  count?: number;
  sample?: { message: string; bodyBytes: number; bodySha256: string };
}

/** A request's head, as a client writes it (the Host header names loopback). */
const head = (lines: string[]) => `${lines.join("\r\n")}\r\nHost: 127.0.0.1\r\n\r\n`;
const HEALTHZ = head(["GET /healthz HTTP/1.1"]);
const postAlertHead = (headers: string[]) =>
  head(["POST /alerts/github HTTP/1.1", "Content-Type: application/json", ...headers]);
const chunked = (body: Buffer, size = 64 * 1024) => {
  const parts: Buffer[] = [];
  for (let at = 0; at < body.length; at += size) {
    const chunk = body.subarray(at, at + size);
    parts.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from("\r\n"));
  }
  return Buffer.concat([...parts, Buffer.from("0\r\n\r\n")]);
};

describe("the local server's requests: pages, bounds and connections (issue 11, items 8, 10, 12)", () => {
  let harness: Harness;
  let port: number;
  beforeAll(async () => {
    harness = await startHarness({
      dryRun: true,
      triageConfig: { routes: [INGEST_ONLY_ROUTE], github: { allow: { organizations: ["example-corp"] } } },
    });
    port = Number(new URL(harness.runtime.url).port);
  });
  afterAll(async () => harness?.stop());
  const readJson = async <T>(path: string) => {
    const response = await harness.read(path);
    return { status: response.status, body: (await response.json()) as T };
  };

  describe("GET /incidents pages with a cursor and says when there is more (item 8)", () => {
    const numbers = [101, 102, 103, 104, 105];
    beforeAll(async () => {
      for (const number of numbers)
        expect((await harness.postGitHub(webhookForAlert(number))).status).toBe(202);
      await harness.runtime.idle();
    });

    it("walks every incident once, newest first, two at a time", async () => {
      const seen: { id: string; createdAt: string }[] = [];
      const pages: boolean[] = [];
      let cursor: string | undefined;
      do {
        const query = cursor ? `limit=2&cursor=${cursor}` : "limit=2";
        const { status, body } = await readJson<Page<{ id: string; createdAt: string }>>(
          `/incidents?${query}`,
        );
        expect(status).toBe(200);
        expect(body.incidents?.length).toBeLessThanOrEqual(2);
        seen.push(...(body.incidents ?? []));
        pages.push(body.more);
        expect(body.more).toBe(body.nextCursor !== undefined);
        cursor = body.nextCursor;
      } while (cursor);
      expect(pages).toEqual([true, true, false]);
      expect(new Set(seen.map((incident) => incident.id)).size).toBe(numbers.length);
      const times = seen.map((incident) => incident.createdAt);
      expect(times).toEqual([...times].sort().reverse());
    });

    it("answers 50 by default and says there is no more", async () => {
      const { body } = await readJson<Page<unknown>>("/incidents");
      expect(body.incidents).toHaveLength(numbers.length);
      expect(body.more).toBe(false);
      expect(body.nextCursor).toBeUndefined();
    });

    it.each([
      ["limit=0", "bad_limit", "limit"],
      ["limit=201", "bad_limit", "limit"],
      ["limit=ten", "bad_limit", "limit"],
      ["cursor=not*a*cursor", "invalid_cursor", "cursor"],
      [
        `cursor=${Buffer.from('{"pk":"INC#x","sk":"META"}').toString("base64url")}`,
        "invalid_cursor",
        "cursor",
      ],
      [`cursor=${Buffer.from("[1,2]").toString("base64url")}`, "invalid_cursor", "cursor"],
    ])("refuses ?%s with a 400 naming it", async (query, code, named) => {
      const { status, body } = await readJson<{ error: { code: string; message: string } }>(
        `/incidents?${query}`,
      );
      expect(status).toBe(400);
      expect(body.error.code).toBe(code);
      expect(body.error.message).toContain(named);
    });
  });

  describe("the server checks before it reads, and reads no more than the route takes (item 10)", () => {
    it("refuses a declared 10 MB alert at once, without waiting for the body, and keeps the refusal", async () => {
      const exchange = await rawExchange(port, [postAlertHead([`Content-Length: ${10 * MB}`])], {
        timeoutMs: 3_000,
      });
      expect(exchange.statuses).toEqual([413]);
      expect(exchange.text).toMatch(/connection: close/i);
      expect(exchange.text).toContain(`body is ${10 * MB} bytes; the limit is ${LIMIT}`);
      expect(exchange.closed).toBe(true);
    });

    it("refuses a declared body of another content type at once: 415", async () => {
      const exchange = await rawExchange(
        port,
        [head(["POST /alerts/github HTTP/1.1", "Content-Type: text/plain", `Content-Length: ${10 * MB}`])],
        { timeoutMs: 3_000 },
      );
      expect(exchange.statuses).toEqual([415]);
      expect(exchange.closed).toBe(true);
    });

    it("refuses another method on an ingest route: 405 naming POST", async () => {
      const response = await harness.read("/alerts/github");
      expect(response.status).toBe(405);
      expect(response.headers.get("allow")).toBe("POST");
      const put = await fetch(`${harness.runtime.url}/alerts/github`, { method: "PUT", body: "{}" });
      expect(put.status).toBe(405);
    });

    it("refuses a chunked body once it passes the limit, counting as it reads", async () => {
      const body = Buffer.alloc(LIMIT + 4096, "x");
      const exchange = await rawExchange(
        port,
        [postAlertHead(["Transfer-Encoding: chunked"]), chunked(body), HEALTHZ],
        { expectResponses: 2 },
      );
      expect(exchange.statuses).toEqual([413, 200]);
      expect(exchange.text).toContain(`body exceeds the limit of ${LIMIT} bytes`);
    });

    it("tallies each early refusal of an ingest route as ingest tallies its own unauthenticated refusals", async () => {
      const day = new Date().toISOString().slice(0, 10);
      const github = async () => {
        const { body } = await readJson<Page<KeptRefusal>>(`/rejections?day=${day}&limit=200`);
        return (body.rejections ?? []).filter((entry) => entry.source === "github");
      };
      const tallied = (entries: KeptRefusal[], status: number) =>
        entries
          .filter((entry) => entry.status === status)
          .reduce((sum, entry) => sum + (entry.count ?? 0), 0);
      // The first refusal of a kind is written at once; later ones within a second, by ingest's counter's timer.
      const expected = { 405: 2, 413: 2, 415: 1 };
      let entries = await github();
      const deadline = Date.now() + 5_000;
      while (Object.entries(expected).some(([status, count]) => tallied(entries, Number(status)) < count)) {
        if (Date.now() > deadline) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
        entries = await github();
      }
      for (const [status, count] of Object.entries(expected))
        expect(tallied(entries, Number(status))).toBe(count);
      expect(entries.every((entry) => entry.kind === "unauthenticated")).toBe(true);
      expect(entries).toContainEqual(
        expect.objectContaining({
          status: 413,
          code: "too_large",
          sample: expect.objectContaining({ bodyBytes: 10 * MB, bodySha256: "" }),
        }),
      );
    });
  });

  describe("a connection after a refusal (item 12)", () => {
    it("answers the next request on the same connection after a 413 whose body was sent", async () => {
      const body = Buffer.alloc(300 * 1024, "y");
      const exchange = await rawExchange(
        port,
        [postAlertHead([`Content-Length: ${body.length}`]), body, HEALTHZ],
        { expectResponses: 2 },
      );
      expect(exchange.statuses).toEqual([413, 200]);
    });

    it("closes the connection, never hangs, after a 413 whose body is too large to drain", async () => {
      const body = Buffer.alloc(2 * MB, "z");
      const exchange = await rawExchange(
        port,
        [postAlertHead([`Content-Length: ${body.length}`]), body, HEALTHZ],
        {
          timeoutMs: 10_000,
        },
      );
      expect(exchange.closed).toBe(true);
      expect(exchange.statuses).not.toContain(200);
      if (exchange.statuses.length > 0) expect(exchange.statuses).toEqual([413]);
    });

    it("answers the next request after a refused read (401) on the same connection", async () => {
      const exchange = await rawExchange(port, [head(["GET /incidents HTTP/1.1"]), HEALTHZ], {
        expectResponses: 2,
      });
      expect(exchange.statuses).toEqual([401, 200]);
    });

    it("still accepts a signed alert afterwards", async () => {
      const alert = webhookForAlert(106);
      const response = await fetch(`${harness.runtime.url}/alerts/github`, {
        method: "POST",
        headers: githubWebhookHeaders(alert, SECRETS.github),
        body: alert,
      });
      expect(response.status).toBe(202);
    });
  });
});
