import { readFileSync } from "node:fs";
import { triageConfig } from "../../playbooks/triage-config.js";
import { ConfigurationError } from "../shared/errors.js";
import { defineTriageConfig, type TriageConfig } from "./config.js";
import { unknownPlaybooks } from "./routing.js";

/**
 * The triage configuration in force: the JSON file `path` names when given (validated the same way), else the
 * one in `playbooks/triage-config.ts`. Routes must name playbooks that exist.
 */
export function loadTriageConfig(path?: string): TriageConfig {
  let config: TriageConfig;
  try {
    config = path ? defineTriageConfig(JSON.parse(readFileSync(path, "utf8"))) : triageConfig;
  } catch (error) {
    throw new ConfigurationError(`triage configuration ${path ?? "(built in)"}: ${(error as Error).message}`);
  }
  const missing = unknownPlaybooks(config);
  if (missing.length > 0) throw new ConfigurationError(`triage configuration: ${missing.join("; ")}`);
  return config;
}
