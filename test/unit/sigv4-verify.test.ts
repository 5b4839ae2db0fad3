import { createHash, createHmac } from "node:crypto";
import { SignatureV4 } from "@smithy/signature-v4";
import { describe, expect, it } from "vitest";
import { verifySigV4 } from "../../infra/local/sigv4-verify.js";

const CREDENTIALS = { accessKeyId: "AKIDQUELLLOCAL", secretAccessKey: "this-run-secret" };
const NOW = new Date("2026-11-26T10:15:00Z");
const BODY = JSON.stringify({ taskToken: "token", output: "{}" });

class Sha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash("sha256") : createHmac("sha256", secret as string);
  }
  update(data: string | ArrayBuffer | ArrayBufferView) {
    this.hash.update(typeof data === "string" ? data : new Uint8Array(data as ArrayBuffer));
  }
  async digest() {
    return new Uint8Array(this.hash.digest());
  }
}

/** A request signed the way the AWS SDK signs a Step Functions call, by the SDK's own signer. */
async function signed(
  options: { credentials?: typeof CREDENTIALS; at?: Date; body?: string; applyChecksum?: boolean } = {},
) {
  const signer = new SignatureV4({
    credentials: options.credentials ?? CREDENTIALS,
    region: "us-east-1",
    service: "states",
    sha256: Sha256,
    applyChecksum: options.applyChecksum ?? false,
  });
  const request = await signer.sign(
    {
      method: "POST",
      protocol: "http:",
      hostname: "127.0.0.1",
      port: 4567,
      path: "/sfn",
      query: {},
      headers: {
        host: "127.0.0.1:4567",
        "content-type": "application/x-amz-json-1.0",
        "x-amz-target": "AWSStepFunctions.SendTaskSuccess",
      },
      body: options.body ?? BODY,
    },
    { signingDate: options.at ?? NOW },
  );
  return { method: "POST", url: "/sfn", headers: request.headers, body: Buffer.from(BODY) };
}

describe("verifySigV4: the internal AWS endpoint's check of Quell's own signed calls", () => {
  it("accepts a request signed with this run's credentials", async () => {
    expect(await verifySigV4(await signed(), CREDENTIALS, NOW)).toEqual({ ok: true });
    expect(await verifySigV4(await signed({ applyChecksum: true }), CREDENTIALS, NOW)).toEqual({ ok: true });
  });

  it.each([
    ["another access key id", { credentials: { ...CREDENTIALS, accessKeyId: "AKIDOTHER" } }, /access key id/],
    [
      "a wrong secret",
      { credentials: { ...CREDENTIALS, secretAccessKey: "guess" } },
      /signature does not match/,
    ],
    ["a body other than the one signed", { body: '{"taskToken":"another"}' }, /signature does not match/],
    [
      "a body other than the one signed, with its hash in x-amz-content-sha256",
      { body: '{"taskToken":"another"}', applyChecksum: true },
      /x-amz-content-sha256/,
    ],
    ["a signature ten minutes old", { at: new Date(NOW.getTime() - 600_000) }, /x-amz-date/],
  ])("refuses %s", async (_name, options, reason) => {
    const verdict = await verifySigV4(await signed(options), CREDENTIALS, NOW);
    expect(verdict.ok).toBe(false);
    expect(verdict.ok ? "" : verdict.reason).toMatch(reason);
  });

  it("refuses an altered signed header and a missing Authorization", async () => {
    const request = await signed();
    const altered = { ...request, headers: { ...request.headers, "x-amz-target": "AWSEvents.PutEvents" } };
    expect((await verifySigV4(altered, CREDENTIALS, NOW)).ok).toBe(false);
    const { authorization: _dropped, ...unsigned } = request.headers;
    expect(await verifySigV4({ ...request, headers: unsigned }, CREDENTIALS, NOW)).toEqual({
      ok: false,
      reason: "no AWS Signature Version 4 Authorization header",
    });
  });
});
