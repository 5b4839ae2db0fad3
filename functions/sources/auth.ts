import { constantTimeEqual } from "../shared/hash.js";
import { verifyTimestampedSignature } from "../shared/signatures.js";
import type { AuthResult, SignedRequest } from "./source.js";

/**
 * Quell's own signature, for `generic` and the inline detectors: `X-Quell-Timestamp: <unix seconds>` and
 * `X-Quell-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<raw body>">`, 5-minute window both ways.
 */
export function quellSignature(request: SignedRequest, secret: string): AuthResult {
  const verdict = verifyTimestampedSignature({
    scheme: "quell",
    rawBody: request.rawBody,
    timestamp: request.headers["x-quell-timestamp"],
    signature: request.headers["x-quell-signature"],
    secret,
    now: request.now,
  });
  return verdict.ok
    ? verdict
    : { ok: false, code: verdict.code, message: `X-Quell-Signature: ${verdict.message}` };
}

/** `Authorization: Bearer <token>` for tools that can only send a static header; compared in constant time. */
export function bearerToken(request: SignedRequest, secret: string): AuthResult {
  const header = request.headers.authorization ?? "";
  const token = /^Bearer (\S{1,512})$/.exec(header)?.[1];
  if (!token)
    return { ok: false, code: "bad_signature", message: "Authorization: Bearer <token> is missing" };
  return constantTimeEqual(token, secret)
    ? { ok: true }
    : { ok: false, code: "bad_signature", message: "the bearer token is not the one configured" };
}
