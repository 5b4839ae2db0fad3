/**
 * Shared base for the local stand-ins: small fake HTTP servers on loopback that answer like a third-party API
 * (GitHub, OpenAI, Slack) closely enough for end-to-end tests and the local demo. They are stand-ins, not the
 * real services: every request is recorded so tests can assert exactly what a client sent.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import {
  createFaultQueue,
  type FaultQueue,
  type FaultResponder,
  type FiredFault,
  genericFaultResponse,
} from "./faults.js";

/** One request as a stand-in received it. Unknown routes and refused requests are recorded too. */
export interface RecordedRequest {
  method: string;
  /** Path without the query string, as sent (not decoded). */
  path: string;
  query: Record<string, string>;
  /** The Authorization header as sent, or undefined. */
  authorization: string | undefined;
  contentType: string | undefined;
  /**
   * Parsed body: JSON for application/json, an object of strings for application/x-www-form-urlencoded, the
   * raw text otherwise (undefined when empty). A stand-in may refine it (Slack parses JSON-encoded fields).
   */
  body: unknown;
  at: Date;
}

/** What a handler sees: the recorded request plus the raw material it was parsed from. */
export interface StandinRequest extends RecordedRequest {
  headers: IncomingHttpHeaders;
  rawBody: string;
  /** The body's bytes exactly as received (`rawBody` is them decoded as UTF-8). */
  rawBytes: Buffer;
  /** True when the content type said JSON but the body did not parse (body is then the raw text). */
  bodyParseError: boolean;
}

export interface StandinResponse {
  status: number;
  /**
   * Serialised as JSON unless it is a string (sent as text/plain), a Buffer (sent as is, as
   * application/octet-stream) or undefined (empty body).
   */
  body?: unknown;
  headers?: Record<string, string>;
}

export type StandinHandler = (request: StandinRequest) => StandinResponse | Promise<StandinResponse>;

export interface StandinOptions {
  /** Human-readable name, e.g. "GitHub API"; the demo prints it with the URL. */
  name: string;
  /** Defaults to 0 (any free port). */
  port?: number;
  handle: StandinHandler;
  /** Optional refinement of the parsed body before it is recorded and handed to `handle`. */
  refineBody?: (body: unknown, request: StandinRequest) => unknown;
  /**
   * Takes an HTTP upgrade (a WebSocket, for Slack Socket Mode); recorded like any request. Without it upgrades
   * are answered 404. Upgraded connections are destroyed by close().
   */
  upgrade?: (request: IncomingMessage, socket: Duplex, head: Buffer) => void;
  /** The provider's own error for a queued fault's status (see faults.ts); default a generic JSON error. */
  faultResponse?: FaultResponder;
}

/** How a stand-in answered one request: what its handler said, if it ran, and what the client was sent. */
export interface AnsweredRequest {
  request: RecordedRequest;
  /** The handler's status; undefined when a fault answered without letting the handler run. */
  handledStatus: number | undefined;
  /** The status sent (the fault's, when one fired). */
  status: number;
  /** The fault that answered, if any. */
  fault: FiredFault | undefined;
}

export interface Standin {
  name: string;
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:43123 */
  url: string;
  /** Every request received, in order of arrival. */
  requests: RecordedRequest[];
  /**
   * Every request answered, in order of answering: whether the handler ran (a provider write took effect only
   * when it did and answered 2xx) and what was sent. Requests still waiting on a fault's delay are not here yet.
   */
  answered: AnsweredRequest[];
  /** Failures to inject: the next matching requests answer an error, applied or not, late or not. */
  faults: FaultQueue;
  /** "<name> (local stand-in) at <url>": what the demo prints so nobody mistakes it for the real service. */
  describe(): string;
  close(): Promise<void>;
}

const HOST = "127.0.0.1";

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(", ") : value;
}

function mediaType(contentType: string | undefined): string {
  return (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
}

function parseBody(raw: string, contentType: string | undefined): { body: unknown; error: boolean } {
  if (raw.length === 0) return { body: undefined, error: false };
  const type = mediaType(contentType);
  if (type === "application/json" || type.endsWith("+json")) {
    try {
      return { body: JSON.parse(raw) as unknown, error: false };
    } catch {
      return { body: raw, error: true };
    }
  }
  if (type === "application/x-www-form-urlencoded") {
    return { body: Object.fromEntries(new URLSearchParams(raw)), error: false };
  }
  return { body: raw, error: false };
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function send(response: ServerResponse, result: StandinResponse): void {
  const headers: Record<string, string> = {};
  let payload: string | Buffer = "";
  if (Buffer.isBuffer(result.body)) {
    headers["content-type"] = "application/octet-stream";
    payload = result.body;
  } else if (typeof result.body === "string") {
    headers["content-type"] = "text/plain; charset=utf-8";
    payload = result.body;
  } else if (result.body !== undefined) {
    headers["content-type"] = "application/json; charset=utf-8";
    payload = JSON.stringify(result.body);
  }
  Object.assign(headers, result.headers);
  headers["content-length"] = String(Buffer.byteLength(payload));
  response.writeHead(result.status, headers);
  response.end(payload);
}

export async function startStandin(options: StandinOptions): Promise<Standin> {
  const requests: RecordedRequest[] = [];
  const answered: AnsweredRequest[] = [];
  const faults = createFaultQueue();
  const faultResponse = options.faultResponse ?? genericFaultResponse;
  // Aborted by close(): a fault's pending delay ends and its connection is dropped.
  const closing = new AbortController();

  const server = createServer((req, res) => {
    const at = new Date();
    void (async () => {
      const rawBytes = await readBody(req);
      const rawBody = rawBytes.toString("utf8");
      const url = new URL(req.url ?? "/", `http://${HOST}`);
      const contentType = headerValue(req.headers["content-type"]);
      const parsed = parseBody(rawBody, contentType);
      const request: StandinRequest = {
        method: (req.method ?? "GET").toUpperCase(),
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        authorization: headerValue(req.headers.authorization),
        contentType,
        body: parsed.body,
        at,
        headers: req.headers,
        rawBody,
        rawBytes,
        bodyParseError: parsed.error,
      };
      if (options.refineBody) request.body = options.refineBody(request.body, request);
      const recorded: RecordedRequest = {
        method: request.method,
        path: request.path,
        query: request.query,
        authorization: request.authorization,
        contentType: request.contentType,
        body: request.body,
        at: request.at,
      };
      requests.push(recorded);
      const fault = faults.take(recorded);
      if (!fault) {
        const result = await options.handle(request);
        answered.push({
          request: recorded,
          handledStatus: result.status,
          status: result.status,
          fault: undefined,
        });
        return send(res, result);
      }
      const handled = fault.applied ? await options.handle(request) : undefined;
      const handledStatus = handled?.status;
      const fired: FiredFault = {
        fault,
        request: recorded,
        handledStatus,
        status: fault.status,
        at: new Date(),
      };
      faults.fired.push(fired);
      if (fault.delayMs) await sleep(fault.delayMs, undefined, { signal: closing.signal });
      answered.push({ request: recorded, handledStatus, status: fault.status, fault: fired });
      if (res.destroyed) return;
      // A 2xx fault on an applied request without a body of its own is a slow success: the real answer, late.
      if (handled && fault.status < 300 && fault.body === undefined) {
        return send(res, {
          ...handled,
          status: fault.status,
          headers: { ...handled.headers, ...fault.headers },
        });
      }
      const shaped = faultResponse(fault.status);
      send(res, {
        status: fault.status,
        body: fault.body === undefined ? shaped.body : fault.body,
        headers: { ...shaped.headers, ...fault.headers },
      });
    })().catch((error: unknown) => {
      if (closing.signal.aborted) return void res.destroy();
      const message = error instanceof Error ? error.message : String(error);
      if (!res.headersSent) send(res, { status: 500, body: { error: "standin_internal_error", message } });
      else res.destroy();
    });
  });

  const upgraded = new Set<Duplex>();
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? "/", `http://${HOST}`);
    requests.push({
      method: (req.method ?? "GET").toUpperCase(),
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      authorization: headerValue(req.headers.authorization),
      contentType: headerValue(req.headers["content-type"]),
      body: undefined,
      at: new Date(),
    });
    if (!options.upgrade) {
      socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    upgraded.add(socket);
    socket.once("close", () => upgraded.delete(socket));
    options.upgrade(req, socket, head);
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, HOST, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${HOST}:${port}`;

  return {
    name: options.name,
    url,
    requests,
    answered,
    faults,
    describe: () => `${options.name} (local stand-in) at ${url}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        closing.abort();
        server.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive connections (fetch keeps them) and upgraded ones would otherwise hold close() open.
        server.closeAllConnections();
        for (const socket of upgraded) socket.destroy();
      }),
  };
}

/**
 * Matches a path against a pattern such as "/repos/:owner/:repo/alerts/:number". Returns the decoded
 * parameters, or undefined when the path does not match. A trailing slash on the path is not accepted.
 */
export function matchPath(pattern: string, path: string): Record<string, string> | undefined {
  const expected = pattern.split("/");
  const actual = path.split("/");
  if (expected.length !== actual.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < expected.length; i++) {
    const want = expected[i] ?? "";
    const got = actual[i] ?? "";
    if (want.startsWith(":")) {
      if (got.length === 0) return undefined;
      try {
        params[want.slice(1)] = decodeURIComponent(got);
      } catch {
        return undefined;
      }
    } else if (want !== got) {
      return undefined;
    }
  }
  return params;
}

/** The token of an `Authorization: <scheme> <token>` header when the scheme is one of `schemes` (any case). */
export function tokenFrom(
  authorization: string | undefined,
  schemes: readonly string[] = ["bearer"],
): string | undefined {
  if (!authorization) return undefined;
  const match = /^(\S+)\s+(\S.*)$/.exec(authorization.trim());
  if (!match?.[1] || !match[2]) return undefined;
  return schemes.includes(match[1].toLowerCase()) ? match[2].trim() : undefined;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
