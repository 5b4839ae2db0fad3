import { actions } from "../../functions/actions/registry.js";
import { type SecretName, SecretNames } from "../../functions/shared/env.js";
import type { PatternNode, RuleSettings } from "../../functions/sources/aws/event-pattern.js";
import { eventSources, sources } from "../../functions/sources/index.js";

/** The functions that are not actions: their entry, the secrets they read, and their timeout. */
export interface CoreFunctionSpec {
  readonly entry: string;
  readonly description: string;
  readonly secrets: readonly SecretName[];
  readonly timeoutSeconds: number;
}

export const coreFunctions = {
  ingest: {
    entry: "functions/ingest/handler.ts",
    description: "Quell ingest: verifies webhook signatures, records rejects, puts alerts on the bus",
    // Every webhook source's secret, plus the token of POST /events: a new source needs no infra edit.
    secrets: [
      ...new Set([...Object.values(sources).map((source) => source.secretName), SecretNames.eventsToken]),
    ],
    timeoutSeconds: 10,
  },
  triage: {
    entry: "functions/triage/handler.ts",
    description: "Quell triage: dedups alerts into incidents and starts the matching playbook",
    secrets: [],
    timeoutSeconds: 30,
  },
  approvalRequest: {
    entry: "functions/approval-request/handler.ts",
    description: "Quell approval request: posts an approval to Slack and parks the task token",
    secrets: [SecretNames.slackBotToken],
    timeoutSeconds: 30,
  },
  recorder: {
    entry: "functions/recorder/handler.ts",
    description: "Quell recorder: writes playbook timeline events and outcomes to the incident",
    secrets: [],
    timeoutSeconds: 10,
  },
  slack: {
    entry: "functions/slack/handler.ts",
    description: "Quell Slack interactions: verifies Slack signatures and resumes waiting playbooks",
    secrets: [SecretNames.slackSigningSecret, SecretNames.slackBotToken],
    timeoutSeconds: 10,
  },
  notifier: {
    entry: "functions/notifier/handler.ts",
    description: "Quell notifier: re-renders decided cards and posts progress in the incident's Slack thread",
    secrets: [SecretNames.slackBotToken],
    timeoutSeconds: 30,
  },
  shadowDigest: {
    entry: "functions/shadow-digest/handler.ts",
    description: "Quell shadow digest: posts daily what shadow playbooks would have done, per incident",
    secrets: [SecretNames.slackBotToken],
    timeoutSeconds: 60,
  },
  executionWatch: {
    entry: "functions/execution-watch/handler.ts",
    description:
      "Quell execution watch: marks an incident interrupted when its playbook execution fails, times out or is aborted",
    secrets: [],
    timeoutSeconds: 30,
  },
  auditExport: {
    entry: "functions/audit-export/handler.ts",
    description: "Quell audit exporter: copies incident audit chain heads to the Object Lock audit bucket",
    secrets: [],
    timeoutSeconds: 30,
  },
} as const satisfies Record<string, CoreFunctionSpec>;

export const actionEntry = (folder: string): string => `functions/actions/${folder}/handler.ts`;

/** Every secret some function reads: the data stack creates exactly these. */
export function secretsInUse(): SecretName[] {
  const names = new Set<SecretName>();
  for (const spec of Object.values(coreFunctions)) for (const name of spec.secrets) names.add(name);
  for (const { definition } of Object.values(actions)) for (const name of definition.secrets) names.add(name);
  return [...names].sort();
}

/** The detail-type EventBridge gives API calls recorded by CloudTrail. */
export const CLOUDTRAIL_API_CALL = "AWS API Call via CloudTrail";

/** One rule on the account's default event bus, delivering an AWS source's events to triage. */
export interface AwsEventRuleSpec {
  readonly source: string;
  readonly detailTypes: readonly string[];
  /** What the rule lets in beyond source and detail-type: the adapter's `detailPattern`. */
  readonly detail: PatternNode;
  /**
   * Rule state ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS: a rule in state ENABLED never sees read-only
   * management events delivered by CloudTrail (Describe*, Get*, List*: ListFoundationModels,
   * GetFoundationModelAvailability), so every source matching CloudTrail API calls gets this state.
   */
  readonly allCloudTrailManagementEvents: boolean;
}

/**
 * One rule per registered AWS event source, matching the adapter's source, detail-types and detail pattern: a
 * new source in `eventSources` needs no infra edit.
 */
export function awsEventRules(settings: RuleSettings): AwsEventRuleSpec[] {
  return Object.values(eventSources)
    .map((adapter) => ({
      source: adapter.source,
      detailTypes: [...adapter.detailTypes],
      detail: adapter.detailPattern(settings),
      allCloudTrailManagementEvents: adapter.detailTypes.includes(CLOUDTRAIL_API_CALL),
    }))
    .sort((a, b) => a.source.localeCompare(b.source));
}
