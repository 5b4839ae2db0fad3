import { z } from "zod";
import { ConfigurationError } from "./errors.js";

/**
 * Environment variable names shared by infra (which sets them) and functions (which read them). Secrets
 * travel by name: locally the variable holds the value; on AWS `<NAME>_SECRET_ARN` holds a Secrets
 * Manager ARN, granted only to the functions whose contract declares the secret.
 */
export const EnvNames = {
  tableName: "QUELL_TABLE_NAME",
  idempotencyTableName: "QUELL_IDEMPOTENCY_TABLE_NAME",
  eventBusName: "QUELL_EVENT_BUS_NAME",
  playbookArns: "QUELL_PLAYBOOK_ARNS",
  dryRun: "QUELL_DRY_RUN",
  maxBodyBytes: "QUELL_MAX_BODY_BYTES",
  dedupWindowSeconds: "QUELL_DEDUP_WINDOW_SECONDS",
  triageConfigFile: "QUELL_TRIAGE_CONFIG_FILE",
  slackApiUrl: "SLACK_API_URL",
  slackChannel: "QUELL_SLACK_CHANNEL",
  approvers: "QUELL_APPROVERS",
  openaiBaseUrl: "OPENAI_BASE_URL",
  githubApiUrl: "GITHUB_API_URL",
  /** The LiteLLM proxy (LLM gateway) whose admin API the litellm.* actions call; self-hosted, so no default. */
  litellmBaseUrl: "LITELLM_BASE_URL",
  /** JSON: action name → the IAM role its AWS calls assume, in a session named after the incident. */
  actionRoles: "QUELL_ACTION_ROLES",
} as const;

export const SecretNames = {
  webhookSecret: "QUELL_WEBHOOK_SECRET",
  githubWebhookSecret: "QUELL_GITHUB_WEBHOOK_SECRET",
  slackSigningSecret: "SLACK_SIGNING_SECRET",
  slackBotToken: "SLACK_BOT_TOKEN",
  openaiAdminKey: "OPENAI_ADMIN_KEY",
  anthropicAdminKey: "ANTHROPIC_ADMIN_KEY",
  githubToken: "GITHUB_TOKEN",
  litellmMasterKey: "LITELLM_MASTER_KEY",
  eventsToken: "QUELL_EVENTS_TOKEN",
  alertmanagerToken: "QUELL_SOURCE_TOKEN_ALERTMANAGER",
  grafanaToken: "QUELL_SOURCE_TOKEN_GRAFANA",
  datadogToken: "QUELL_SOURCE_TOKEN_DATADOG",
  pagerdutyToken: "QUELL_SOURCE_TOKEN_PAGERDUTY",
} as const;

export type SecretName = (typeof SecretNames)[keyof typeof SecretNames];

export const secretArnVariable = (name: SecretName): string => `${name}_SECRET_ARN`;

const booleanFlag = z
  .enum(["true", "false", "1", "0"])
  .transform((value) => value === "true" || value === "1");

/** Read and validate a set of variables once, at cold start. */
export function readEnv<T extends z.ZodRawShape>(
  shape: T,
  source: NodeJS.ProcessEnv = process.env,
): z.infer<z.ZodObject<T>> {
  const result = z.object(shape).safeParse(source);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new ConfigurationError(`invalid environment: ${problems.join("; ")}`);
  }
  return result.data;
}

export const envSchemas = {
  tableName: z.string().min(1),
  /** QUELL_PLAYBOOK_ARNS: state machine ARNs by name (each playbook, and the undo machine), as JSON. */
  machineArns: z
    .string()
    .transform((value) => z.record(z.string(), z.string().startsWith("arn:")).parse(JSON.parse(value))),
  dryRun: booleanFlag.default(true),
  actionRoles: z
    .string()
    .default("{}")
    .transform((value) => z.record(z.string(), z.string().startsWith("arn:")).parse(JSON.parse(value))),
  url: z.url(),
  positiveInt: z.coerce.number().int().positive(),
  approvers: z
    .string()
    .default("")
    .transform((value) =>
      value
        .split(",")
        .map((id) => id.trim())
        .filter(Boolean),
    ),
};
