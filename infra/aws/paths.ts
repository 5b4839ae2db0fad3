import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root: the NodejsFunction project root and the base of every function entry. */
export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

export const fromRoot = (relativePath: string): string => join(repoRoot, relativePath);

/** "openai-find-leaked-key" -> "OpenaiFindLeakedKey": construct ids and output ids from names. */
export const pascal = (name: string): string =>
  name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]?.toUpperCase() + part.slice(1))
    .join("");
