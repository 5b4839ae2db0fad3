import { ProviderError } from "./errors.js";

/** Slack's Web API errors that mean the token itself was refused (rotated, revoked, or never valid). */
const SLACK_AUTH_ERRORS = new Set([
  "invalid_auth",
  "not_authed",
  "token_revoked",
  "token_expired",
  "account_inactive",
]);

/**
 * Whether `error` says a credential was refused: a provider's 401 or 403, or Slack's Web API refusing the
 * token. Such a failure is worth one fresh read of the secret (it may have been rotated since it was cached).
 */
export function isAuthenticationFailure(error: unknown): boolean {
  if (error instanceof ProviderError) return error.status === 401 || error.status === 403;
  const { code, data, statusCode } = (error ?? {}) as {
    code?: unknown;
    data?: { error?: unknown };
    statusCode?: unknown;
  };
  if (code === "slack_webapi_platform_error") return SLACK_AUTH_ERRORS.has(String(data?.error));
  return code === "slack_webapi_http_error" && (statusCode === 401 || statusCode === 403);
}
