import type { IncomingMessage, ServerResponse } from "node:http";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";

/** Lambda Function URLs refuse request payloads over 6 MB; so does the local server. */
export const FUNCTION_URL_MAX_BYTES = 6 * 1024 * 1024;

export class BodyTooLarge extends Error {}

export async function readBody(request: IncomingMessage, maxBytes = FUNCTION_URL_MAX_BYTES): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new BodyTooLarge(`request body exceeds ${maxBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
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

export function sendJson(response: ServerResponse, status: number, body: unknown) {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}
