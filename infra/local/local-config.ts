import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The read token every GET except /healthz needs (`Authorization: Bearer <token>`). */
export const READ_TOKEN = "QUELL_READ_TOKEN";
/**
 * The access key id Quell's processes use with DynamoDB Local. DynamoDB Local keeps one database per access key
 * id and region, so a client without this id sees an empty database, never Quell's. Kept with the other secrets,
 * because the database file is named after it: a new id would start from an empty database.
 */
export const LOCAL_DYNAMODB_KEY_ID = "QUELL_LOCAL_DYNAMODB_KEY_ID";

/** Secrets the local runtime generates when the environment does not set them. */
export const GENERATED_SECRETS = [
  "QUELL_WEBHOOK_SECRET",
  "QUELL_GITHUB_WEBHOOK_SECRET",
  "SLACK_SIGNING_SECRET",
  "QUELL_EVENTS_TOKEN",
  READ_TOKEN,
  LOCAL_DYNAMODB_KEY_ID,
] as const;

export const DEFAULT_PORT = 8787;
export const DATA_DIR = ".quell";
export const LOCAL_RESPONDER = "U0LOCALRESPONDER";
/** The example configuration's second approver: four-eyes approvals need two different people. */
export const LOCAL_SECOND_RESPONDER = "U0LOCALSECOND";
export const LOCAL_CHANNEL = "C0QUELLLOCAL";

export const localSecretsFile = (dataDir = DATA_DIR) => join(dataDir, "local-secrets.json");

/** A fresh random secret: hex, so it also fits where only letters and digits are allowed (an access key id). */
export const randomSecret = () => randomBytes(24).toString("hex");

/**
 * Secrets for this machine: the environment wins; otherwise values generated once and kept (mode 0600, in a
 * 0700 directory) under .quell/, so the CLI and a restart use the same ones.
 */
export function loadLocalSecrets(
  env: NodeJS.ProcessEnv = process.env,
  dataDir = DATA_DIR,
): Record<(typeof GENERATED_SECRETS)[number], string> {
  const file = localSecretsFile(dataDir);
  const stored: Record<string, string> = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : {};
  let changed = false;
  for (const name of GENERATED_SECRETS) {
    if (!stored[name]) {
      stored[name] = randomSecret();
      changed = true;
    }
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (changed) writeFileSync(file, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
  // What was created before this rule (or copied in) is narrowed too.
  chmodSync(dataDir, 0o700);
  chmodSync(file, 0o600);
  return Object.fromEntries(
    GENERATED_SECRETS.map((name) => [name, env[name] || (stored[name] as string)]),
  ) as Record<(typeof GENERATED_SECRETS)[number], string>;
}

export const quellUrl = (env: NodeJS.ProcessEnv = process.env) =>
  env.QUELL_URL ?? `http://127.0.0.1:${env.QUELL_PORT ?? DEFAULT_PORT}`;
