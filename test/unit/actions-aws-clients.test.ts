import type { IAMClient } from "@aws-sdk/client-iam";
import { describe, expect, it } from "vitest";
import { type AwsClientConfig, awsClients } from "../../functions/actions/aws-clients.js";
import { ConfigurationError } from "../../functions/shared/errors.js";

/** Records how the runner built it; stands in for an SDK client class. */
class RecordingClient {
  static built: AwsClientConfig[] = [];
  constructor(readonly config: AwsClientConfig) {
    RecordingClient.built.push(config);
  }
}
const AsIam = RecordingClient as unknown as new (config: AwsClientConfig) => IAMClient;

describe("awsClients", () => {
  it("builds a given client once, on first use, sending each call once", () => {
    RecordingClient.built = [];
    const clients = awsClients({ iam: AsIam });
    expect(RecordingClient.built).toEqual([]);
    expect(clients.iam()).toBe(clients.iam());
    expect(RecordingClient.built).toEqual([{ maxAttempts: 1 }]);
  });

  it("gives the client the action role's session credentials when a session is configured", () => {
    RecordingClient.built = [];
    awsClients(
      { iam: AsIam },
      { roleArn: "arn:aws:iam::111122223333:role/act", sessionName: "quell-inc_1" },
    ).iam();
    expect(typeof RecordingClient.built[0]?.credentials).toBe("function");
  });

  it("refuses a client the action's handler did not give, naming it", () => {
    const clients = awsClients({ iam: AsIam });
    expect(() => clients.bedrock()).toThrow(ConfigurationError);
    expect(() => clients.bedrock()).toThrow(/gives no bedrock client: pass it to createActionHandler/);
  });
});
