import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Secrets the local runtime generates when the environment does not set them. */
export const GENERATED_SECRETS = [
  "QUELL_WEBHOOK_SECRET",
  "QUELL_GITHUB_WEBHOOK_SECRET",
  "SLACK_SIGNING_SECRET",
  "QUELL_EVENTS_TOKEN",
] as const;

export const DEFAULT_PORT = 8787;
export const DATA_DIR = ".quell";
export const LOCAL_RESPONDER = "U0LOCALRESPONDER";
export const LOCAL_CHANNEL = "C0QUELLLOCAL";

export const localSecretsFile = (dataDir = DATA_DIR) => join(dataDir, "local-secrets.json");

/**
 * Secrets for this machine: the environment wins; otherwise values generated once and kept (mode 0600)
 * under .quell/, so the CLI and a restart use the same ones.
 */
export function loadLocalSecrets(
  env: NodeJS.ProcessEnv = process.env,
  dataDir = DATA_DIR,
): Record<string, string> {
  const file = localSecretsFile(dataDir);
  const stored: Record<string, string> = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : {};
  let changed = false;
  for (const name of GENERATED_SECRETS) {
    if (!stored[name]) {
      stored[name] = randomBytes(24).toString("hex");
      changed = true;
    }
  }
  if (changed) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
  }
  return Object.fromEntries(GENERATED_SECRETS.map((name) => [name, env[name] || (stored[name] as string)]));
}

export const quellUrl = (env: NodeJS.ProcessEnv = process.env) =>
  env.QUELL_URL ?? `http://127.0.0.1:${env.QUELL_PORT ?? DEFAULT_PORT}`;
