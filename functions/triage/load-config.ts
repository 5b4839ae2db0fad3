import { ConfigurationError } from "../shared/errors.js";
import type { TriageConfig } from "./config.js";
import { readTriageConfig } from "./read-config.js";
import { unknownPlaybooks } from "./routing.js";

/**
 * The triage configuration in force: the JSON file `path` names when given (validated the same way), else the
 * one in `playbooks/triage-config.ts`. Routes must name playbooks that exist.
 */
export function loadTriageConfig(path?: string): TriageConfig {
  const config = readTriageConfig(path);
  const missing = unknownPlaybooks(config);
  if (missing.length > 0) throw new ConfigurationError(`triage configuration: ${missing.join("; ")}`);
  return config;
}
