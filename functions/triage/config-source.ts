import { ConfigurationError } from "../shared/errors.js";
import { appConfigLocationFrom } from "./appconfig-location.js";
import {
  type ConfigLog,
  fileLocationFrom,
  maxAgeFrom,
  NO_CONFIGURATION,
  RefreshingTriageConfig,
  type TriageConfigEnv,
  type TriageConfigSource,
} from "./read-config.js";

/**
 * Where the environment says the triage configuration is: AppConfig on AWS (the stack sets its ids), else the
 * team file (`QUELL_CONFIG_FILE`), else a triage-only file (`QUELL_TRIAGE_CONFIG_FILE`). Nothing set is a
 * configuration error, not a silent example.
 */
export function triageConfigSourceFrom(
  env: TriageConfigEnv,
  options: { readonly knownPlaybooks?: readonly string[]; readonly log?: ConfigLog } = {},
): TriageConfigSource {
  const location = appConfigLocationFrom(env) ?? fileLocationFrom(env);
  if (!location) throw new ConfigurationError(NO_CONFIGURATION);
  return new RefreshingTriageConfig(location, { ...options, maxAgeSeconds: maxAgeFrom(env) });
}
