import type { z } from "zod";
import { EnvNames, SecretNames } from "../shared/env.js";
import { ConfigurationError } from "../shared/errors.js";
import type { ActionContext, Write } from "./contract.js";

/**
 * The admin API of a LiteLLM proxy (an LLM gateway), shared by the litellm.* actions: its address from
 * `LITELLM_BASE_URL` (self-hosted, so there is no public default), the master key as the bearer, read by
 * reference (`LITELLM_MASTER_KEY`, or on AWS its SSM SecureString parameter) and never logged or recorded.
 */
export function litellmBaseUrl(env: NodeJS.ProcessEnv): string {
  const url = env[EnvNames.litellmBaseUrl];
  if (!url) {
    throw new ConfigurationError(
      `${EnvNames.litellmBaseUrl} is not set: the litellm.* actions need the LiteLLM proxy's address`,
    );
  }
  return url.replace(/\/+$/, "");
}

/** `GET <path>?<query>` with the master key, its body parsed with `schema`. */
export async function litellmRead<T extends z.ZodType>(
  { http, secret, env }: ActionContext,
  path: string,
  query: Record<string, string>,
  schema: T,
): Promise<z.infer<T>> {
  const url = `${litellmBaseUrl(env)}${path}?${new URLSearchParams(query)}`;
  const bearer = await secret(SecretNames.litellmMasterKey);
  return schema.parse((await http({ method: "GET", url, bearer })).body);
}

/** `POST <path>` with a JSON body and the master key: recorded as its description, sent only by the runner. */
export function litellmPost({ http, secret, env }: ActionContext, path: string, body: unknown): Write {
  const url = `${litellmBaseUrl(env)}${path}`;
  return {
    description: { kind: "http", method: "POST", url, body },
    send: async () => http({ method: "POST", url, bearer: await secret(SecretNames.litellmMasterKey), body }),
  };
}
