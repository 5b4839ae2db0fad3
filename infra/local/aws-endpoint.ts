import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { LocalEventBus } from "./bus.js";
import { FUNCTION_URL_MAX_BYTES, readBody } from "./http.js";
import { checkHost, LOOPBACK_HOST_NAMES } from "./request-guard.js";
import { type SigningCredentials, verifySigV4 } from "./sigv4-verify.js";
import { AwsStyleError, type LocalStepFunctions } from "./stepfunctions.js";

export interface InternalAwsEndpoint {
  /** `http://127.0.0.1:<port>`: reachable from this machine only. */
  readonly url: string;
  /** The endpoints to give Quell's own processes (`AWS_ENDPOINT_URL_<SERVICE>`). */
  readonly endpoints: {
    readonly sfn: string;
    readonly eventBridge: string;
    /** Every other service: refused, so no local run can ever call AWS. */
    readonly unavailable: string;
  };
  /** Start answering with these (until then, an authenticated request is answered 503). */
  serve(stepFunctions: LocalStepFunctions, bus: LocalEventBus): void;
  close(): Promise<void>;
}

type Operation = (input: Record<string, unknown>) => unknown | Promise<unknown>;

/**
 * The AWS JSON-protocol endpoints the handlers reach through `AWS_ENDPOINT_URL_<SERVICE>`: Step Functions
 * (StartExecution, SendTaskSuccess, SendTaskFailure, DescribeExecution) and EventBridge (PutEvents), on their own
 * port of 127.0.0.1, never on the public one. Each request must be signed (SigV4, as the SDK signs) with this
 * run's credentials, which only Quell's own processes hold: anything else is answered 403 before it is read.
 */
export async function startInternalAwsEndpoint(
  credentials: SigningCredentials,
): Promise<InternalAwsEndpoint> {
  let operations: Record<string, Operation> | undefined;
  const server = createServer((request, response) => {
    handle(request, response).catch((error: Error) => {
      console.error(error);
      if (!response.headersSent)
        send(response, request, 500, { __type: "InternalFailure", message: "see the log" });
    });
  });

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const host = checkHost(request, LOOPBACK_HOST_NAMES);
    if (!host.ok) return forbid(request, response, host.message);
    // The access key id is checked before the body is read; the signature, which covers the body, after.
    const keyId = /Credential=([A-Za-z0-9]{1,128})\//.exec(request.headers.authorization ?? "")?.[1];
    if (request.method !== "POST" || keyId !== credentials.accessKeyId) {
      return forbid(request, response, "requests must be signed with this runtime's credentials");
    }
    const read = await readBody(request, FUNCTION_URL_MAX_BYTES);
    if (!read.ok) return forbid(request, response, `body over ${FUNCTION_URL_MAX_BYTES} bytes`);
    const verdict = await verifySigV4(
      { method: "POST", url: request.url ?? "/", headers: request.headers, body: read.body },
      credentials,
      new Date(),
    );
    if (!verdict.ok) return forbid(request, response, verdict.reason);
    if (!operations)
      return send(response, request, 503, { __type: "ServiceUnavailable", message: "starting" });
    const target = String(request.headers["x-amz-target"] ?? "");
    const operation = operations[target];
    if (!operation) {
      return send(response, request, 400, {
        __type: "UnknownOperationException",
        message: `${target.slice(0, 100) || request.url} is not available on the local runtime`,
      });
    }
    try {
      const input = JSON.parse(read.body.toString("utf8") || "{}") as Record<string, unknown>;
      return send(response, request, 200, await operation(input));
    } catch (error) {
      const name = error instanceof AwsStyleError ? error.name : "InternalFailure";
      return send(response, request, name === "InternalFailure" ? 500 : 400, {
        __type: name,
        message: (error as Error).message,
      });
    }
  };

  const port = await new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : 0);
    });
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    endpoints: { sfn: `${url}/sfn`, eventBridge: `${url}/events`, unavailable: `${url}/unavailable` },
    serve(stepFunctions, bus) {
      operations = awsOperations(stepFunctions, bus);
    },
    close: () => closeServer(server),
  };
}

function awsOperations(stepFunctions: LocalStepFunctions, bus: LocalEventBus): Record<string, Operation> {
  return {
    "AWSStepFunctions.StartExecution": (input) => {
      const execution = stepFunctions.startExecution({
        stateMachineArn: String(input.stateMachineArn),
        ...(typeof input.name === "string" ? { name: input.name } : {}),
        ...(typeof input.input === "string" ? { input: input.input } : {}),
      });
      return { executionArn: execution.executionArn, startDate: execution.startDate.getTime() / 1000 };
    },
    "AWSStepFunctions.SendTaskSuccess": (input) => {
      stepFunctions.sendTaskSuccess(String(input.taskToken), String(input.output ?? "{}"));
      return {};
    },
    "AWSStepFunctions.SendTaskFailure": (input) => {
      stepFunctions.sendTaskFailure(
        String(input.taskToken),
        typeof input.error === "string" ? input.error : undefined,
        typeof input.cause === "string" ? input.cause : undefined,
      );
      return {};
    },
    "AWSStepFunctions.DescribeExecution": (input) => {
      const execution = stepFunctions.describeExecution(String(input.executionArn));
      return {
        executionArn: execution.executionArn,
        stateMachineArn: execution.stateMachineArn,
        name: execution.name,
        status: execution.status,
        startDate: execution.startDate.getTime() / 1000,
        ...(execution.stopDate ? { stopDate: execution.stopDate.getTime() / 1000 } : {}),
        input: execution.input,
        ...(execution.output ? { output: execution.output } : {}),
        ...(execution.error ? { error: execution.error, cause: execution.cause } : {}),
      };
    },
    "AWSEvents.PutEvents": async (input) => {
      const entries = (input.Entries as Record<string, unknown>[] | undefined) ?? [];
      const ids: string[] = [];
      for (const entry of entries) ids.push(await bus.put(entry));
      return { FailedEntryCount: 0, Entries: ids.map((id) => ({ EventId: id })) };
    },
  };
}

/** An AWS-style JSON answer, in the protocol version of the service the request was for. */
function send(response: ServerResponse, request: IncomingMessage, status: number, payload: unknown) {
  const target = String(request.headers["x-amz-target"] ?? "");
  const contentType = target.startsWith("AWSEvents.")
    ? "application/x-amz-json-1.1"
    : "application/x-amz-json-1.0";
  response.writeHead(status, {
    "content-type": contentType,
    "x-amzn-requestid": randomUUID(),
    // A refused request's body may be unread: the connection cannot carry another request.
    ...(request.complete ? {} : { connection: "close" }),
  });
  response.end(JSON.stringify(payload));
}

/** 403, as AWS answers an unsigned or wrongly signed request; its body is not read. */
function forbid(request: IncomingMessage, response: ServerResponse, reason: string) {
  send(response, request, 403, { __type: "UnrecognizedClientException", message: reason });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
