import * as z from "zod";
import { SecretNames } from "../shared/env.js";
import type { ActionContext } from "./contract.js";
import { githubHeaders, RepositoryName, secretScanningAlertUrl } from "./providers.js";

/** Which GitHub secret-scanning alert leaked the secret: the finders' input. */
export const GitHubAlertRef = z.object({
  repository: z.string().regex(RepositoryName),
  alertNumber: z.number().int().positive(),
});
export type GitHubAlertRef = z.infer<typeof GitHubAlertRef>;

const SecretScanningAlert = z.object({ secret: z.string().min(1), secret_type: z.string() });

/**
 * The leaked secret itself, read from GitHub's REST API (the webhook does not carry it). It stays inside the
 * finder that asked: only a fingerprint or an identifier derived from it may leave in the action's output.
 */
export async function leakedSecretOf(
  ref: GitHubAlertRef,
  { http, secret, env }: ActionContext,
): Promise<{ secret: string; secretType: string }> {
  const alert = SecretScanningAlert.parse(
    (
      await http({
        method: "GET",
        url: secretScanningAlertUrl(env, ref.repository, ref.alertNumber),
        bearer: await secret(SecretNames.githubToken),
        headers: githubHeaders,
      })
    ).body,
  );
  return { secret: alert.secret, secretType: alert.secret_type };
}

/**
 * What a finder found: how many keys matched, and the match only when exactly one did (a playbook acts on
 * nothing else: with none or several, Quell does not guess).
 */
export const uniqueMatch = <T>(candidates: readonly T[]): { matchCount: number; match: T | null } => ({
  matchCount: candidates.length,
  match: candidates.length === 1 ? (candidates[0] ?? null) : null,
});
