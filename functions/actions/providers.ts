import { EnvNames } from "../shared/env.js";

/** Provider base URLs, overridable per DESIGN.md so tests and the demo can point at loopback stand-ins. */
export const openaiBaseUrl = (env: NodeJS.ProcessEnv): string =>
  (env[EnvNames.openaiBaseUrl] ?? "https://api.openai.com").replace(/\/+$/, "").replace(/\/v1$/, "");

export const githubApiUrl = (env: NodeJS.ProcessEnv): string =>
  (env[EnvNames.githubApiUrl] ?? "https://api.github.com").replace(/\/+$/, "");

export const githubHeaders = {
  accept: "application/vnd.github+json",
  "x-github-api-version": "2022-11-28",
} as const;

/** `owner/repo` as GitHub spells it. */
export const RepositoryName = /^[A-Za-z0-9-]{1,39}\/[A-Za-z0-9._-]{1,100}$/;

export const secretScanningAlertUrl = (env: NodeJS.ProcessEnv, repository: string, alertNumber: number) =>
  `${githubApiUrl(env)}/repos/${repository}/secret-scanning/alerts/${alertNumber}`;

/** Anthropic's Admin API; `ANTHROPIC_BASE_URL` may end in `/v1` like the SDK's, or not. */
export const anthropicBaseUrl = (env: NodeJS.ProcessEnv): string =>
  (env[EnvNames.anthropicBaseUrl] ?? "https://api.anthropic.com").replace(/\/+$/, "").replace(/\/v1$/, "");

/** The API version every Anthropic request names (the Admin API's documented one). */
export const anthropicHeaders = { "anthropic-version": "2023-06-01" } as const;
