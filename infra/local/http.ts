import { createHash, type Hash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";

/** Lambda Function URLs refuse request payloads over 6 MB; so does the local server. */
export const FUNCTION_URL_MAX_BYTES = 6 * 1024 * 1024;

/**
 * How much of a refused body the server reads, and discards, so the connection can carry the next request; a
 * larger one is not read further and its connection is closed after the answer.
 */
export const DRAIN_MAX_BYTES = 1024 * 1024;

/** A body refused for its size or before it was read: what is known of it, never the bytes. */
export interface UnreadBody {
  /** Bytes received (a lower bound when not `complete`). */
  readonly bytes: number;
  /** SHA-256 of the whole body, when it was received to its end. */
  readonly sha256: string | undefined;
  /** Whether the body was received to its end (the connection can be kept). */
  readonly complete: boolean;
}

export type BodyRead =
  | { readonly ok: true; readonly body: Buffer }
  | { readonly ok: false; readonly unread: UnreadBody };

/** The declared Content-Length, when there is one (a chunked body has none). */
export function declaredLength(request: IncomingMessage): number | undefined {
  const header = request.headers["content-length"];
  return header !== undefined && /^\d{1,15}$/.test(header) ? Number(header) : undefined;
}

/** Whether the client waits for `100 Continue` before it sends the body. */
export const expectsContinue = (request: IncomingMessage) =>
  (request.headers.expect ?? "").toLowerCase() === "100-continue";

/**
 * Read a body of at most `maxBytes`. Past the limit nothing more is kept: the rest is hashed and discarded up
 * to DRAIN_MAX_BYTES in all, then reading stops. Never buffers more than `maxBytes`.
 */
export function readBody(request: IncomingMessage, maxBytes: number): Promise<BodyRead> {
  if (request.readableEnded) return Promise.resolve({ ok: true, body: Buffer.alloc(0) });
  return new Promise((resolve, reject) => {
    let kept: Buffer[] | undefined = [];
    let bytes = 0;
    let hash: Hash | undefined;
    const settle = (result: BodyRead) => {
      request.off("data", onData).off("end", onEnd).off("error", onError);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      bytes += chunk.length;
      if (kept && bytes <= maxBytes) {
        kept.push(chunk);
        return;
      }
      if (!hash) {
        hash = createHash("sha256");
        for (const part of kept ?? []) hash.update(part);
        kept = undefined;
      }
      hash.update(chunk);
      if (bytes > DRAIN_MAX_BYTES) {
        request.pause();
        settle({ ok: false, unread: { bytes, sha256: undefined, complete: false } });
      }
    };
    const onEnd = () =>
      settle(
        kept
          ? { ok: true, body: Buffer.concat(kept, bytes) }
          : { ok: false, unread: { bytes, sha256: hash?.digest("hex"), complete: true } },
      );
    const onError = (error: Error) => {
      request.off("data", onData).off("end", onEnd).off("error", onError);
      reject(error);
    };
    request.on("data", onData).on("end", onEnd).on("error", onError);
  });
}

/**
 * Before answering a request refused without its body: discard the body when it is small enough to keep the
 * connection (hashing it, for the record), else read nothing. A client waiting for `100 Continue` sends nothing.
 */
export async function discardBody(request: IncomingMessage): Promise<UnreadBody> {
  const declared = declaredLength(request);
  if (expectsContinue(request) || (declared !== undefined && declared > DRAIN_MAX_BYTES)) {
    return { bytes: declared ?? 0, sha256: undefined, complete: declared === 0 };
  }
  const read = await readBody(request, 0);
  return read.ok ? { bytes: 0, sha256: createHash("sha256").digest("hex"), complete: true } : read.unread;
}

/**
 * Answer with JSON. `close` when the request body was not read to its end: the connection cannot carry another
 * request, so the answer says so and the socket is closed after it.
 */
export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  options: { close?: boolean; headers?: Record<string, string> } = {},
) {
  response.writeHead(status, {
    "content-type": "application/json",
    ...options.headers,
    ...(options.close ? { connection: "close" } : {}),
  });
  response.end(JSON.stringify(body));
}

/** Quell's error shape, `{"error": {"code", "message"}}`. */
export function sendError(
  response: ServerResponse,
  status: number,
  error: { code: string; message: string },
  options: { close?: boolean; headers?: Record<string, string> } = {},
) {
  sendJson(response, status, { error }, options);
}

/**
 * The event a Lambda Function URL would deliver for this request. By default the body travels as exact
 * bytes (base64); `text` delivers it as a string, as Function URLs do for text content types.
 */
export function toFunctionUrlEvent(
  request: IncomingMessage,
  body: Buffer,
  encoding: "base64" | "text" = "base64",
): APIGatewayProxyEventV2 {
  const url = new URL(request.url ?? "/", "http://127.0.0.1");
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(",") : value;
  }
  const now = new Date();
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    requestContext: {
      accountId: "anonymous",
      apiId: "local",
      domainName: "127.0.0.1",
      domainPrefix: "local",
      http: {
        method: request.method ?? "GET",
        path: url.pathname,
        protocol: "HTTP/1.1",
        sourceIp: request.socket.remoteAddress ?? "127.0.0.1",
        userAgent: headers["user-agent"] ?? "",
      },
      requestId: crypto.randomUUID(),
      routeKey: "$default",
      stage: "$default",
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    body: encoding === "base64" ? body.toString("base64") : body.toString("utf8"),
    isBase64Encoded: encoding === "base64",
  };
}

export function writeFunctionUrlResult(
  response: ServerResponse,
  result: APIGatewayProxyStructuredResultV2 | string,
) {
  const structured = typeof result === "string" ? { statusCode: 200, body: result } : result;
  const headers = Object.fromEntries(
    Object.entries(structured.headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)]),
  );
  response.writeHead(structured.statusCode ?? 200, headers);
  response.end(structured.body ?? "");
}
