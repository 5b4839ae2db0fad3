import { ParameterNotFoundError } from "@aws-lambda-powertools/parameters/errors";
import { SSMProvider } from "@aws-lambda-powertools/parameters/ssm";
import { isAuthenticationFailure } from "./authentication-failure.js";
import { putParameterCommand, type SecretName, secretParameterVariable } from "./env.js";
import { ConfigurationError } from "./errors.js";

/** How long a value read from Parameter Store is served from the container's cache before it is read again. */
export const SECRET_MAX_AGE_SECONDS = 60;
/** At most one forced re-read per secret per container in this interval, however many requests fail auth. */
export const FORCED_REFRESH_INTERVAL_MS = 30_000;

export interface SecretReaderOptions {
  readonly maxAgeSeconds?: number;
  readonly forcedRefreshIntervalMs?: number;
  readonly now?: () => number;
}

/**
 * Reads secrets by reference. Locally the variable `<NAME>` holds the value and nothing is read. On AWS only
 * `<NAME>_PARAMETER` is set: the value is the SecureString parameter it names, read with decryption through
 * Powertools Parameters and cached for `maxAgeSeconds`; `refresh` forces one fresh read, rate-limited per secret.
 */
export class SecretReader {
  private provider: SSMProvider | undefined;
  private readonly lastForced = new Map<SecretName, number>();
  private readonly forcing = new Map<SecretName, Promise<string | undefined>>();
  /** When each parameter was last found missing: cached like a value, so a flood does not read it per request. */
  private readonly missingSince = new Map<SecretName, { at: number; error: ConfigurationError }>();
  private readonly maxAgeSeconds: number;
  private readonly forcedRefreshIntervalMs: number;
  private readonly now: () => number;

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    options: SecretReaderOptions = {},
  ) {
    this.maxAgeSeconds = options.maxAgeSeconds ?? SECRET_MAX_AGE_SECONDS;
    this.forcedRefreshIntervalMs = options.forcedRefreshIntervalMs ?? FORCED_REFRESH_INTERVAL_MS;
    this.now = options.now ?? Date.now;
  }

  /** The value, or undefined when the secret is not configured at all (neither variable is set). */
  async resolve(name: SecretName, forceFetch = false): Promise<string | undefined> {
    const direct = this.env[name];
    if (direct) return direct;
    const parameter = this.env[secretParameterVariable(name)];
    if (!parameter) return undefined;
    const missing = this.missingSince.get(name);
    if (missing && !forceFetch && this.now() - missing.at < this.maxAgeSeconds * 1000) throw missing.error;
    this.provider ??= new SSMProvider();
    try {
      const value = await this.provider.get(parameter, {
        decrypt: true,
        maxAge: this.maxAgeSeconds,
        forceFetch,
        throwOnMissing: true,
      });
      this.missingSince.delete(name);
      if (typeof value !== "string" || value.length === 0) {
        throw new ConfigurationError(`secret ${name}: SSM parameter ${parameter} is empty or not a string`);
      }
      return value;
    } catch (error) {
      if (!(error instanceof ParameterNotFoundError)) throw error;
      const notSet = new ConfigurationError(
        `secret ${name} is not set: SSM parameter ${parameter} does not exist. Set it with: ${putParameterCommand(parameter)}`,
        { cause: error },
      );
      this.missingSince.set(name, { at: this.now(), error: notSet });
      throw notSet;
    }
  }

  async require(name: SecretName): Promise<string> {
    const value = await this.resolve(name);
    if (!value) {
      throw new ConfigurationError(
        `${name} is not configured (set ${name}, or on AWS ${secretParameterVariable(name)})`,
      );
    }
    return value;
  }

  /**
   * After `rejected` failed authentication: read the secret again, bypassing the cache, and return the new
   * value when it differs from `rejected`. Undefined when it did not change, when the value is local (nothing
   * to re-read), or when a forced read of this secret already happened in the interval (a flood of bad
   * signatures costs at most one Parameter Store call per interval; concurrent failures share that one read).
   */
  async refresh(name: SecretName, rejected: string): Promise<string | undefined> {
    if (this.env[name] || !this.env[secretParameterVariable(name)]) return undefined;
    let forcing = this.forcing.get(name);
    if (!forcing) {
      const last = this.lastForced.get(name);
      if (last !== undefined && this.now() - last < this.forcedRefreshIntervalMs) {
        return undefined;
      }
      this.lastForced.set(name, this.now());
      forcing = this.resolve(name, true).finally(() => this.forcing.delete(name));
      this.forcing.set(name, forcing);
    }
    const fresh = await forcing;
    return fresh !== undefined && fresh !== rejected ? fresh : undefined;
  }

  /**
   * Use the secret; when the use fails authentication (it throws an authentication failure, or its result is
   * `rejected`), read the secret again once and, if the value changed (it was rotated), use the new one.
   */
  async withSecret<T>(
    name: SecretName,
    use: (value: string) => Promise<T> | T,
    rejected: (result: T) => boolean = () => false,
  ): Promise<T> {
    const value = await this.require(name);
    let result: T;
    try {
      result = await use(value);
    } catch (error) {
      if (!isAuthenticationFailure(error)) throw error;
      const fresh = await this.refresh(name, value);
      if (fresh === undefined) throw error;
      return use(fresh);
    }
    if (!rejected(result)) return result;
    const fresh = await this.refresh(name, value);
    return fresh === undefined ? result : use(fresh);
  }
}

const readers = new WeakMap<NodeJS.ProcessEnv, SecretReader>();

/** One reader (one cache, one rate limit) per environment object, i.e. per container in practice. */
export function secretReader(env: NodeJS.ProcessEnv = process.env): SecretReader {
  let reader = readers.get(env);
  if (!reader) {
    reader = new SecretReader(env);
    readers.set(env, reader);
  }
  return reader;
}

export const resolveSecret = (name: SecretName, env: NodeJS.ProcessEnv = process.env) =>
  secretReader(env).resolve(name);

export const requireSecret = (name: SecretName, env: NodeJS.ProcessEnv = process.env) =>
  secretReader(env).require(name);

export const refreshSecret = (name: SecretName, rejected: string, env: NodeJS.ProcessEnv = process.env) =>
  secretReader(env).refresh(name, rejected);

export const withSecret = <T>(
  name: SecretName,
  use: (value: string) => Promise<T> | T,
  options: { rejected?: (result: T) => boolean; env?: NodeJS.ProcessEnv } = {},
): Promise<T> => secretReader(options.env).withSecret(name, use, options.rejected);
