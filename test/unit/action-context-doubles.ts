import type { ActionContext, AwsClients } from "../../functions/actions/contract.js";

type Clients = { readonly [Service in keyof AwsClients]?: ReturnType<AwsClients[Service]> };

const unavailable = (what: string) => () => {
  throw new Error(`no ${what} here`);
};

/** An action context whose every dependency fails loudly, except the AWS client doubles given. */
export function contextWith(clients: Clients = {}): ActionContext {
  const { iam, bedrock } = clients;
  return {
    http: async () => unavailable("HTTP")(),
    secret: async () => unavailable("secrets")(),
    aws: {
      iam: iam ? () => iam : unavailable("IAM"),
      bedrock: bedrock ? () => bedrock : unavailable("Bedrock"),
    },
    env: {},
  };
}

/**
 * An AWS client double: records every command it is sent (class name and input), in order, and answers each
 * with `answer`.
 */
export function recordingClient<Command extends { readonly input: unknown }>(
  answer: (command: Command) => unknown,
) {
  const sent: { command: string; input: unknown }[] = [];
  const client = {
    async send(command: Command) {
      sent.push({ command: command.constructor.name, input: command.input });
      return answer(command);
    },
  };
  return { client, sent };
}
