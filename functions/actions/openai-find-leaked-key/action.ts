import * as z from "zod";
import { SecretNames } from "../../shared/env.js";
import { fingerprintSecret } from "../../shared/hash.js";
import type { HttpClient } from "../../shared/http.js";
import { defineAction } from "../contract.js";
import { githubHeaders, openaiBaseUrl, RepositoryName, secretScanningAlertUrl } from "../providers.js";
import { matchesRedacted } from "./redaction.js";

const Page = <T extends z.ZodType>(item: T) =>
  z.object({ data: z.array(item), has_more: z.boolean(), last_id: z.string().nullable().optional() });
const Project = z.object({ id: z.string(), name: z.string() });
const ProjectKey = z.object({
  id: z.string(),
  name: z.string().nullable().optional(),
  redacted_value: z.string(),
});
const GitHubAlert = z.object({ secret: z.string().min(1), secret_type: z.string() });

const Candidate = z.object({
  projectId: z.string(),
  projectName: z.string(),
  keyId: z.string(),
  keyName: z.string().nullable(),
  redactedValue: z.string(),
});

const MAX_PAGES = 50;

async function listAll<T extends z.ZodType>(
  http: HttpClient,
  url: string,
  bearer: string,
  item: T,
): Promise<z.infer<T>[]> {
  const items: z.infer<T>[] = [];
  let after: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const query = new URLSearchParams({ limit: "100", ...(after ? { after } : {}) });
    const response = await http({ method: "GET", url: `${url}?${query}`, bearer });
    const parsed = Page(item).parse(response.body);
    items.push(...parsed.data);
    if (!parsed.has_more || !parsed.last_id) return items;
    after = parsed.last_id;
  }
  return items;
}

/**
 * Read-only. GitHub's webhook does not carry the secret, so read it from GitHub's REST API, then find the
 * key at OpenAI by matching its redacted value across the organization's projects. The secret stays in
 * this function: only its fingerprint leaves.
 */
export const findLeakedOpenAiKey = defineAction({
  name: "openai.find-leaked-key",
  description: "Find which OpenAI project key a GitHub secret-scanning alert leaked (read-only).",
  input: z.object({ repository: z.string().regex(RepositoryName), alertNumber: z.number().int().positive() }),
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
  async plan(input, { http, secret, env }) {
    const alert = GitHubAlert.parse(
      (
        await http({
          method: "GET",
          url: secretScanningAlertUrl(env, input.repository, input.alertNumber),
          bearer: await secret(SecretNames.githubToken),
          headers: githubHeaders,
        })
      ).body,
    );
    const adminKey = await secret(SecretNames.openaiAdminKey);
    const base = `${openaiBaseUrl(env)}/v1/organization/projects`;
    const projects = await listAll(http, base, adminKey, Project);
    const candidates: z.infer<typeof Candidate>[] = [];
    for (const project of projects) {
      const keys = await listAll(
        http,
        `${base}/${encodeURIComponent(project.id)}/api_keys`,
        adminKey,
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
        matchCount: candidates.length,
        match: candidates.length === 1 ? (candidates[0] ?? null) : null,
        candidates: candidates.slice(0, 10),
        fingerprint: fingerprintSecret(alert.secret),
        secretType: alert.secret_type,
      },
    };
  },
});
