import * as z from "zod";
import { SecretNames } from "../../shared/env.js";
import { ProviderError } from "../../shared/errors.js";
import { type ActionContext, defineAction } from "../contract.js";
import { openaiBaseUrl } from "../providers.js";

const OpenAiId = z.string().regex(/^[A-Za-z0-9_-]{1,128}$/);
const ProjectKey = z.object({ id: z.string(), redacted_value: z.string() });

/** Delete an OpenAI project API key. Not reversible: a deleted key cannot be restored. */
export const revokeOpenAiProjectKey = defineAction({
  name: "openai.revoke-project-key",
  description:
    "Delete an OpenAI project API key (DELETE /v1/organization/projects/{project}/api_keys/{key}).",
  input: z.object({ projectId: OpenAiId, keyId: OpenAiId }),
  output: z.object({
    projectId: z.string(),
    keyId: z.string(),
    redactedValue: z.string().nullable(),
    alreadyRevoked: z.boolean(),
  }),
  secrets: [SecretNames.openaiAdminKey],
  iam: [],
  reversible: false,
  blastRadius: { maxWrites: 1, low: false },
  timeoutSeconds: 30,
  changes: (input) => [input.keyId, input.projectId],
  async plan(input, context) {
    const { http, secret, env } = context;
    const bearer = await secret(SecretNames.openaiAdminKey);
    const url = keyUrl(env, input);
    const redactedValue = await currentKey(input, context);
    if (redactedValue === null) {
      return { writes: [], output: { ...input, redactedValue: null, alreadyRevoked: true } };
    }
    return {
      writes: [
        {
          description: { kind: "http", method: "DELETE", url },
          send: () => http({ method: "DELETE", url, bearer }),
        },
      ],
      output: { ...input, redactedValue, alreadyRevoked: false },
    };
  },
  async verify(input, context) {
    const gone = (await currentKey(input, context)) === null;
    return {
      verified: gone,
      observed: gone ? `key ${input.keyId} no longer exists` : `key ${input.keyId} still exists`,
    };
  },
});

const keyUrl = (env: NodeJS.ProcessEnv, input: { projectId: string; keyId: string }) =>
  `${openaiBaseUrl(env)}/v1/organization/projects/${input.projectId}/api_keys/${input.keyId}`;

/** The key's redacted value, or null when OpenAI no longer has it (404). */
async function currentKey(input: { projectId: string; keyId: string }, { http, secret, env }: ActionContext) {
  const bearer = await secret(SecretNames.openaiAdminKey);
  try {
    return ProjectKey.parse((await http({ method: "GET", url: keyUrl(env, input), bearer })).body)
      .redacted_value;
  } catch (error) {
    if (error instanceof ProviderError && error.status === 404) return null;
    throw error;
  }
}
