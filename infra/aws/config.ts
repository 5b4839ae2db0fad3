/** Deploy configuration. Only infra/aws/app.ts reads it (from CDK context); everything else receives it. */
export interface QuellConfig {
  /** Names the stacks (`Quell-<name>-Data`, `Quell-<name>-Logic`) so environments can share an account. */
  readonly environmentName: string;
  /** When true (the default), actions plan and record their writes but never send them. */
  readonly dryRun: boolean;
  /** Channel id approval requests are posted to. */
  readonly slackChannel?: string;
  /** Slack user ids allowed to decide when a playbook names none. */
  readonly approvers: readonly string[];
  /** Override of the Slack Web API base URL (a stand-in); unset means Slack itself. */
  readonly slackApiUrl?: string;
  /** How long an alert's dedup key folds repeats into one incident. */
  readonly dedupWindowSeconds: number;
  /**
   * IAM user, role or root ARNs allowed to change Bedrock guardrails (triage's `QUELL_GUARDRAIL_ADMINS`).
   * Empty: nobody is allow-listed, so every UpdateGuardrail and DeleteGuardrail is guardrail tampering.
   */
  readonly guardrailAdmins: readonly string[];
  /**
   * The LiteLLM proxy (LLM gateway) the litellm.* actions manage, e.g. https://llm-gateway.internal.example.com.
   * Unset: those actions fail with ConfigurationError (a self-hosted gateway has no default address).
   */
  readonly litellmBaseUrl?: string;
  /**
   * CloudWatch alarms outside the AI namespaces that Quell should still take, by alarm name prefix (an alarm on
   * an AI app's own metric, say). Alarms in the AI namespaces (AWS/Bedrock, AWS/SageMaker…) are always taken.
   */
  readonly cloudwatchAlarmNamePrefixes: readonly string[];
  /** Email addresses subscribed to Quell's own alarm topic (self-monitoring). Empty: nobody is told. */
  readonly alarmEmails: readonly string[];
}
