import * as z from "zod";

/**
 * Who may post GitHub alerts: organisations (or user accounts) by login, repositories as `owner/name`, and GitHub
 * App installations by id. A delivery is allowed when any of them names it. Logins and names are compared
 * without regard to case, as GitHub compares them.
 *
 * An empty list allows nobody (fail closed): the webhook secret proves a delivery came through a webhook holding
 * the secret, and one GitHub App's secret signs the deliveries of every account that installs it, so the secret
 * alone does not say whose alerts these are.
 */
export const GitHubAllowList = z.strictObject({
  organizations: z
    .array(z.string().regex(/^[A-Za-z0-9-]{1,39}$/, { message: "a GitHub login such as example-corp" }))
    .max(1000)
    .default([]),
  repositories: z
    .array(
      z.string().regex(/^[A-Za-z0-9-]{1,39}\/[A-Za-z0-9._-]{1,100}$/, {
        message: "a repository as owner/name, such as example-corp/llm-eval-notebooks",
      }),
    )
    .max(10_000)
    .default([]),
  installations: z.array(z.number().int().positive()).max(1000).default([]),
});
export type GitHubAllowList = z.infer<typeof GitHubAllowList>;

/** What a delivery says about where it comes from. */
export interface GitHubSender {
  readonly repository: string;
  readonly organization?: string;
  readonly installationId?: number;
}

export type Admission = { readonly allowed: true } | { readonly allowed: false; readonly message: string };

export const isEmptyAllowList = (allow: GitHubAllowList): boolean =>
  allow.organizations.length + allow.repositories.length + allow.installations.length === 0;

/** Whether the allow-list admits a delivery; a refusal names the organisation, repository and installation. */
export function admitGitHubSender(allow: GitHubAllowList, sender: GitHubSender): Admission {
  const owner = (sender.organization ?? sender.repository.split("/")[0] ?? "").toLowerCase();
  const repository = sender.repository.toLowerCase();
  const allowed =
    allow.organizations.some((login) => login.toLowerCase() === owner) ||
    allow.repositories.some((name) => name.toLowerCase() === repository) ||
    (sender.installationId !== undefined && allow.installations.includes(sender.installationId));
  if (allowed) return { allowed: true };
  const installation = sender.installationId === undefined ? "" : `, installation ${sender.installationId}`;
  const what = `GitHub organisation ${owner} (repository ${sender.repository}${installation})`;
  return {
    allowed: false,
    message: isEmptyAllowList(allow)
      ? `${what} is not allowed: the GitHub allow-list is empty, so every delivery is refused; add the organisation, repository or installation to github.allow in the triage configuration`
      : `${what} is not on the GitHub allow-list (github.allow in the triage configuration)`,
  };
}
