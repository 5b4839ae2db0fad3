import { resolve } from "node:path";
import { Annotations, App, type Environment } from "aws-cdk-lib";
import { addQuell } from "./quell.js";
import {
  NO_CONFIG_MESSAGE,
  quellConfigFrom,
  readTeamConfigFile,
  type SettingOverrides,
  TeamConfigError,
} from "./team-config.js";

/**
 * The CDK app, and the only reader of deploy configuration: the team's configuration file (team-config.ts),
 * named by `-c config=<path>` or the QUELL_CONFIG variable. It is validated here, so a bad or missing field fails
 * synth with its path, never a function at load. Context may still override, for one synth or deploy:
 *   environmentName, dryRun ("true"/"false"), ingestReservedConcurrency, slackReservedConcurrency  (settings)
 *   account, region  target environment; default the CLI's, and none (environment-agnostic) offline
 */
const app = new App();

function context(key: string): string | undefined {
  const value: unknown = app.node.tryGetContext(key);
  if (value === undefined || value === null || value === "") return undefined;
  return String(value).trim();
}

/** Said plainly, without a stack trace: a configuration mistake is the team's to fix, not Quell's. */
function fail(message: string): never {
  console.error(`\n${message}\n`);
  process.exit(1);
}

const configFile = context("config") ?? process.env.QUELL_CONFIG;
if (!configFile) fail(NO_CONFIG_MESSAGE);
const overrides: Record<string, string> = {};
for (const key of [
  "environmentName",
  "dryRun",
  "ingestReservedConcurrency",
  "slackReservedConcurrency",
] as const) {
  const value = context(key);
  if (value !== undefined) overrides[key] = value;
}
function readConfig(file: string) {
  try {
    return quellConfigFrom(readTeamConfigFile(resolve(file), overrides as SettingOverrides));
  } catch (error) {
    if (error instanceof TeamConfigError) fail(error.message);
    throw error;
  }
}
const config = readConfig(configFile);

const account = context("account") ?? process.env.CDK_DEFAULT_ACCOUNT;
const region = context("region") ?? process.env.CDK_DEFAULT_REGION;
const env: Environment | undefined = account || region ? { account, region } : undefined;

const { logic } = addQuell(app, config, env);
if (config.guardrailAdmins.length === 0) {
  Annotations.of(logic).addWarningV2(
    "quell:guardrailAdminsUnset",
    'settings.guardrailAdmins is empty (e.g. ["arn:aws:iam::111122223333:role/GuardrailAdmins"]): every ' +
      "Bedrock UpdateGuardrail and DeleteGuardrail will be flagged as guardrail tampering.",
  );
}
if (!config.litellmBaseUrl) {
  Annotations.of(logic).addWarningV2(
    "quell:litellmBaseUrlUnset",
    'settings.litellmBaseUrl is not set (e.g. "https://llm-gateway.example.com"): throttle-abuser\'s approved ' +
      "blocks and throttles will fail (litellm.* actions have no gateway to call).",
  );
}
app.synth();
