import * as z from "zod";
import { SecretNames } from "../../shared/env.js";
import { fingerprintSecret } from "../../shared/hash.js";
import { bedrockKeyIam, bedrockKeyOf, listBedrockApiKeys } from "../bedrock-api-keys.js";
import { defineAction } from "../contract.js";
import { GitHubAlertRef, leakedSecretOf, uniqueMatch } from "../leaked-secret.js";

const Candidate = z.object({
  userName: z.string(),
  credentialId: z.string(),
  alias: z.string(),
  status: z.string(),
});

/**
 * Read-only. Which Bedrock long-term API key leaked: the secret (read from GitHub's REST API) carries its public
 * alias, matched exactly against every Bedrock API key of every IAM user of the account (all pages). A short-term
 * key, a secret that is not a Bedrock key, or an alias IAM does not list matches nothing; `keyKind` says which.
 * The secret stays in this function: only its fingerprint and its public alias leave.
 */
export const findLeakedBedrockApiKey = defineAction({
  name: "aws.find-bedrock-api-key",
  description: "Find which Amazon Bedrock long-term API key a GitHub alert leaked (read-only).",
  input: GitHubAlertRef,
  output: z.object({
    matchCount: z.number().int().nonnegative(),
    match: Candidate.nullable(),
    keyKind: z.enum(["long-term", "short-term", "unrecognised"]),
    alias: z.string().nullable(),
    fingerprint: z.string(),
  }),
  secrets: [SecretNames.githubToken],
  iam: [bedrockKeyIam(["iam:ListServiceSpecificCredentials"])],
  reversible: true,
  blastRadius: { maxWrites: 0, low: true },
  timeoutSeconds: 60,
  async plan(input, context) {
    const leaked = await leakedSecretOf(input, context);
    const { kind, alias } = bedrockKeyOf(leaked.secret);
    const found = { keyKind: kind, alias, fingerprint: fingerprintSecret(leaked.secret) };
    if (alias === null) return { writes: [], output: { matchCount: 0, match: null, ...found } };
    const candidates = (await listBedrockApiKeys(context))
      .filter((credential) => credential.ServiceCredentialAlias === alias)
      .map((credential) => ({
        userName: credential.UserName ?? "",
        credentialId: credential.ServiceSpecificCredentialId ?? "",
        alias,
        status: credential.Status ?? "unknown",
      }));
    return {
      writes: [],
      output: {
        ...uniqueMatch(candidates),
        ...found,
      },
    };
  },
});
