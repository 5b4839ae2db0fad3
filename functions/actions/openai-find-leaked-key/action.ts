import * as z from "zod";
import { SecretNames } from "../../shared/env.js";
import { fingerprintSecret } from "../../shared/hash.js";
import { defineAction } from "../contract.js";
import { GitHubAlertRef, leakedSecretOf, uniqueMatch } from "../leaked-secret.js";
import { listAllPages } from "../paged-list.js";
import { openaiBaseUrl } from "../providers.js";
import { matchesRedacted } from "../redaction.js";

const Project = z.object({ id: z.string(), name: z.string() });
const ProjectKey = z.object({
  id: z.string(),
  name: z.string().nullable().optional(),
  redacted_value: z.string(),
});

const Candidate = z.object({
  projectId: z.string(),
  projectName: z.string(),
  keyId: z.string(),
  keyName: z.string().nullable(),
  redactedValue: z.string(),
});

/**
 * Read-only. GitHub's webhook does not carry the secret, so read it from GitHub's REST API, then find the
 * key at OpenAI by matching its redacted value across the organization's projects. The secret stays in
 * this function: only its fingerprint leaves.
 */
export const findLeakedOpenAiKey = defineAction({
  name: "openai.find-leaked-key",
  description: "Find which OpenAI project key a GitHub secret-scanning alert leaked (read-only).",
  input: GitHubAlertRef,
  output: z.object({
    matchCount: z.number().int().nonnegative(),
    match: Candidate.nullable(),
    candidates: z.array(Candidate).max(10),
    fingerprint: z.string(),
    secretType: z.string(),
  }),
  secrets: [SecretNames.githubToken, SecretNames.openaiAdminKey],
  iam: [],
  reversible: true,
  blastRadius: { maxWrites: 0, low: true },
  timeoutSeconds: 60,
  async plan(input, context) {
    const { http, secret, env } = context;
    const alert = await leakedSecretOf(input, context);
    const adminKey = await secret(SecretNames.openaiAdminKey);
    const base = `${openaiBaseUrl(env)}/v1/organization/projects`;
    const listing = (url: string) => ({ url, cursor: "after", limit: 100, bearer: adminKey });
    const projects = await listAllPages(http, listing(base), Project);
    const candidates: z.infer<typeof Candidate>[] = [];
    for (const project of projects) {
      const keys = await listAllPages(
        http,
        listing(`${base}/${encodeURIComponent(project.id)}/api_keys`),
        ProjectKey,
      );
      for (const key of keys) {
        if (!matchesRedacted(alert.secret, key.redacted_value)) continue;
        candidates.push({
          projectId: project.id,
          projectName: project.name,
          keyId: key.id,
          keyName: key.name ?? null,
          redactedValue: key.redacted_value,
        });
      }
    }
    return {
      writes: [],
      output: {
        ...uniqueMatch(candidates),
        candidates: candidates.slice(0, 10),
        fingerprint: fingerprintSecret(alert.secret),
        secretType: alert.secretType,
      },
    };
  },
});
