import { constantTimeEqual, hmacSha256Hex } from "./hash.js";

/** Verify GitHub's `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`, in constant time. */
export function verifyGitHubSignature(
  rawBody: Uint8Array,
  header: string | undefined,
  secret: string,
): boolean {
  if (!header?.startsWith("sha256=")) return false;
  return constantTimeEqual(header, `sha256=${hmacSha256Hex(secret, rawBody)}`);
}

export const REPLAY_WINDOW_SECONDS = 300;

export type TimestampedVerdict =
  | { ok: true }
  | { ok: false; code: "bad_signature" | "stale"; message: string };

/**
 * The two timestamped schemes. Quell's own (generic sources): `v1=<hex HMAC-SHA256 of "<ts>.<raw body>">`.
 * Slack's: `v0=<hex HMAC-SHA256 of "v0:<ts>:<raw body>">`.
 */
const SCHEMES = {
  quell: { prefix: "v1", base: (timestamp: string) => `${timestamp}.` },
  slack: { prefix: "v0", base: (timestamp: string) => `v0:${timestamp}:` },
} as const;

/**
 * Verify a timestamped signature over the raw body, in constant time, with a replay window both ways
 * (stale and future-dated requests are refused).
 */
export function verifyTimestampedSignature(options: {
  scheme: keyof typeof SCHEMES;
  rawBody: Uint8Array;
  timestamp: string | undefined;
  signature: string | undefined;
  secret: string;
  now: Date;
}): TimestampedVerdict {
  const { rawBody, timestamp, signature, secret, now } = options;
  const { prefix, base: baseOf } = SCHEMES[options.scheme];
  if (!timestamp || !/^\d{1,12}$/.test(timestamp) || !signature) {
    return { ok: false, code: "bad_signature", message: "missing timestamp or signature header" };
  }
  const skew = Math.abs(Math.floor(now.getTime() / 1000) - Number(timestamp));
  if (skew > REPLAY_WINDOW_SECONDS) {
    return { ok: false, code: "stale", message: `timestamp is ${skew}s away from now; the window is 300s` };
  }
  const base = Buffer.concat([Buffer.from(baseOf(timestamp)), rawBody]);
  const expected = `${prefix}=${hmacSha256Hex(secret, base)}`;
  return constantTimeEqual(signature, expected)
    ? { ok: true }
    : { ok: false, code: "bad_signature", message: "signature does not match" };
}
