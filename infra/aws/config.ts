import type { TriageConfig } from "../../functions/triage/config.js";

/**
 * Deploy configuration. Only infra/aws/app.ts reads it (from the team configuration file, validated by
 * team-config.ts); everything else receives it.
 */
export interface QuellConfig {
  /** Names the stacks (`Quell-<name>-Data`, `Quell-<name>-Logic`) so environments can share an account. */
  readonly environmentName: string;
  /** When true (the default), actions plan and record their writes but never send them. */
  readonly dryRun: boolean;
  /** Channel id approval requests are posted to (required: functions that post need it). */
  readonly slackChannel: string;
  /** Slack user (and user group) ids allowed to decide when a playbook names none; never empty. */
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
  /** What no action ever contains (QUELL_PROTECTED_PRINCIPALS on every action function); see team-config.ts. */
  readonly protectedPrincipals: readonly string[];
  /** At most this many containments an hour before each further one needs a second approver; unset: no budget. */
  readonly containmentsPerHour?: number;
  /** Where docs/playbooks/ is published; approval cards link each playbook's diagram there. */
  readonly playbookDocsUrl?: string;
  /** Where poisoned documents are quarantined; unset: a quell-quarantine/ prefix of their own bucket. */
  readonly documentQuarantineBucket?: string;
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
  /** How long each exported audit chain head stays locked in the audit bucket (Object Lock, governance mode). */
  readonly auditRetentionDays: number;
  /** Email addresses subscribed to Quell's own alarm topic (self-monitoring). Empty: nobody is told. */
  readonly alarmEmails: readonly string[];
  /**
   * Reserved concurrency of the ingest function behind the public (AuthType NONE) ingest URL: a flood, signed or
   * not, runs at most this many at once and is throttled beyond (HTTP 429), never eating the account's pool.
   */
  readonly ingestReservedConcurrency: number;
  /** Reserved concurrency of the Slack function behind the public Slack interactivity URL (as ingest's). */
  readonly slackReservedConcurrency: number;
  /**
   * The triage part of the team configuration (inventory, people, routes, suppressions…), validated. Deployed to
   * AWS AppConfig as the initial version; a team changes it there without redeploying.
   */
  readonly triage: TriageConfig;
}
