/**
 * What the AWS Query API stand-ins (IAM, STS) share: form-encoded `Action=…&Version=…` requests signed with
 * SigV4 for one service, answered with the service's XML (`<ActionResponse xmlns=…><ActionResult>…`), errors as
 * `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`.
 */
import { randomUUID } from "node:crypto";
import type { StandinRequest, StandinResponse } from "./server.js";

const XML = { "content-type": "text/xml" };

export function escapeXml(value: string): string {
  return value
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

export interface QueryApi {
  ok(action: string, result: string | undefined): StandinResponse;
  error(status: number, code: string, message: string, type?: string): StandinResponse;
  /** The service's answer to throttling (`Throttling`) and to its own failures, for the fault queue. */
  fault(status: number): StandinResponse;
  /** The request's form parameters, or the error to answer: wrong route, unsigned, not form-encoded, wrong version. */
  parse(request: StandinRequest): { params: Record<string, string> } | { refused: StandinResponse };
}

/** The Query API of one service (`iam`, `sts`) at `namespace`, API version `version`. */
export function queryApi(service: string, namespace: string, version: string): QueryApi {
  const sigv4 = new RegExp(
    `^AWS4-HMAC-SHA256 Credential=[^/\\s]+\\/\\d{8}\\/[a-z0-9-]+\\/${service}\\/aws4_request, ?SignedHeaders=[^,]+, ?Signature=[0-9a-f]{64}$`,
  );
  const error = (status: number, code: string, message: string, type = "Sender"): StandinResponse => {
    const requestId = randomUUID();
    const body =
      `<ErrorResponse xmlns="${namespace}"><Error><Type>${type}</Type><Code>${code}</Code>` +
      `<Message>${escapeXml(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
    return { status, body, headers: { ...XML, "x-amzn-requestid": requestId } };
  };
  return {
    error,
    fault(status) {
      if (status === 429 || status === 400) return error(status, "Throttling", "Rate exceeded");
      if (status === 503) return error(status, "ServiceUnavailable", "Service is unavailable", "Receiver");
      // IAM documents ServiceFailure (500) for "the request processing has failed because of an unknown error".
      return error(status, "ServiceFailure", "The request processing has failed", "Receiver");
    },
    ok(action, result) {
      const requestId = randomUUID();
      const body =
        `<${action}Response xmlns="${namespace}">` +
        (result === undefined ? "" : `<${action}Result>${result}</${action}Result>`) +
        `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`;
      return { status: 200, body, headers: { ...XML, "x-amzn-requestid": requestId } };
    },
    parse(request) {
      if (request.method !== "POST" || request.path !== "/") {
        return {
          refused: error(
            404,
            "UnknownOperation",
            `${request.method} ${request.path} is not a Query API route`,
          ),
        };
      }
      if (!request.authorization) {
        return {
          refused: error(403, "MissingAuthenticationToken", "Request is missing Authentication Token"),
        };
      }
      if (!sigv4.test(request.authorization)) {
        return {
          refused: error(
            403,
            "IncompleteSignature",
            `The request signature is not a SigV4 signature for ${service}`,
          ),
        };
      }
      if (!(request.contentType ?? "").toLowerCase().startsWith("application/x-www-form-urlencoded")) {
        return { refused: error(400, "InvalidParameterValue", "Query API requests are form-encoded") };
      }
      const params = (request.body ?? {}) as Record<string, string>;
      if (params.Version !== version) {
        return { refused: error(400, "InvalidParameterValue", `Version must be ${version}`) };
      }
      return { params };
    },
  };
}
