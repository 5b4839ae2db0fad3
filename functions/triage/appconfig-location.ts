import { getAppConfig } from "@aws-lambda-powertools/parameters/appconfig";
import { EnvNames } from "../shared/env.js";
import { fingerprint, type TriageConfigEnv, type TriageConfigLocation } from "./read-config.js";

/**
 * The triage configuration deployed to AWS AppConfig (the team file's triage part), read through Powertools
 * Parameters' AppConfig provider. Its session keeps the latest content, so an unchanged configuration costs one
 * small GetLatestConfiguration call per max age. RefreshingTriageConfig decides when to call (forceFetch).
 */
export function appConfigLocationFrom(env: TriageConfigEnv): TriageConfigLocation | undefined {
  const application = env[EnvNames.appConfigApplication];
  const environment = env[EnvNames.appConfigEnvironment];
  const profile = env[EnvNames.appConfigProfile];
  if (!application || !environment || !profile) return undefined;
  const decoder = new TextDecoder();
  return {
    description: `AppConfig application ${application} environment ${environment} profile ${profile}`,
    part: "whole",
    fetch: async () => {
      const bytes = await getAppConfig(profile, { application, environment, forceFetch: true });
      const text = bytes === undefined ? "" : decoder.decode(bytes);
      return { text, version: fingerprint(text) };
    },
  };
}
