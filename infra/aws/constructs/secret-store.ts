import { CfnOutput, RemovalPolicy } from "aws-cdk-lib";
import { type ISecret, Secret } from "aws-cdk-lib/aws-secretsmanager";
import { Construct } from "constructs";
import { type SecretName, secretArnVariable } from "../../../functions/shared/env.js";
import { acknowledge } from "../nag.js";
import { pascal } from "../paths.js";
import type { SecretLookup } from "./quell-function.js";

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

const ROTATION_REASON =
  "The value is issued by a third party (GitHub, Slack, OpenAI) or shared with a webhook sender, so a " +
  "Secrets Manager rotation Lambda cannot rotate it on its own; operators rotate it at the issuer and put " +
  "the new value here, and functions re-read it within five minutes (Powertools cache).";

/**
 * One Secrets Manager secret per secret name some function reads. Created with a generated placeholder
 * for the operator to replace; functions receive only the ARN.
 */
export class SecretStore extends Construct implements SecretLookup {
  private readonly secrets = new Map<SecretName, Secret>();

  constructor(scope: Construct, id: string, props: { readonly names: readonly SecretName[] }) {
    super(scope, id);
    for (const name of [...new Set(props.names)].sort()) {
      const secret = new Secret(this, name, {
        description: `Quell ${purposes[name]}. Replace the generated placeholder; functions get ${secretArnVariable(name)}.`,
        generateSecretString: { passwordLength: 64, excludePunctuation: true },
        removalPolicy: RemovalPolicy.RETAIN,
      });
      acknowledge(secret, "AwsSolutions-SMG4", ROTATION_REASON);
      new CfnOutput(this, `${pascal(name.toLowerCase())}Arn`, {
        value: secret.secretArn,
        description: `Put the ${purposes[name]} here`,
      });
      this.secrets.set(name, secret);
    }
  }

  get names(): SecretName[] {
    return [...this.secrets.keys()];
  }

  secret(name: SecretName): ISecret {
    const secret = this.secrets.get(name);
    if (!secret)
      throw new Error(`secret ${name} is used by a function but the data stack does not create it`);
    return secret;
  }
}
