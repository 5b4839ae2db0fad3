import { github, githubSenderOf, type SecretScanningAlertEvent } from "../sources/github.js";
import { type Admission, admitGitHubSender, isEmptyAllowList } from "../sources/github-allow.js";
import type { TriageConfig } from "../triage/config.js";

const ADMITTED: Admission = { allowed: true };

/**
 * Who may post, by source, from the triage configuration: GitHub deliveries must come from an allowed
 * organisation, repository or App installation; other sources are admitted by their signature or token alone.
 */
export function admission(
  config: Pick<TriageConfig, "github">,
): (source: string, payload: unknown) => Admission {
  return (source, payload) =>
    source === github.name
      ? admitGitHubSender(config.github.allow, githubSenderOf(payload as SecretScanningAlertEvent))
      : ADMITTED;
}

/** Said at start-up when the GitHub allow-list is empty, since then every GitHub delivery is refused. */
export function githubRefusingEverythingLine(config: Pick<TriageConfig, "github">): string | undefined {
  if (!isEmptyAllowList(config.github.allow)) return undefined;
  return "POST /alerts/github refuses every delivery (403 not_allowed) until github.allow in the triage configuration lists an organisation, repository or installation (fail closed)";
}
