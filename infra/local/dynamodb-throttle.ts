/**
 * Fault injection for the fault harness (`npm run bench:faults`): DynamoDB throttling, which DynamoDB Local never
 * does. When `QUELL_FAULT_DYNAMODB_THROTTLE_FILE` names a file, the handlers reach the database through this
 * loopback proxy; while that file exists, a share of their requests (the number written in it, 0–1, default all)
 * get DynamoDB's own throttling answers: `ProvisionedThroughputExceededException` for single-item calls, and for
 * `TransactWriteItems` a `TransactionCanceledException` whose reasons say `ThrottlingError` (which the AWS SDK
 * does not retry). Everything else is passed through unchanged, credentials included: the proxy adds no access
 * the database does not already grant, and listens on 127.0.0.1 only. Unset (every normal start), nothing of this
 * runs.
 */
import { existsSync, readFileSync } from "node:fs";
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { closeServer } from "./aws-endpoint.js";

export const THROTTLE_FILE_VARIABLE = "QUELL_FAULT_DYNAMODB_THROTTLE_FILE";

const JSON_10 = "application/x-amz-json-1.0";
const ERROR_PREFIX = "com.amazonaws.dynamodb.v20120810#";

export interface ThrottlingProxy {
  readonly endpoint: string;
  /** Requests answered with a throttling error so far. */
  throttled(): number;
  close(): Promise<void>;
}

/** The share of requests to throttle now: 0 without the file, else the number in it (an empty file: all). */
export function throttleShare(file: string): number {
  if (!existsSync(file)) return 0;
  let text = "";
  try {
    text = readFileSync(file, "utf8").trim();
  } catch {
    return 0; // removed between the two calls
  }
  const share = text === "" ? 1 : Number(text);
  return Number.isFinite(share) ? Math.min(1, Math.max(0, share)) : 1;
}

/** DynamoDB's answer to a throttled call of `target` (`DynamoDB_20120810.<Operation>`), as the service sends it. */
export function throttledAnswer(target: string, body: string): { status: number; body: string } {
  const operation = target.split(".").pop() ?? "";
  if (operation === "TransactWriteItems" || operation === "TransactGetItems") {
    let items = 1;
    try {
      items = Math.max(1, (JSON.parse(body) as { TransactItems?: unknown[] }).TransactItems?.length ?? 1);
    } catch {
      // keep one reason
    }
    const reasons = Array.from({ length: items }, () => ({
      Code: "ThrottlingError",
      Message: "Throughput exceeds the current capacity of your table or index.",
    }));
    return {
      status: 400,
      body: JSON.stringify({
        __type: `${ERROR_PREFIX}TransactionCanceledException`,
        Message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(", ")}]`,
        CancellationReasons: reasons,
      }),
    };
  }
  return {
    status: 400,
    body: JSON.stringify({
      __type: `${ERROR_PREFIX}ProvisionedThroughputExceededException`,
      message:
        "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.",
    }),
  };
}

const readBody = (request: IncomingMessage) =>
  new Promise<Buffer>((done, fail) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => done(Buffer.concat(chunks)));
    request.on("error", fail);
  });

/** Start the proxy in front of `upstream()` (read per request: a restarted database keeps its port anyway). */
export async function startThrottlingProxy(options: {
  throttleFile: string;
  upstream: () => string;
  random?: () => number;
}): Promise<ThrottlingProxy> {
  const random = options.random ?? Math.random;
  let throttled = 0;
  const forward = (request: IncomingMessage, response: ServerResponse, body: Buffer) => {
    const upstream = new URL(options.upstream());
    const outgoing = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: request.method,
        path: request.url,
        headers: request.headers,
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    // The database is down or went away mid-answer: the caller sees its connection reset, as it would directly.
    outgoing.on("error", () => response.destroy());
    outgoing.end(body);
  };
  const server = createServer((request, response) => {
    readBody(request).then(
      (body) => {
        const share = throttleShare(options.throttleFile);
        if (share > 0 && random() < share) {
          throttled += 1;
          const answer = throttledAnswer(
            String(request.headers["x-amz-target"] ?? ""),
            body.toString("utf8"),
          );
          response.writeHead(answer.status, { "content-type": JSON_10 });
          response.end(answer.body);
          return;
        }
        forward(request, response, body);
      },
      () => response.destroy(),
    );
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    throttled: () => throttled,
    close: () => closeServer(server),
  };
}
