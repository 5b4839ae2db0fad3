import { z } from "zod";
import { SecretNames } from "../../shared/env.js";
import { ProviderError } from "../../shared/errors.js";
import { defineAction } from "../contract.js";
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
  blastRadius: { maxWrites: 1 },
  timeoutSeconds: 30,
  async plan(input, { http, secret, env }) {
    const bearer = await secret(SecretNames.openaiAdminKey);
    const url = `${openaiBaseUrl(env)}/v1/organization/projects/${input.projectId}/api_keys/${input.keyId}`;
    let redactedValue: string;
    try {
      redactedValue = ProjectKey.parse((await http({ method: "GET", url, bearer })).body).redacted_value;
    } catch (error) {
      if (error instanceof ProviderError && error.status === 404) {
        return { writes: [], output: { ...input, redactedValue: null, alreadyRevoked: true } };
      }
      throw error;
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
});
