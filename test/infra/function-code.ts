import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { EnvNames } from "../../functions/shared/env.js";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

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

/** The environment variables (by value) a function's code reads through `EnvNames`, anywhere it imports. */
export function envNamesReadBy(entry: string): Set<string> {
  const names = new Set<string>();
  for (const file of sourcesOf(entry)) {
    for (const match of readFileSync(file, "utf8").matchAll(/EnvNames\.(\w+)/g)) {
      const key = match[1] as keyof typeof EnvNames;
      if (!(key in EnvNames)) throw new Error(`${file}: EnvNames.${key} is not a known variable`);
      names.add(EnvNames[key]);
    }
  }
  return names;
}
