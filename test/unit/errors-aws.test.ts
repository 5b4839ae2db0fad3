import { IAMServiceException, ServiceFailureException } from "@aws-sdk/client-iam";
import { describe, expect, it } from "vitest";
import { QuellError, TransientError, toQuellError } from "../../functions/shared/errors.js";

const awsError = (name: string, status: number, fault: "client" | "server") =>
  new IAMServiceException({
    name,
    $fault: fault,
    $metadata: { httpStatusCode: status },
    message: `${name} says no`,
  });

describe("toQuellError and AWS SDK errors (actions send each call once, so retrying is Step Functions' job)", () => {
  it("makes a 5xx, a throttle and a timeout TransientError, keeping the status", () => {
    const failure = toQuellError(
      new ServiceFailureException({ $metadata: { httpStatusCode: 500 }, message: "internal" }),
    );
    expect(failure).toBeInstanceOf(TransientError);
    expect((failure as TransientError).status).toBe(500);
    const throttled = toQuellError(awsError("Throttling", 429, "client"));
    expect(throttled).toBeInstanceOf(TransientError);
    expect(throttled.message).toContain("Throttling");
    const timeout = Object.assign(new Error("socket hang up"), { name: "TimeoutError" });
    expect(toQuellError(timeout)).toBeInstanceOf(TransientError);
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:4567"), {
      code: "ECONNREFUSED",
      $metadata: { attempts: 1, totalRetryDelay: 0 },
    });
    expect(toQuellError(refused)).toBeInstanceOf(TransientError);
  });

  it("leaves a client error (no such entity, access denied) and a plain error as they are: retrying cannot help", () => {
    const missing = toQuellError(awsError("NoSuchEntity", 404, "client"));
    expect(missing).not.toBeInstanceOf(TransientError);
    expect(missing).toBeInstanceOf(QuellError);
    expect(toQuellError(new Error("boom"))).not.toBeInstanceOf(TransientError);
  });
});

describe("throttling that the AWS SDK's retries did not outlast", () => {
  it("is a TransientError even when it comes as a 400 without a retryable mark (DynamoDB's provisioned throughput)", () => {
    const throttled = toQuellError(
      Object.assign(new Error("The level of configured provisioned throughput for the table was exceeded."), {
        name: "ProvisionedThroughputExceededException",
        $fault: "client",
        $metadata: { httpStatusCode: 400, attempts: 1 },
      }),
    );
    expect(throttled).toBeInstanceOf(TransientError);
    expect(throttled.message).toContain("ProvisionedThroughputExceededException");
  });
});
