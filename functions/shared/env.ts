import * as z from "zod";
import { ConfigurationError } from "./errors.js";

/**
 * Environment variable names shared by infra (which sets them) and functions (which read them). Secrets
 * travel by name: locally the variable holds the value; on AWS `<NAME>_PARAMETER` holds the name of an SSM
 * SecureString parameter, readable only by the functions whose contract declares the secret.
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
  /** The team configuration file (settings and triage part); triage and ingest read its `triage` part, locally. */
  configFile: "QUELL_CONFIG_FILE",
  /** On AWS: the AppConfig application, environment and configuration profile holding the triage part. */
  appConfigApplication: "QUELL_APPCONFIG_APPLICATION",
  appConfigEnvironment: "QUELL_APPCONFIG_ENVIRONMENT",
  appConfigProfile: "QUELL_APPCONFIG_PROFILE",
  /** How long a read triage configuration is used before it is looked at again (AppConfig or the file). */
  configMaxAgeSeconds: "QUELL_CONFIG_MAX_AGE_SECONDS",
  slackApiUrl: "SLACK_API_URL",
  /** Where the playbooks' diagram pages are published (docs/playbooks/ of your repository); cards link to them. */
  playbookDocsUrl: "QUELL_PLAYBOOK_DOCS_URL",
  slackChannel: "QUELL_SLACK_CHANNEL",
  approvers: "QUELL_APPROVERS",
  openaiBaseUrl: "OPENAI_BASE_URL",
  anthropicBaseUrl: "ANTHROPIC_BASE_URL",
  githubApiUrl: "GITHUB_API_URL",
  /** The LiteLLM proxy (LLM gateway) whose admin API the litellm.* actions call; self-hosted, so no default. */
  litellmBaseUrl: "LITELLM_BASE_URL",
  /** On AWS: the S3 bucket (Object Lock) the audit exporter writes chain heads to (functions/audit-export). */
  auditBucket: "QUELL_AUDIT_BUCKET",
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

/** On AWS, the variable that names the SSM SecureString parameter holding secret `name` (never the value). */
export const secretParameterVariable = (name: SecretName): string => `${name}_PARAMETER`;

/** Where a deployment keeps secret `name`: `/quell/<environmentName>/<NAME>` in SSM Parameter Store. */
export const secretParameterName = (environmentName: string, name: SecretName): string =>
  `/quell/${environmentName}/${name}`;

/** The AWS CLI command that sets (or rotates) the SecureString parameter `parameterName`. */
export const putParameterCommand = (parameterName: string): string =>
  `aws ssm put-parameter --type SecureString --overwrite --name ${parameterName} --value '<value>'`;

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
  bucketName: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: "an S3 bucket name" }),
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
