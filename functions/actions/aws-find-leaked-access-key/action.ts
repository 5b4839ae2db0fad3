import { GetAccessKeyLastUsedCommand } from "@aws-sdk/client-iam";
import * as z from "zod";
import { SecretNames } from "../../shared/env.js";
import { type ActionContext, defineAction } from "../contract.js";
import { GitHubAlertRef, leakedSecretOf } from "../leaked-secret.js";

/** An AWS access key id: long-term (`AKIA…`, an IAM user's) or temporary (`ASIA…`, a role session's). */
const ACCESS_KEY_ID = /\b((?:AKIA|ASIA)[A-Z0-9]{16})\b/;

const Input = z.union([GitHubAlertRef, z.object({ accessKeyId: z.string().max(128) })]);

const KeyKind = z.enum(["long-term", "temporary", "unrecognised"]);

/** A key IAM does not know in this account (AccessDenied or NoSuchEntity, as IAM answers for foreign keys). */
const NOT_OURS = new Set(["AccessDenied", "AccessDeniedException", "NoSuchEntity", "NoSuchEntityException"]);

async function accessKeyIdOf(input: z.infer<typeof Input>, context: ActionContext): Promise<string | null> {
  const text = "accessKeyId" in input ? input.accessKeyId : (await leakedSecretOf(input, context)).secret;
  return ACCESS_KEY_ID.exec(text)?.[1] ?? null;
}

/**
 * Read-only. Which IAM user owns a leaked AWS access key: the key id comes from the GitHub alert's secret (read
 * from GitHub's REST API) or from the alert itself, and `iam:GetAccessKeyLastUsed` names the user. Only a long-term
 * key (`AKIA…`) of a user in this account is a match; a temporary key (`ASIA…`), a secret without a key id, or a key
 * of another account matches nothing, and `reason` says why.
 */
export const findLeakedAwsAccessKey = defineAction({
  name: "aws.find-leaked-access-key",
  description: "Find the IAM user that owns a leaked AWS access key (iam:GetAccessKeyLastUsed; read-only).",
  input: Input,
  output: z.object({
    matchCount: z.number().int().min(0).max(1),
    match: z.object({ userName: z.string(), accessKeyId: z.string() }).nullable(),
    accessKeyId: z.string().nullable(),
    keyKind: KeyKind,
    reason: z.string(),
  }),
  secrets: [SecretNames.githubToken],
  iam: [
    {
      actions: ["iam:GetAccessKeyLastUsed"],
      // biome-ignore lint/suspicious/noTemplateCurlyInString: placeholders that infra fills per stack.
      resources: ["arn:${Partition}:iam::${Account}:user/*"],
    },
  ],
  reversible: true,
  blastRadius: { maxWrites: 0, low: true },
  timeoutSeconds: 30,
  async plan(input, context) {
    const accessKeyId = await accessKeyIdOf(input, context);
    const none = (keyKind: z.infer<typeof KeyKind>, reason: string) => ({
      writes: [],
      output: { matchCount: 0, match: null, accessKeyId, keyKind, reason },
    });
    if (!accessKeyId) return none("unrecognised", "the leaked secret holds no AWS access key id");
    if (accessKeyId.startsWith("ASIA")) {
      return none("temporary", "a temporary key (ASIA…) of a role session: it belongs to no IAM user");
    }
    try {
      const used = await context.aws
        .iam()
        .send(new GetAccessKeyLastUsedCommand({ AccessKeyId: accessKeyId }));
      if (!used.UserName) return none("long-term", "IAM names no user for this key");
      return {
        writes: [],
        output: {
          matchCount: 1,
          match: { userName: used.UserName, accessKeyId },
          accessKeyId,
          keyKind: "long-term" as const,
          reason: `owned by IAM user ${used.UserName}`,
        },
      };
    } catch (error) {
      if (NOT_OURS.has((error as Error).name)) {
        return none("long-term", "the key is not one of this account's keys (IAM refused to look it up)");
      }
      throw error;
    }
  },
});
