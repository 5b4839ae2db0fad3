/**
 * What the AWS JSON 1.1 stand-ins (SageMaker, SSM Parameter Store) share: requests as the AWS SDK v3 sends them
 * (`POST /`, `X-Amz-Target: <Prefix>.<Operation>`, `Content-Type: application/x-amz-json-1.1`, a JSON object body,
 * a SigV4 Authorization scoped to the service's signing name; the signature itself is not checked), answered
 * with JSON 1.1 bodies and errors as `{"__type": "<Code>", "message": "..."}` (https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html).
 * Timestamps go out as epoch seconds, as the protocol writes them.
 */
import { randomUUID } from "node:crypto";
import {
  isRecord,
  type RecordedRequest,
  type Standin,
  type StandinRequest,
  type StandinResponse,
  startStandin,
} from "./server.js";

export const AWS_JSON_11 = "application/x-amz-json-1.1";

export type JsonObject = Record<string, unknown>;

/** One request as a JSON 1.1 stand-in received it: the HTTP record plus the operation its X-Amz-Target named. */
export interface AwsJsonRequest extends RecordedRequest {
  /** `<Operation>` of `X-Amz-Target: <Prefix>.<Operation>`, or the raw header (or `METHOD /path`) when it is not. */
  operation: string;
}

export interface AwsJsonStandin extends Standin {
  /** Every request received, in order, refused ones included; `body` is the parsed JSON object when it parsed. */
  requests: AwsJsonRequest[];
  /** The operation of every request received, in order (`DescribeEndpoint`, `PutParameter`, …). */
  operations(): string[];
}

/** An operation's handler: the parsed body and the caller's access key id, the answer. */
export type AwsJsonOperation = (body: JsonObject, caller: { accessKeyId: string }) => StandinResponse;

export interface AwsJsonStandinOptions {
  /** Human-readable name, e.g. "Amazon SageMaker". */
  name: string;
  /** The SigV4 signing name the credential scope must carry (`sagemaker`, `ssm`). */
  signingName: string;
  /** The X-Amz-Target prefix (`SageMaker`, `AmazonSSM`). */
  targetPrefix: string;
  /** The service's error code for its own failures (`InternalFailure`, `InternalServerError`), for the fault queue. */
  internalErrorCode: string;
  operations: Readonly<Record<string, AwsJsonOperation>>;
  port?: number;
}

/** A JSON 1.1 answer: 200 with `body`. */
export const jsonOk = (body: JsonObject): StandinResponse => ({
  status: 200,
  body,
  headers: { "content-type": AWS_JSON_11, "x-amzn-requestid": randomUUID() },
});

/** A JSON 1.1 error: `{"__type", "message"}`, 400 unless said otherwise. */
export const jsonError = (code: string, message: string, status = 400): StandinResponse => ({
  status,
  body: { __type: code, message },
  headers: { "content-type": AWS_JSON_11, "x-amzn-requestid": randomUUID(), "x-amzn-errortype": code },
});

/** A date as JSON 1.1 writes a timestamp: epoch seconds (with milliseconds as the fraction). */
export const epochSeconds = (date: Date): number => date.getTime() / 1000;

/** `AWS4-HMAC-SHA256 Credential=<id>/<date>/<region>/<service>/aws4_request, SignedHeaders=…, Signature=…` */
const sigv4For = (service: string) =>
  new RegExp(
    `^AWS4-HMAC-SHA256 Credential=([^/\\s]+)\\/\\d{8}\\/[a-z0-9-]+\\/${service}\\/aws4_request, ?SignedHeaders=[^,]+, ?Signature=[0-9a-f]{64}$`,
  );

const header = (request: StandinRequest, name: string) => {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(", ") : value;
};

/** The body as JSON when it is one; the raw text otherwise (the server leaves x-amz-json bodies unparsed). */
function parsedBody(request: StandinRequest): unknown {
  if (request.rawBody.length === 0) return undefined;
  try {
    return JSON.parse(request.rawBody) as unknown;
  } catch {
    return request.rawBody;
  }
}

/**
 * Start a JSON 1.1 stand-in: checks the route, the signature's scope, the content type, the target and the body,
 * then hands the body to the operation's handler. Anything else is refused with the error the service answers.
 */
export async function startAwsJsonStandin(options: AwsJsonStandinOptions): Promise<AwsJsonStandin> {
  const { signingName, targetPrefix } = options;
  const sigv4 = sigv4For(signingName);
  const requests: AwsJsonRequest[] = [];
  const operationOf = (request: StandinRequest): string => {
    const target = header(request, "x-amz-target");
    if (target === undefined) return `${request.method} ${request.path}`;
    return target.startsWith(`${targetPrefix}.`) ? target.slice(targetPrefix.length + 1) : target;
  };

  const handle = (request: StandinRequest): StandinResponse => {
    const operation = operationOf(request);
    if (request.method !== "POST" || request.path !== "/") {
      return jsonError(
        "UnknownOperationException",
        `${request.method} ${request.path} is not served here`,
        404,
      );
    }
    if (!request.authorization)
      return jsonError("MissingAuthenticationTokenException", "Missing Authentication Token", 403);
    const signed = sigv4.exec(request.authorization);
    if (!signed?.[1]) {
      return jsonError(
        "IncompleteSignatureException",
        `The request signature is not a SigV4 signature for ${signingName}`,
        403,
      );
    }
    if ((request.contentType ?? "").split(";")[0]?.trim().toLowerCase() !== AWS_JSON_11) {
      return jsonError("SerializationException", `Content-Type must be ${AWS_JSON_11}`);
    }
    const handler = Object.hasOwn(options.operations, operation) ? options.operations[operation] : undefined;
    if (!handler || !header(request, "x-amz-target")?.startsWith(`${targetPrefix}.`)) {
      const target = header(request, "x-amz-target") ?? "(no X-Amz-Target)";
      return jsonError("UnknownOperationException", `Unknown operation ${target}`);
    }
    if (!isRecord(request.body))
      return jsonError("SerializationException", "The request body is not a JSON object.");
    return handler(request.body, { accessKeyId: signed[1] });
  };

  // A 2xx fault is an answer that says OK (its body, when the fault gives one) whether or not anything happened.
  const fault = (status: number): StandinResponse =>
    status < 300
      ? { ...jsonOk({}), status }
      : status === 429 || status === 400
        ? jsonError("ThrottlingException", "Rate exceeded", status)
        : status === 503
          ? jsonError("ServiceUnavailable", "Service is unavailable. Try again later.", status)
          : jsonError(options.internalErrorCode, "An internal error occurred. Try again later.", status);

  const standin = await startStandin({
    name: options.name,
    ...(options.port !== undefined ? { port: options.port } : {}),
    faultResponse: fault,
    // Every request passes here, once, before it is recorded (faulted ones too): the one place to keep the
    // operation its target named alongside the parsed body.
    refineBody(_body, request) {
      const body = parsedBody(request);
      const { method, path, query, authorization, contentType, at } = request;
      requests.push({
        method,
        path,
        query,
        authorization,
        contentType,
        body,
        at,
        operation: operationOf(request),
      });
      return body;
    },
    handle,
  });

  return Object.assign(standin, {
    requests,
    operations: () => requests.map((request) => request.operation),
  });
}
