import { Annotations, App, type Environment } from "aws-cdk-lib";
import { GUARDRAIL_ADMINS_ENV, guardrailAdminsFrom } from "../../functions/sources/aws/bedrock.js";
import type { QuellConfig } from "./config.js";
import { addQuell } from "./quell.js";

/**
 * The CDK app, and the only reader of deploy configuration. Context (cdk.json or `-c key=value`):
 *   environmentName  stack name part, default "dev"
 *   dryRun           "true" (default) or "false": whether actions send their writes
 *   slackChannel     channel id approval requests go to
 *   approvers        comma-separated Slack user ids allowed to decide
 *   slackApiUrl      Slack Web API base URL override (stand-ins), optional
 *   dedupWindowSeconds  default 604800 (7 days)
 *   guardrailAdmins  comma-separated IAM user, role or root ARNs allowed to change Bedrock guardrails;
 *                    unset means every guardrail change is flagged as tampering
 *   litellmBaseUrl   https URL of the LiteLLM proxy the litellm.* actions manage (throttle-abuser), optional
 *   account, region  target environment; default the CLI's, and none (environment-agnostic) offline
 */
const app = new App();

function context(key: string): string | undefined {
  const value: unknown = app.node.tryGetContext(key);
  if (value === undefined || value === null || value === "") return undefined;
  return String(value).trim();
}

function readConfig(): QuellConfig {
  const environmentName = context("environmentName") ?? "dev";
  if (!/^[A-Za-z][A-Za-z0-9]{0,15}$/.test(environmentName)) {
    throw new Error(
      `environmentName must be 1-16 letters or digits, starting with a letter: ${environmentName}`,
    );
  }
  const dryRun = context("dryRun") ?? "true";
  if (dryRun !== "true" && dryRun !== "false") throw new Error(`dryRun must be "true" or "false": ${dryRun}`);
  const approvers = (context("approvers") ?? "")
    .split(",")
    .map((id) => id.trim())
    .filter(Boolean);
  const invalid = approvers.filter((id) => !/^[UWS][A-Z0-9]+$/.test(id));
  if (invalid.length > 0) {
    throw new Error(`approvers must be Slack user or user group ids: ${invalid.join(", ")}`);
  }
  const dedupWindowSeconds = Number(context("dedupWindowSeconds") ?? 7 * 24 * 3600);
  if (!Number.isInteger(dedupWindowSeconds) || dedupWindowSeconds <= 0) {
    throw new Error(`dedupWindowSeconds must be a positive integer: ${context("dedupWindowSeconds")}`);
  }
  const guardrailAdmins = [
    ...new Set(
      (context("guardrailAdmins") ?? "")
        .split(",")
        .map((arn) => arn.trim())
        .filter(Boolean),
    ),
  ];
  // The same test triage applies (it ignores entries that are not IAM principal ARNs), made loud here: an
  // ignored entry would silently flag that admin's changes as tampering.
  const notIam = guardrailAdmins.filter(
    (arn) => guardrailAdminsFrom({ [GUARDRAIL_ADMINS_ENV]: arn }).size === 0,
  );
  if (notIam.length > 0) {
    throw new Error(
      "guardrailAdmins must be IAM user, role or root ARNs (arn:aws:iam::111122223333:role/Name; for an " +
        `assumed-role session give its role's ARN): ${notIam.join(", ")}`,
    );
  }
  const slackChannel = context("slackChannel");
  const slackApiUrl = context("slackApiUrl");
  const litellmBaseUrl = context("litellmBaseUrl");
  if (litellmBaseUrl && !URL.canParse(litellmBaseUrl)) {
    throw new Error(
      `litellmBaseUrl must be a URL such as https://llm-gateway.example.com: ${litellmBaseUrl}`,
    );
  }
  return {
    environmentName,
    dryRun: dryRun === "true",
    approvers,
    dedupWindowSeconds,
    guardrailAdmins,
    cloudwatchAlarmNamePrefixes: [],
    alarmEmails: [],
    ...(slackChannel ? { slackChannel } : {}),
    ...(slackApiUrl ? { slackApiUrl } : {}),
    ...(litellmBaseUrl ? { litellmBaseUrl } : {}),
  };
}

const account = context("account") ?? process.env.CDK_DEFAULT_ACCOUNT;
const region = context("region") ?? process.env.CDK_DEFAULT_REGION;
const env: Environment | undefined = account || region ? { account, region } : undefined;

const config = readConfig();
const { logic } = addQuell(app, config, env);
if (!config.slackChannel) {
  Annotations.of(logic).addWarningV2(
    "quell:slackChannelUnset",
    "slackChannel is not set (-c slackChannel=C0123456789): approval requests and incident notifications cannot be posted.",
  );
}
if (config.guardrailAdmins.length === 0) {
  Annotations.of(logic).addWarningV2(
    "quell:guardrailAdminsUnset",
    "guardrailAdmins is not set (-c guardrailAdmins=arn:aws:iam::111122223333:role/GuardrailAdmins): every " +
      "Bedrock UpdateGuardrail and DeleteGuardrail will be flagged as guardrail tampering.",
  );
}
if (!config.litellmBaseUrl) {
  Annotations.of(logic).addWarningV2(
    "quell:litellmBaseUrlUnset",
    "litellmBaseUrl is not set (-c litellmBaseUrl=https://llm-gateway.example.com): throttle-abuser's approved " +
      "blocks and throttles will fail (litellm.* actions have no gateway to call).",
  );
}
app.synth();
