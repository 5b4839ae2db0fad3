import { actions } from "../../functions/actions/registry.js";
import { type SecretName, SecretNames } from "../../functions/shared/env.js";
import { sources } from "../../functions/sources/index.js";

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
} as const satisfies Record<string, CoreFunctionSpec>;

export const actionEntry = (folder: string): string => `functions/actions/${folder}/handler.ts`;

/** Every secret some function reads: the data stack creates exactly these. */
export function secretsInUse(): SecretName[] {
  const names = new Set<SecretName>();
  for (const spec of Object.values(coreFunctions)) for (const name of spec.secrets) names.add(name);
  for (const { definition } of Object.values(actions)) for (const name of definition.secrets) names.add(name);
  return [...names].sort();
}
