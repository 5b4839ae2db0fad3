import { readFileSync } from "node:fs";
import { triageConfig } from "../../playbooks/triage-config.js";
import { ConfigurationError } from "../shared/errors.js";
import { defineTriageConfig, type TriageConfig } from "./config.js";

/**
 * The triage configuration, validated: the JSON file `path` names when given, else the one in
 * `playbooks/triage-config.ts`. It does not check routes against the playbooks, so ingest (which reads only its
 * source allow-lists) does not carry the playbooks in its bundle; triage loads it with loadTriageConfig, which does.
 */
export function readTriageConfig(path?: string): TriageConfig {
  try {
    return path ? defineTriageConfig(JSON.parse(readFileSync(path, "utf8"))) : triageConfig;
  } catch (error) {
    throw new ConfigurationError(`triage configuration ${path ?? "(built in)"}: ${(error as Error).message}`);
  }
}
