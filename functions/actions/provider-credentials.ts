import { isAuthenticationFailure } from "../shared/authentication-failure.js";
import type { SecretName } from "../shared/env.js";
import type { HttpClient, HttpRequest } from "../shared/http.js";
import { refreshSecret, requireSecret } from "../shared/secrets.js";

/**
 * An action's secrets and provider HTTP client, tied together: the client knows which secret each bearer token or
 * API key it sends came from, so a request the provider refuses as unauthenticated (401 or 403) is sent once more
 * with the secret's new value when a fresh read finds it was rotated. A refused request changed nothing, so sending
 * it again is safe; a 403 from a token that did not change (a missing scope) is answered as it was.
 */
export function providerCredentials(
  http: HttpClient,
  env: NodeJS.ProcessEnv,
): { secret: (name: SecretName) => Promise<string>; http: HttpClient } {
  const issued = new Map<string, SecretName>();
  const secret = async (name: SecretName) => {
    const value = await requireSecret(name, env);
    issued.set(value, name);
    return value;
  };
  const retrying = async <T>(request: HttpRequest) => {
    try {
      return await http<T>(request);
    } catch (error) {
      const sent = request.bearer ?? request.apiKey;
      const name = sent === undefined ? undefined : issued.get(sent);
      if (!name || !sent || !isAuthenticationFailure(error)) throw error;
      const rotated = await refreshSecret(name, sent, env);
      if (!rotated) throw error;
      issued.set(rotated, name);
      const credential = request.bearer === undefined ? { apiKey: rotated } : { bearer: rotated };
      return http<T>({ ...request, ...credential });
    }
  };
  return { secret, http: retrying };
}
