import { ConfigurationError } from "../shared/errors.js";
import { type ActionSession, assumedRoleCredentials } from "./assume-role.js";
import type { AwsClients } from "./contract.js";

/** What every action's AWS client is built with. */
export interface AwsClientConfig {
  readonly maxAttempts: number;
  readonly credentials?: ReturnType<typeof assumedRoleCredentials>;
}

/**
 * The AWS SDK client classes an action's handler gives its runner (`createActionHandler(action, { iam: IAMClient })`).
 * Only these are imported into that action's bundle: an action that calls no AWS API carries no AWS client.
 */
export type AwsClientClasses = {
  readonly [K in keyof AwsClients]?: new (
    config: AwsClientConfig,
  ) => ReturnType<AwsClients[K]>;
};

/**
 * Clients created on first use from the given classes. With a `session`, calls run as the action's own role in a
 * session named after the incident; without one, as the function itself. A client the handler did not give
 * is a wiring mistake, named when the action asks for it.
 */
export function awsClients(classes: AwsClientClasses, session?: ActionSession): AwsClients {
  // Each call is sent once: the SDK's own retry would send a write again after a provider applied it but
  // answered 5xx. A retryable failure becomes a TransientError instead (toQuellError), and the playbook's retry
  // plans the step again from what the target now holds.
  const config: AwsClientConfig = {
    maxAttempts: 1,
    ...(session ? { credentials: assumedRoleCredentials(session) } : {}),
  };
  const created = new Map<keyof AwsClients, unknown>();
  const client = <K extends keyof AwsClients>(name: K) => {
    const Client = classes[name];
    if (!Client) {
      throw new ConfigurationError(
        `this action's handler gives no ${name} client: pass it to createActionHandler (its handler.ts)`,
      );
    }
    if (!created.has(name)) created.set(name, new Client(config));
    return created.get(name) as ReturnType<AwsClients[K]>;
  };
  return {
    iam: () => client("iam"),
    bedrock: () => client("bedrock"),
    bedrockAgent: () => client("bedrockAgent"),
    sagemaker: () => client("sagemaker"),
    ssm: () => client("ssm"),
    s3: () => client("s3"),
  };
}
