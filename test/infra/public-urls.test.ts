import { beforeAll, describe, expect, it } from "vitest";
import { logicalIdOf, type SynthesizedQuell, synthQuell, TEST_CONFIG, TEST_ENV } from "./quell-app.js";

/**
 * The two public Function URLs (AuthType NONE: senders sign the body, not the AWS request) run on functions with
 * reserved concurrency from the configuration, so an unauthenticated flood runs at most that many at once.
 */
describe("public Function URLs are bounded", () => {
  let quell: SynthesizedQuell;
  beforeAll(() => {
    quell = synthQuell(TEST_ENV, {
      ...TEST_CONFIG,
      ingestReservedConcurrency: 17,
      slackReservedConcurrency: 7,
    });
  });

  it("every AuthType NONE URL targets a function with the configured reserved concurrency", () => {
    const resources = quell.raw.logic.Resources;
    const urls = Object.values(resources).filter((resource) => resource.Type === "AWS::Lambda::Url");
    const reserved = Object.fromEntries(
      urls.map((url) => {
        expect(url.Properties?.AuthType).toBe("NONE");
        const arn = url.Properties?.TargetFunctionArn as { "Fn::GetAtt": [string, string] };
        const target = arn["Fn::GetAtt"][0];
        return [target, resources[target]?.Properties?.ReservedConcurrentExecutions];
      }),
    );
    expect(reserved).toEqual({
      [logicalIdOf(quell.logic.intake.ingest.fn)]: 17,
      [logicalIdOf(quell.logic.slack.slack.fn)]: 7,
    });
  });
});
