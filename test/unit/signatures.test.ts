import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { constantTimeEqual } from "../../functions/shared/hash.js";
import { verifyGitHubSignature, verifyTimestampedSignature } from "../../functions/shared/signatures.js";

// Signatures are computed here with node:crypto directly, not with the product's helpers.
const hmac = (secret: string, data: string | Uint8Array) =>
  createHmac("sha256", secret).update(data).digest("hex");
const bytes = (text: string) => new TextEncoder().encode(text);

const SECRET = "unit-test-secret";
const BODY = bytes('{"action":"created","alert":{"number":42}}');

describe("verifyGitHubSignature (X-Hub-Signature-256)", () => {
  const good = `sha256=${hmac(SECRET, BODY)}`;

  it("accepts the HMAC-SHA256 of the raw body under the shared secret", () => {
    expect(verifyGitHubSignature(BODY, good, SECRET)).toBe(true);
  });

  it("refuses a signature made with another secret", () => {
    expect(verifyGitHubSignature(BODY, `sha256=${hmac("another-secret", BODY)}`, SECRET)).toBe(false);
  });

  it("refuses a body with one byte changed", () => {
    const tampered = Uint8Array.from(BODY);
    tampered[tampered.length - 3] = (tampered[tampered.length - 3] as number) ^ 0x01;
    expect(verifyGitHubSignature(tampered, good, SECRET)).toBe(false);
  });

  it("refuses a missing header", () => {
    expect(verifyGitHubSignature(BODY, undefined, SECRET)).toBe(false);
    expect(verifyGitHubSignature(BODY, "", SECRET)).toBe(false);
  });

  it("refuses the right digest under a wrong prefix", () => {
    const digest = hmac(SECRET, BODY);
    expect(verifyGitHubSignature(BODY, `sha1=${digest}`, SECRET)).toBe(false);
    expect(verifyGitHubSignature(BODY, `SHA256=${digest}`, SECRET)).toBe(false);
    expect(verifyGitHubSignature(BODY, digest, SECRET)).toBe(false);
  });
});

describe("verifyTimestampedSignature (Slack v0 and Quell v1)", () => {
  const now = new Date("2026-11-25T00:00:00Z");
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const schemes = {
    slack: (ts: string, secret = SECRET) => `v0=${hmac(secret, Buffer.concat([bytes(`v0:${ts}:`), BODY]))}`,
    quell: (ts: string, secret = SECRET) => `v1=${hmac(secret, Buffer.concat([bytes(`${ts}.`), BODY]))}`,
  } as const;

  describe.each(["slack", "quell"] as const)("%s scheme", (scheme) => {
    const sign = schemes[scheme];
    const verify = (timestamp: string | undefined, signature: string | undefined) =>
      verifyTimestampedSignature({ scheme, rawBody: BODY, timestamp, signature, secret: SECRET, now });

    it("accepts a good signature made now", () => {
      const ts = String(nowSeconds);
      expect(verify(ts, sign(ts))).toEqual({ ok: true });
    });

    it("accepts a timestamp exactly 300 s away, either way", () => {
      for (const ts of [String(nowSeconds - 300), String(nowSeconds + 300)]) {
        expect(verify(ts, sign(ts))).toEqual({ ok: true });
      }
    });

    it("refuses a signature made with another secret", () => {
      const ts = String(nowSeconds);
      expect(verify(ts, sign(ts, "another-secret"))).toMatchObject({ ok: false, code: "bad_signature" });
    });

    it("refuses a good signature replayed under another timestamp", () => {
      const signedAt = String(nowSeconds - 10);
      expect(verify(String(nowSeconds), sign(signedAt))).toMatchObject({ ok: false, code: "bad_signature" });
    });

    it("refuses a stale request (301 s old) even when correctly signed", () => {
      const ts = String(nowSeconds - 301);
      expect(verify(ts, sign(ts))).toMatchObject({ ok: false, code: "stale" });
    });

    it("refuses a future-dated request (301 s ahead) even when correctly signed", () => {
      const ts = String(nowSeconds + 301);
      expect(verify(ts, sign(ts))).toMatchObject({ ok: false, code: "stale" });
    });

    it("refuses missing timestamp or signature headers", () => {
      const ts = String(nowSeconds);
      expect(verify(undefined, sign(ts))).toMatchObject({ ok: false, code: "bad_signature" });
      expect(verify(ts, undefined)).toMatchObject({ ok: false, code: "bad_signature" });
      expect(verify("", "")).toMatchObject({ ok: false, code: "bad_signature" });
    });

    it.each(["1.7e9", "abc", `${nowSeconds}x`, ` ${nowSeconds}`, `-${nowSeconds}`])(
      "refuses the non-numeric timestamp %j",
      (ts) => {
        expect(verify(ts, sign(ts))).toMatchObject({ ok: false, code: "bad_signature" });
      },
    );
  });

  it("does not accept one scheme's signature for the other", () => {
    const ts = String(nowSeconds);
    const common = { rawBody: BODY, timestamp: ts, secret: SECRET, now };
    expect(
      verifyTimestampedSignature({ ...common, scheme: "quell", signature: schemes.slack(ts) }),
    ).toMatchObject({ ok: false, code: "bad_signature" });
    expect(
      verifyTimestampedSignature({ ...common, scheme: "slack", signature: schemes.quell(ts) }),
    ).toMatchObject({ ok: false, code: "bad_signature" });
  });
});

describe("constantTimeEqual", () => {
  it("is true only for identical strings", () => {
    expect(constantTimeEqual("sha256=abc", "sha256=abc")).toBe(true);
    expect(constantTimeEqual("sha256=abc", "sha256=abd")).toBe(false);
  });

  it("is false (and does not throw) for strings of different lengths", () => {
    expect(constantTimeEqual("abc", "abcd")).toBe(false);
    expect(constantTimeEqual("", "a")).toBe(false);
    expect(constantTimeEqual("abc", "abc\u0000")).toBe(false);
  });

  it("compares bytes, so strings of equal length but different UTF-8 size are unequal", () => {
    expect(constantTimeEqual("é", "e")).toBe(false);
  });
});
