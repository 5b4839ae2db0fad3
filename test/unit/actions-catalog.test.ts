import { existsSync, readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { actions } from "../../functions/actions/registry.js";
import { SecretNames } from "../../functions/shared/env.js";

const ACTIONS_DIR = new URL("../../functions/actions/", import.meta.url);
const entries = Object.entries(actions);
const ALLOWED_PLACEHOLDERS = new Set(["Partition", "Region", "Account"]);
/** Actions that take no resource (Service Authorization Reference): the only ones granted on `*`. */
const RESOURCELESS_ACTIONS = ["bedrock:ListKnowledgeBases"];

describe("action catalog (functions/actions/registry.ts)", () => {
  it("registers every action folder, and only those", () => {
    const folders = readdirSync(ACTIONS_DIR, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && existsSync(new URL(`${entry.name}/action.ts`, ACTIONS_DIR)))
      .map((entry) => entry.name)
      .sort();
    expect(entries.map(([, entry]) => entry.folder).sort()).toEqual(folders);
    expect(folders.length).toBeGreaterThan(0);
  });

  describe.each(entries)("%s", (key, { definition, folder }) => {
    it("is registered under its own name", () => {
      expect(key).toBe(definition.name);
    });

    it("has a handler.ts that wraps this folder's action", () => {
      const handler = new URL(`${folder}/handler.ts`, ACTIONS_DIR);
      expect(existsSync(handler)).toBe(true);
      const source = readFileSync(handler, "utf8");
      expect(source).toContain("createActionHandler(");
      expect(source).toContain('from "./action.js"');
      // An action that calls AWS (it declares IAM needs) must hand its handler the client, or it fails at run time.
      if (definition.iam.length > 0) expect(source).toMatch(/createActionHandler\(\w+, \{\s*\w+: \w+Client/);
    });

    it("declares only known secret names", () => {
      const known: readonly string[] = Object.values(SecretNames);
      for (const secret of definition.secrets) expect(known).toContain(secret);
    });

    it("builds IAM resources from the partition, region and account placeholders only", () => {
      for (const need of definition.iam) {
        expect(need.actions.length).toBeGreaterThan(0);
        for (const resource of need.resources) {
          // `*` only for actions the Service Authorization Reference lists with no resource type.
          if (resource === "*") {
            for (const action of need.actions) expect(RESOURCELESS_ACTIONS).toContain(action);
            continue;
          }
          expect(resource.startsWith(`arn:\${Partition}:`)).toBe(true);
          const placeholders = [...resource.matchAll(/\$\{([^}]*)\}/g)].map((match) => match[1]);
          for (const placeholder of placeholders) expect(ALLOWED_PLACEHOLDERS).toContain(placeholder);
          // No unresolved `$` or `{` outside a well-formed placeholder.
          expect(resource.replace(/\$\{(Partition|Region|Account)\}/g, "")).not.toMatch(/[${}]/);
        }
      }
    });

    it("has a non-negative integer write budget and a positive timeout", () => {
      expect(Number.isInteger(definition.blastRadius.maxWrites)).toBe(true);
      expect(definition.blastRadius.maxWrites).toBeGreaterThanOrEqual(0);
      expect(definition.timeoutSeconds).toBeGreaterThan(0);
    });
  });

  const reversibleWriters = entries.filter(
    ([, { definition }]) => definition.reversible && definition.blastRadius.maxWrites > 0,
  );

  it("has reversible actions that write (so the undo check below checks something)", () => {
    expect(reversibleWriters.length).toBeGreaterThan(0);
  });

  it.each(reversibleWriters)("%s is reversible and writes, so it declares undo", (_key, { definition }) => {
    expect(typeof definition.undo).toBe("function");
  });
});
