import { SecretNames } from "../../functions/shared/env.js";
import { fromRoot } from "../../infra/aws/paths.js";

/**
 * The environment a bundle is imported with, outside Lambda: what every function reads at cold start, with
 * secrets given by value (functions/shared/secrets.ts reads `<NAME>` first) so nothing is fetched at load,
 * and dummy credentials so no SDK client goes looking for real ones.
 */
export const bundleImportEnv: Readonly<Record<string, string>> = {
  PATH: process.env.PATH ?? "",
  AWS_REGION: "us-east-1",
  AWS_ACCESS_KEY_ID: "AKIABUNDLEIMPORT0000",
  AWS_SECRET_ACCESS_KEY: "bundle-import",
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  POWERTOOLS_LOG_LEVEL: "ERROR",
  POWERTOOLS_METRICS_DISABLED: "true",
  QUELL_TABLE_NAME: "quell-bundle-import",
  QUELL_IDEMPOTENCY_TABLE_NAME: "quell-bundle-import-idempotency",
  QUELL_EVENT_BUS_NAME: "quell-bundle-import",
  QUELL_PLAYBOOK_ARNS: "{}",
  QUELL_DRY_RUN: "true",
  QUELL_SLACK_CHANNEL: "C0BUNDLE",
  QUELL_APPROVERS: "U0BUNDLE",
  // The example team configuration, as `npm start` uses it: on AWS triage reads its own from AppConfig.
  QUELL_CONFIG_FILE: fromRoot("playbooks/quell.example.json"),
  ...Object.fromEntries(Object.values(SecretNames).map((name) => [name, "bundle-import-secret"])),
};
