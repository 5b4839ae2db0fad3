import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { DOCUMENT_QUARANTINE_BUCKET_ENV } from "../../functions/actions/knowledge-base-documents.js";
import { CONTAINMENT_BUDGET_ENV } from "../../functions/shared/containment-budget.js";
import { EnvNames, SecretNames, secretParameterVariable } from "../../functions/shared/env.js";
import { PROTECTED_PRINCIPALS_ENV } from "../../functions/shared/protected-principals.js";
import { GUARDRAIL_ADMINS_ENV } from "../../functions/sources/aws/bedrock.js";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

/**
 * Variables function code reads by a name of its own rather than through `EnvNames`: the name, and the file
 * that spells it out. `literalEnvNamesIn` finds every such spelling, so a new one fails a test until it is
 * written down here (and then counts as read by every function that imports the file).
 */
export const LITERAL_ENV_READS: readonly { readonly name: string; readonly file: string }[] = [
  // The guardrail-admin allow-list, read by the aws.bedrock adapter: `guardrailAdminsFrom(process.env)`.
  { name: GUARDRAIL_ADMINS_ENV, file: "functions/sources/aws/bedrock.ts" },
  // What no action ever contains, read by every action's runner and by quell.check-protected.
  { name: PROTECTED_PRINCIPALS_ENV, file: "functions/shared/protected-principals.ts" },
  // The containment budget, read by approval-request before it asks.
  { name: CONTAINMENT_BUDGET_ENV, file: "functions/shared/containment-budget.ts" },
  // Where the knowledge base actions quarantine poisoned documents (settings.documentQuarantineBucket).
  { name: DOCUMENT_QUARANTINE_BUCKET_ENV, file: "functions/actions/knowledge-base-documents.ts" },
];

/** The handler file and every repository file it imports, transitively (relative `.js` imports of `.ts`). */
export function sourcesOf(entry: string): string[] {
  const seen = new Set<string>();
  const pending = [join(repoRoot, entry)];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (seen.has(file)) continue;
    if (!existsSync(file)) throw new Error(`no source file ${file} (imported from ${entry})`);
    seen.add(file);
    const source = readFileSync(file, "utf8");
    for (const match of source.matchAll(/from\s+"(\.{1,2}\/[^"]+)\.js"/g)) {
      pending.push(join(dirname(file), `${match[1]}.ts`));
    }
  }
  return [...seen];
}

/**
 * The environment variables (by value) a function's code reads, anywhere it imports: through `EnvNames`, and
 * the literal reads of `LITERAL_ENV_READS` whose file it imports.
 */
export function envNamesReadBy(entry: string): Set<string> {
  const names = new Set<string>();
  const files = sourcesOf(entry);
  for (const file of files) {
    for (const match of readFileSync(file, "utf8").matchAll(/EnvNames\.(\w+)/g)) {
      const key = match[1] as keyof typeof EnvNames;
      if (!(key in EnvNames)) throw new Error(`${file}: EnvNames.${key} is not a known variable`);
      names.add(EnvNames[key]);
    }
  }
  for (const { name, file } of LITERAL_ENV_READS) if (files.includes(join(repoRoot, file))) names.add(name);
  return names;
}

/** Every non-test TypeScript file under `functions/`, relative to the repository root. */
export function functionSourceFiles(): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts")) found.push(path);
    }
  };
  walk(join(repoRoot, "functions"));
  return found.map((path) => relative(repoRoot, path)).sort();
}

/** Shared names: the variables of `EnvNames` and the secrets of `SecretNames` (and their `_PARAMETER`). */
const SHARED_NAMES = new Set<string>([
  ...Object.values(EnvNames),
  ...Object.values(SecretNames),
  ...Object.values(SecretNames).map(secretParameterVariable),
]);

/**
 * Environment variable names a file spells out itself: Quell-prefixed string literals (`"QUELL_..."`) and
 * `process.env.NAME` / `process.env["NAME"]`, minus the shared names of `EnvNames` and `SecretNames`.
 * `functions/shared/env.ts` defines those, so it is not scanned.
 */
export function literalEnvNamesIn(file: string): string[] {
  if (file === "functions/shared/env.ts") return [];
  const source = readFileSync(join(repoRoot, file), "utf8");
  const names = [
    ...[...source.matchAll(/["'`](QUELL_[A-Z0-9_]+)["'`]/g)].map((match) => match[1]),
    ...[...source.matchAll(/process\.env(?:\.([A-Za-z_]\w*)|\[\s*["'`]([A-Za-z_]\w*)["'`]\s*\])/g)].map(
      (match) => match[1] ?? match[2],
    ),
  ];
  return [...new Set(names.filter((name): name is string => name !== undefined && !SHARED_NAMES.has(name)))];
}
