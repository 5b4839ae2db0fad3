import { CfnOutput, Stack } from "aws-cdk-lib";
import { Effect, type IGrantable, PolicyStatement } from "aws-cdk-lib/aws-iam";
import { Construct, type IConstruct } from "constructs";
import {
  putParameterCommand,
  type SecretName,
  secretParameterName,
  secretParameterVariable,
} from "../../../functions/shared/env.js";
import { acknowledge, wildcardResourceFinding } from "../nag.js";
import { pascal } from "../paths.js";

/** Looks a secret up by name; the data stack names the parameters, functions only get the names. */
export interface SecretLookup {
  /** The SSM parameter (`/quell/<environmentName>/<NAME>`) that holds secret `name`. */
  parameterName(name: SecretName): string;
}

const purposes: Readonly<Record<SecretName, string>> = {
  QUELL_WEBHOOK_SECRET: "HMAC key generic webhook senders sign alert bodies with",
  QUELL_GITHUB_WEBHOOK_SECRET: "secret of the GitHub webhook (X-Hub-Signature-256)",
  SLACK_SIGNING_SECRET: "signing secret of the Quell Slack app",
  SLACK_BOT_TOKEN: "bot token (xoxb-) of the Quell Slack app",
  OPENAI_ADMIN_KEY: "OpenAI organization admin API key",
  ANTHROPIC_ADMIN_KEY: "Anthropic organization admin API key",
  GITHUB_TOKEN: "GitHub token that may read and resolve secret scanning alerts",
  LITELLM_MASTER_KEY: "LiteLLM proxy master key (admin API: key limits, blocked end users)",
  QUELL_EVENTS_TOKEN: "bearer token for POST /events (EventBridge envelopes sent over HTTPS)",
  QUELL_SOURCE_TOKEN_ALERTMANAGER: "bearer token Alertmanager sends with its webhook",
  QUELL_SOURCE_TOKEN_GRAFANA: "bearer token Grafana sends with its webhook",
  QUELL_SOURCE_TOKEN_DATADOG: "bearer token Datadog sends with its webhook",
  QUELL_SOURCE_TOKEN_PAGERDUTY: "bearer token PagerDuty sends with its webhook",
};

/**
 * The secrets some function reads, as SSM Parameter Store SecureString parameters (standard tier, encrypted
 * with the AWS managed key aws/ssm: no charge while idle). CloudFormation cannot create SecureString
 * parameters, so the stack creates none: it names them, and outputs the name of each and the command that
 * sets it. Functions get `<NAME>_PARAMETER` and read the value at run time.
 */
export class SecretStore extends Construct implements SecretLookup {
  private readonly parameters = new Map<SecretName, string>();

  constructor(
    scope: Construct,
    id: string,
    props: { readonly names: readonly SecretName[]; readonly environmentName: string },
  ) {
    super(scope, id);
    for (const name of [...new Set(props.names)].sort()) {
      const parameterName = secretParameterName(props.environmentName, name);
      const output = pascal(name.toLowerCase());
      new CfnOutput(this, `${output}Parameter`, {
        value: parameterName,
        description: `SecureString parameter for the ${purposes[name]}; functions get ${secretParameterVariable(name)}`,
      });
      new CfnOutput(this, `${output}PutCommand`, {
        value: putParameterCommand(parameterName),
        description: `Sets (or rotates) the ${purposes[name]}`,
      });
      this.parameters.set(name, parameterName);
    }
  }

  get names(): SecretName[] {
    return [...this.parameters.keys()];
  }

  parameterName(name: SecretName): string {
    const parameterName = this.parameters.get(name);
    if (!parameterName)
      throw new Error(`secret ${name} is used by a function but the data stack does not name its parameter`);
    return parameterName;
  }
}

/** The ARN of SSM parameter `parameterName` (`/a/b`) in `scope`'s account and region. */
export const parameterArn = (scope: IConstruct, parameterName: string): string =>
  Stack.of(scope).formatArn({
    service: "ssm",
    resource: "parameter",
    resourceName: parameterName.replace(/^\//, ""),
  });

/**
 * Let `grantee` read exactly `names` (and nothing else): `ssm:GetParameter` on those parameters, and
 * `kms:Decrypt` only through Parameter Store and only for those parameters (the encryption context SSM sends
 * with a SecureString names the parameter). Returns the environment that points the function at them.
 */
export function grantSecretReads(
  grantee: IGrantable & IConstruct,
  names: readonly SecretName[],
  lookup: SecretLookup,
): Record<string, string> {
  const environment: Record<string, string> = {};
  if (names.length === 0) return environment;
  const stack = Stack.of(grantee);
  const arns = names.map((name) => {
    const parameterName = lookup.parameterName(name);
    environment[secretParameterVariable(name)] = parameterName;
    return parameterArn(grantee, parameterName);
  });
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({ effect: Effect.ALLOW, actions: ["ssm:GetParameter"], resources: arns }),
  );
  const anyKey = stack.formatArn({ service: "kms", resource: "key", resourceName: "*" });
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({
      effect: Effect.ALLOW,
      actions: ["kms:Decrypt"],
      resources: [anyKey],
      conditions: {
        StringEquals: {
          "kms:ViaService": `ssm.${stack.region}.amazonaws.com`,
          "kms:EncryptionContext:PARAMETER_ARN": arns,
        },
      },
    }),
  );
  acknowledge(
    grantee,
    wildcardResourceFinding(grantee, anyKey),
    "kms:Decrypt names no key id because the SecureString parameters use the AWS managed key aws/ssm, whose id " +
      "differs per account and region and cannot be known at synth; the statement is bounded by conditions " +
      "instead: kms:ViaService (only through Parameter Store in this region) and " +
      "kms:EncryptionContext:PARAMETER_ARN (only the parameters this function's contract declares).",
  );
  return environment;
}
