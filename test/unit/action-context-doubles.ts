import type {
  ActionContext,
  ActionJournal,
  AwsClients,
  WriteDescription,
  WriteOutcome,
} from "../../functions/actions/contract.js";

type Clients = { readonly [Service in keyof AwsClients]?: ReturnType<AwsClients[Service]> };

const unavailable = (what: string) => () => {
  throw new Error(`no ${what} here`);
};

/** A journal entry as the runner made it: a write attempted, or a write settled with its outcome. */
export type JournalEntry =
  | { readonly attempted: WriteDescription }
  | { readonly settled: WriteDescription; readonly outcome: WriteOutcome };

/** A journal that keeps every entry, in order, in `entries`. */
export function recordingJournal(): { journal: ActionJournal; entries: JournalEntry[] } {
  const entries: JournalEntry[] = [];
  return {
    entries,
    journal: {
      async attempted(write) {
        entries.push({ attempted: write });
      },
      async settled(write, outcome) {
        entries.push({ settled: write, outcome });
      },
    },
  };
}

/**
 * An action context whose every dependency fails loudly, except the AWS client doubles given; its journal
 * records in memory (pass one to read it).
 */
export function contextWith(
  clients: Clients = {},
  journal: ActionJournal = recordingJournal().journal,
): ActionContext {
  const { iam, bedrock, bedrockAgent, sagemaker, ssm, s3 } = clients;
  return {
    http: async () => unavailable("HTTP")(),
    secret: async () => unavailable("secrets")(),
    aws: {
      iam: iam ? () => iam : unavailable("IAM"),
      bedrock: bedrock ? () => bedrock : unavailable("Bedrock"),
      bedrockAgent: bedrockAgent ? () => bedrockAgent : unavailable("Bedrock Agent"),
      sagemaker: sagemaker ? () => sagemaker : unavailable("SageMaker"),
      ssm: ssm ? () => ssm : unavailable("SSM"),
      s3: s3 ? () => s3 : unavailable("S3"),
    },
    env: {},
    journal,
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
