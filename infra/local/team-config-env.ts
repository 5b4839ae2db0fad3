import { DOCUMENT_QUARANTINE_BUCKET_ENV } from "../../functions/actions/knowledge-base-documents.js";
import { CONTAINMENT_BUDGET_ENV } from "../../functions/shared/containment-budget.js";
import { EnvNames } from "../../functions/shared/env.js";
import { PROTECTED_PRINCIPALS_ENV } from "../../functions/shared/protected-principals.js";
import { GUARDRAIL_ADMINS_ENV } from "../../functions/sources/aws/bedrock.js";
import { EXAMPLE_CONFIG_PATH, readTeamConfigFile, type TeamSettings } from "../aws/team-config.js";

/** Locally a saved edit of the configuration file reaches triage within this many seconds, without a restart. */
export const LOCAL_CONFIG_MAX_AGE_SECONDS = "2";

/**
 * Where the local functions read the triage configuration: the team file `QUELL_CONFIG_FILE`, or the triage-only
 * `QUELL_TRIAGE_CONFIG_FILE` (compatibility), else the example (the demo's), by absolute path so a runtime
 * started in another directory finds it. Triage looks at the file again every LOCAL_CONFIG_MAX_AGE_SECONDS.
 */
export function localConfigFileEnv(
  env: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const named = env[EnvNames.configFile] || env[EnvNames.triageConfigFile];
  return {
    [EnvNames.configMaxAgeSeconds]: env[EnvNames.configMaxAgeSeconds] || LOCAL_CONFIG_MAX_AGE_SECONDS,
    ...(named ? {} : { [EnvNames.configFile]: EXAMPLE_CONFIG_PATH }),
  };
}

/**
 * The team file's settings `npm start` uses (validated as a whole, so a bad file fails the start naming each
 * field): the file `QUELL_CONFIG_FILE` names, else the example. Variables set in the environment win.
 */
export function localSettings(env: Readonly<Record<string, string | undefined>>): {
  readonly file: string;
  readonly settings: TeamSettings;
} {
  const file = env[EnvNames.configFile] || EXAMPLE_CONFIG_PATH;
  return { file, settings: readTeamConfigFile(file).settings };
}

/** The variables the settings stand for, for the ones the environment (`env`) leaves unset. */
export function settingsEnv(
  settings: TeamSettings,
  env: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const all: Record<string, string> = {
    [EnvNames.slackChannel]: settings.slackChannel,
    [EnvNames.approvers]: settings.approvers.join(","),
    [EnvNames.dryRun]: String(settings.dryRun),
    [EnvNames.dedupWindowSeconds]: String(settings.dedupWindowSeconds),
    ...(settings.guardrailAdmins.length > 0
      ? { [GUARDRAIL_ADMINS_ENV]: settings.guardrailAdmins.join(",") }
      : {}),
    ...(settings.protectedPrincipals.length > 0
      ? { [PROTECTED_PRINCIPALS_ENV]: settings.protectedPrincipals.join(",") }
      : {}),
    ...(settings.containmentsPerHour
      ? { [CONTAINMENT_BUDGET_ENV]: String(settings.containmentsPerHour) }
      : {}),
    ...(settings.litellmBaseUrl ? { [EnvNames.litellmBaseUrl]: settings.litellmBaseUrl } : {}),
    ...(settings.playbookDocsUrl ? { [EnvNames.playbookDocsUrl]: settings.playbookDocsUrl } : {}),
    ...(settings.documentQuarantineBucket
      ? { [DOCUMENT_QUARANTINE_BUCKET_ENV]: settings.documentQuarantineBucket }
      : {}),
    ...(settings.slackApiUrl ? { [EnvNames.slackApiUrl]: settings.slackApiUrl } : {}),
  };
  return Object.fromEntries(Object.entries(all).filter(([name]) => !env[name]));
}
