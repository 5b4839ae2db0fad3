import { playbookFacts } from "../../playbooks/playbook-facts.generated.js";
import { triageConfigSourceFrom } from "./config-source.js";
import type { ConfigLog, TriageConfigEnv, TriageConfigSource } from "./read-config.js";

/** The names routes may give: the playbooks that exist (from their facts: triage does not carry the definitions). */
export const playbookNames: readonly string[] = playbookFacts.map((playbook) => playbook.name);

/**
 * Triage's configuration source: as ingest reads it (AppConfig on AWS, the team file locally), and routes must
 * name playbooks that exist (a version naming one that does not is refused like any other bad field).
 */
export function triageConfigFor(env: TriageConfigEnv, log?: ConfigLog): TriageConfigSource {
  return triageConfigSourceFrom(env, { knownPlaybooks: playbookNames, ...(log ? { log } : {}) });
}
