import { getSecret } from "@aws-lambda-powertools/parameters/secrets";
import { type SecretName, secretArnVariable } from "./env.js";
import { ConfigurationError } from "./errors.js";

/**
 * Resolve a secret by reference. Locally the variable itself holds the value; on AWS only
 * `<NAME>_SECRET_ARN` is set and the value is read from Secrets Manager (cached by Powertools).
 */
export async function resolveSecret(
  name: SecretName,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  const direct = env[name];
  if (direct) return direct;
  const arn = env[secretArnVariable(name)];
  if (!arn) return undefined;
  const value = await getSecret(arn, { maxAge: 300 });
  if (typeof value !== "string" || value.length === 0) {
    throw new ConfigurationError(`secret ${name} (${arn}) is empty or not a string`);
  }
  return value;
}

export async function requireSecret(name: SecretName, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const value = await resolveSecret(name, env);
  if (!value)
    throw new ConfigurationError(`${name} is not configured (set ${name} or ${secretArnVariable(name)})`);
  return value;
}
