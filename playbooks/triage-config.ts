import { EXAMPLE_CONFIG_PATH, readTeamConfigFile } from "../infra/aws/team-config.js";

/**
 * The example configuration's triage part (`playbooks/quell.example.json`), for tests and benchmarks that want
 * the demo's inventory and routes. No function imports it: functions read the team's configuration at run time
 * (AppConfig on AWS, QUELL_CONFIG_FILE locally), and a test asserts that no bundle carries this example.
 */
export const triageConfig = readTeamConfigFile(EXAMPLE_CONFIG_PATH).triage;
