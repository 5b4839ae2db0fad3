import { createHash, createHmac, type Hash, type Hmac } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { SignatureV4 } from "@smithy/signature-v4";
import { constantTimeEqual, sha256Hex } from "../../functions/shared/hash.js";

export interface SigningCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface SignedRequest {
  readonly method: string;
  /** Path and query, as received. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Uint8Array;
}

export type SignatureVerdict = { ok: true } | { ok: false; reason: string };

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([A-Za-z0-9]{1,128})\/(\d{8})\/([a-z0-9-]{1,32})\/([a-z0-9-]{1,32})\/aws4_request, ?SignedHeaders=([a-z0-9;-]{1,1024}), ?Signature=([0-9a-f]{64})$/;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/**
 * Check an AWS Signature Version 4 request, as the AWS SDK signs it, against one set of credentials: the access
 * key id compared in constant time, `x-amz-date` within `maxSkewSeconds` of now, and the signature recomputed
 * with the secret (by the SDK's own signer) over the headers the request says it signed and the body received.
 */
export async function verifySigV4(
  request: SignedRequest,
  credentials: SigningCredentials,
  now: Date,
  maxSkewSeconds = 300,
): Promise<SignatureVerdict> {
  const match = AUTHORIZATION.exec(headerValue(request.headers.authorization) ?? "");
  if (!match) return { ok: false, reason: "no AWS Signature Version 4 Authorization header" };
  const [, accessKeyId = "", shortDate, region = "", service = "", signedList = "", signature = ""] = match;
  if (!constantTimeEqual(accessKeyId, credentials.accessKeyId))
    return { ok: false, reason: "the access key id is not this runtime's" };
  const signingDate = parseAmzDate(headerValue(request.headers["x-amz-date"]));
  if (!signingDate || shortDate !== headerValue(request.headers["x-amz-date"])?.slice(0, 8))
    return { ok: false, reason: "x-amz-date is missing or does not match the credential scope" };
  if (Math.abs(now.getTime() - signingDate.getTime()) > maxSkewSeconds * 1000)
    return { ok: false, reason: `x-amz-date is more than ${maxSkewSeconds} s from now` };
  const signedHeaders = signedList.split(";");
  if (!signedHeaders.includes("host") || !signedHeaders.includes("x-amz-date"))
    return { ok: false, reason: "the signature must cover host and x-amz-date" };
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    const value = headerValue(request.headers[name]);
    if (value === undefined) return { ok: false, reason: `signed header ${name} is missing` };
    headers[name] = value;
  }
  const declaredHash = headers["x-amz-content-sha256"];
  if (declaredHash !== undefined && declaredHash !== sha256Hex(request.body))
    return { ok: false, reason: "x-amz-content-sha256 is not the hash of the body" };

  const url = new URL(request.url, "http://local");
  const host = headers.host ?? "";
  const signer = new SignatureV4({
    credentials,
    region,
    service,
    sha256: NodeSha256,
    applyChecksum: false,
  });
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: "http:",
      hostname: host.replace(/:\d+$/, ""),
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers,
      body: request.body,
    },
    { signingDate, signingRegion: region, signingService: service, signableHeaders: new Set(signedHeaders) },
  );
  const expected = /Signature=([0-9a-f]{64})$/.exec(String(signed.headers.authorization))?.[1] ?? "";
  return constantTimeEqual(signature, expected)
    ? { ok: true }
    : { ok: false, reason: "the signature does not match (wrong secret, or the request was altered)" };
}

const headerValue = (value: string | string[] | undefined): string | undefined =>
  Array.isArray(value) ? value.join(",") : value;

function parseAmzDate(value: string | undefined): Date | undefined {
  const parts = AMZ_DATE.exec(value ?? "");
  if (!parts) return undefined;
  const [, year, month, day, hour, minute, second] = parts.map(Number) as number[];
  return new Date(Date.UTC(year as number, (month as number) - 1, day, hour, minute, second));
}

/** SHA-256 and HMAC-SHA256 from node:crypto, in the shape the SDK's signer takes. */
class NodeSha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash("sha256") : createHmac("sha256", toBytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(toBytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

const toBytes = (data: string | ArrayBuffer | ArrayBufferView): Uint8Array =>
  typeof data === "string"
    ? Buffer.from(data, "utf8")
    : ArrayBuffer.isView(data)
      ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      : new Uint8Array(data);
