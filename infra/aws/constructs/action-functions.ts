import { Duration, Stack } from "aws-cdk-lib";
import type { ITable } from "aws-cdk-lib/aws-dynamodb";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import { Construct } from "constructs";
import type { IamNeed } from "../../../functions/actions/contract.js";
import { actions } from "../../../functions/actions/registry.js";
import { EnvNames } from "../../../functions/shared/env.js";
import { actionEntry } from "../catalog.js";
import { acknowledge, wildcardResourceFinding } from "../nag.js";
import { pascal } from "../paths.js";
import { QuellFunction, type SecretLookup } from "./quell-function.js";

/** What Powertools idempotency does to its table: nothing else, on nothing else. */
export const IDEMPOTENCY_ACTIONS = [
  "dynamodb:GetItem",
  "dynamodb:PutItem",
  "dynamodb:UpdateItem",
  "dynamodb:DeleteItem",
] as const;

/**
 * Why a contract may name a wildcard resource, per action and resource exactly as the contract writes it.
 * A wildcard with no entry here fails synth (cdk-nag AwsSolutions-IAM5): explain it or narrow it.
 */
const contractWildcards: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  "aws.deactivate-access-key": {
    "arn:${Partition}:iam::${Account}:user/*":
      "The IAM user whose access key leaked is named by the alert at run time, so the role cannot list it " +
      "in advance. The grant is limited to IAM users of this account (no roles, groups or other accounts) " +
      "and to iam:ListAccessKeys and iam:UpdateAccessKey only, from the action's IAM contract; the " +
      "playbook asks a human before the update and the action can undo it.",
  },
  "bedrock.tighten-prompt-attack-filter": {
    "arn:${Partition}:bedrock:${Region}:${Account}:guardrail/*":
      "The Bedrock guardrail to tighten is named by the prompt-injection alert at run time, so the role " +
      "cannot list it in advance. The grant is limited to guardrails of this account and region and to " +
      "bedrock:GetGuardrail and bedrock:UpdateGuardrail only, from the action's IAM contract; the playbook " +
      "asks a human before the update and the action can undo it.",
  },
};

const PLACEHOLDERS = /\$\{(Partition|Region|Account)\}/g;

/** Fill a contract ARN with this stack's partition, region and account; refuse any other placeholder. */
export function contractResource(stack: Stack, resource: string): string {
  if (resource.replace(PLACEHOLDERS, "").includes("${")) {
    throw new Error(`unknown placeholder in IAM contract resource ${resource}`);
  }
  return resource.replace(PLACEHOLDERS, (_match, name: string) =>
    name === "Partition" ? stack.partition : name === "Region" ? stack.region : stack.account,
  );
}

export interface ActionFunctionsProps {
  readonly idempotencyTable: ITable;
  readonly secretLookup: SecretLookup;
  readonly dryRun: boolean;
}

/**
 * One function per registered action, each with its own role: exactly the action's IAM contract, plus
 * logs, tracing, its idempotency records and the secrets its contract declares.
 */
export class ActionFunctions extends Construct {
  private readonly byName = new Map<string, QuellFunction>();

  constructor(scope: Construct, id: string, props: ActionFunctionsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    for (const [name, { definition, folder }] of Object.entries(actions)) {
      const fn = new QuellFunction(this, pascal(folder), {
        entry: actionEntry(folder),
        description: `Quell action ${name}`,
        timeout: Duration.seconds(definition.timeoutSeconds),
        environment: {
          [EnvNames.idempotencyTableName]: props.idempotencyTable.tableName,
          [EnvNames.dryRun]: String(props.dryRun),
        },
        secrets: definition.secrets,
        secretLookup: props.secretLookup,
      });
      fn.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: [...IDEMPOTENCY_ACTIONS],
          resources: [props.idempotencyTable.tableArn],
        }),
      );
      definition.iam.forEach((need: IamNeed) => {
        const resources = need.resources.map((resource) => contractResource(stack, resource));
        fn.role.addToPrincipalPolicy(new PolicyStatement({ actions: [...need.actions], resources }));
        need.resources.forEach((resource, index) => {
          const reason = contractWildcards[name]?.[resource];
          const filled = resources[index];
          if (reason && filled) acknowledge(fn.role, wildcardResourceFinding(fn, filled), reason);
        });
      });
      this.byName.set(name, fn);
    }
  }

  get all(): QuellFunction[] {
    return [...this.byName.values()];
  }

  functionFor(action: string): QuellFunction {
    const fn = this.byName.get(action);
    if (!fn) throw new Error(`no function for action ${action}`);
    return fn;
  }
}
