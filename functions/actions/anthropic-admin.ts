import * as z from "zod";
import { SecretNames } from "../shared/env.js";
import { ProviderError } from "../shared/errors.js";
import type { ActionContext, Write } from "./contract.js";
import { anthropicBaseUrl, anthropicHeaders } from "./providers.js";

/**
 * Anthropic's Admin API for API keys (`/v1/organizations/api_keys`), called with the organisation's admin key
 * (`ANTHROPIC_ADMIN_KEY`, sent as `x-api-key`) at `ANTHROPIC_BASE_URL`. The API cannot delete a key: a leaked key is
 * set `inactive` (it stops working at once) and can be set `active` again; `archived` is final.
 */
export const AnthropicKeyStatus = z.enum(["active", "inactive", "archived", "expired"]);
export type AnthropicKeyStatus = z.infer<typeof AnthropicKeyStatus>;

export const AnthropicApiKey = z.object({
  id: z.string(),
  name: z.string().nullable().optional(),
  workspace_id: z.string().nullable().optional(),
  partial_key_hint: z.string().nullable().optional(),
  status: AnthropicKeyStatus,
});
export type AnthropicApiKey = z.infer<typeof AnthropicApiKey>;

/** Anthropic's key ids (`apikey_…`) as a path segment may hold them. */
export const AnthropicKeyId = z
  .string()
  .regex(/^apikey_[A-Za-z0-9]{4,128}$/, "an Anthropic API key id (apikey_…)");

export const apiKeysUrl = (env: NodeJS.ProcessEnv) => `${anthropicBaseUrl(env)}/v1/organizations/api_keys`;

/** What every Admin API request carries besides its URL: the admin key and the API version. */
export async function adminRequest({ secret }: Pick<ActionContext, "secret">) {
  return { apiKey: await secret(SecretNames.anthropicAdminKey), headers: anthropicHeaders };
}

/** The key as Anthropic shows it now, or null when it has no such key (404). */
export async function anthropicKey(keyId: string, context: ActionContext): Promise<AnthropicApiKey | null> {
  const url = `${apiKeysUrl(context.env)}/${keyId}`;
  try {
    const response = await context.http({ method: "GET", url, ...(await adminRequest(context)) });
    return AnthropicApiKey.parse(response.body);
  } catch (error) {
    if (error instanceof ProviderError && error.status === 404) return null;
    throw error;
  }
}

/** `POST /v1/organizations/api_keys/{id}` setting the key's status. */
export function setAnthropicKeyStatus(
  keyId: string,
  status: "active" | "inactive",
  context: ActionContext,
): Write {
  const url = `${apiKeysUrl(context.env)}/${keyId}`;
  const body = { status };
  return {
    description: { kind: "http", method: "POST", url, body },
    send: async () => context.http({ method: "POST", url, body, ...(await adminRequest(context)) }),
  };
}
