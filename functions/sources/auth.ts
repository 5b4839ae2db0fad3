import { constantTimeEqual } from "../shared/hash.js";
import { REPLAY_WINDOW_SECONDS, verifyTimestampedSignature } from "../shared/signatures.js";
import type { AuthResult, ReplayWindow, SignedRequest } from "./source.js";

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

/**
 * A request signed with Quell's signature can be replayed, byte for byte, until its timestamp leaves the window:
 * the signature header names the delivery until then.
 */
export function quellReplay(request: SignedRequest): ReplayWindow | undefined {
  const timestamp = request.headers["x-quell-timestamp"];
  const signature = request.headers["x-quell-signature"];
  if (!timestamp || !signature) return undefined;
  return { signature, validUntil: Number(timestamp) + REPLAY_WINDOW_SECONDS };
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
