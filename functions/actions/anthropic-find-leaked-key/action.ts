import * as z from "zod";
import { SecretNames } from "../../shared/env.js";
import { fingerprintSecret } from "../../shared/hash.js";
import {
  AnthropicApiKey,
  AnthropicKeyId,
  AnthropicKeyStatus,
  adminRequest,
  anthropicKey,
  apiKeysUrl,
} from "../anthropic-admin.js";
import { defineAction } from "../contract.js";
import { GitHubAlertRef, leakedSecretOf, uniqueMatch } from "../leaked-secret.js";
import { listAllPages } from "../paged-list.js";
import { matchesRedacted } from "../redaction.js";

const Candidate = z.object({
  keyId: z.string(),
  keyName: z.string().nullable(),
  workspaceId: z.string().nullable(),
  partialKeyHint: z.string(),
  status: AnthropicKeyStatus,
});

const candidateOf = (key: AnthropicApiKey, hint: string): z.infer<typeof Candidate> => ({
  keyId: key.id,
  keyName: key.name ?? null,
  workspaceId: key.workspace_id ?? null,
  partialKeyHint: hint,
  status: key.status,
});

/** Admin keys (`sk-ant-admin…`) are not in the API-key listing and the Admin API cannot disable them. */
const ADMIN_KEY_PREFIX = "sk-ant-admin";

/**
 * Read-only. Read the leaked secret from GitHub, then find the key at Anthropic by matching its partial key hint
 * (a prefix, "...", the last characters) against every key of the organisation, all pages; or, for an alert that
 * names the key by id, read that key. Quell does not guess:
 * the playbook acts only on exactly one match. An admin key is never looked up (it cannot be disabled through the
 * API): `adminKey` says so. The secret stays in this function: only its fingerprint leaves.
 */
export const findLeakedAnthropicKey = defineAction({
  name: "anthropic.find-leaked-key",
  description: "Find which Anthropic API key a GitHub secret-scanning alert leaked (read-only).",
  // A GitHub alert (the secret is read from it), or an alert that names the key itself (a generic emitter's).
  input: z.union([GitHubAlertRef, z.object({ keyId: AnthropicKeyId })]),
  output: z.object({
    matchCount: z.number().int().nonnegative(),
    match: Candidate.nullable(),
    candidates: z.array(Candidate).max(10),
    adminKey: z.boolean(),
    /** Null when the alert named the key, not the secret. */
    fingerprint: z.string().nullable(),
    secretType: z.string().nullable(),
  }),
  secrets: [SecretNames.githubToken, SecretNames.anthropicAdminKey],
  iam: [],
  reversible: true,
  blastRadius: { maxWrites: 0, low: true },
  timeoutSeconds: 60,
  async plan(input, context) {
    if ("keyId" in input) {
      const key = await anthropicKey(input.keyId, context);
      const candidates = key ? [candidateOf(key, key.partial_key_hint ?? "")] : [];
      return {
        writes: [],
        output: {
          ...uniqueMatch(candidates),
          candidates,
          adminKey: false,
          fingerprint: null,
          secretType: null,
        },
      };
    }
    const leaked = await leakedSecretOf(input, context);
    const found = { fingerprint: fingerprintSecret(leaked.secret), secretType: leaked.secretType };
    if (leaked.secret.startsWith(ADMIN_KEY_PREFIX)) {
      return { writes: [], output: { matchCount: 0, match: null, candidates: [], adminKey: true, ...found } };
    }
    const request = { url: apiKeysUrl(context.env), cursor: "after_id", limit: 100 };
    const keys = await listAllPages(
      context.http,
      { ...request, ...(await adminRequest(context)) },
      AnthropicApiKey,
    );
    const candidates = keys.flatMap((key) =>
      key.partial_key_hint && matchesRedacted(leaked.secret, key.partial_key_hint)
        ? [candidateOf(key, key.partial_key_hint)]
        : [],
    );
    return {
      writes: [],
      output: {
        ...uniqueMatch(candidates),
        candidates: candidates.slice(0, 10),
        adminKey: false,
        ...found,
      },
    };
  },
});
