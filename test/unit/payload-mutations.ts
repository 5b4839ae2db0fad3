import { readdirSync, readFileSync } from "node:fs";
import fc from "fast-check";

/**
 * Random mutations of valid payloads (delete, replace, retype, add keys including prototype-pollution ones,
 * hostile strings, values taken from elsewhere in the fixtures), shared by the property tests. A mutated
 * payload is returned as ingest sees it: serialised and parsed again.
 */

/** The valid fixtures of a route (test/fixtures/<route>/*.json, without the bad- ones). */
export const validFixtures = (route: string): unknown[] => {
  const dir = new URL(`../fixtures/${route}/`, import.meta.url);
  return readdirSync(dir)
    .filter((name) => name.endsWith(".json") && !name.startsWith("bad-"))
    .map((name) => JSON.parse(readFileSync(new URL(name, dir), "utf8")));
};

type Path = (string | number)[];

/** Every path to a value inside `root` (the root itself included), iteratively. */
function pathsOf(root: unknown): Path[] {
  const paths: Path[] = [];
  const stack: { value: unknown; path: Path }[] = [{ value: root, path: [] }];
  while (stack.length > 0) {
    const { value, path } = stack.pop() as { value: unknown; path: Path };
    paths.push(path);
    if (Array.isArray(value))
      value.forEach((item, index) => {
        stack.push({ value: item, path: [...path, index] });
      });
    else if (value !== null && typeof value === "object")
      for (const [key, item] of Object.entries(value)) stack.push({ value: item, path: [...path, key] });
  }
  return paths;
}

const containerAt = (root: unknown, path: Path): unknown =>
  path.reduce<unknown>((node, key) => (node as Record<string | number, unknown>)[key], root);

/** Every scalar in some payloads: plausible values for mutations to move around. */
export function scalarsOf(payloads: readonly unknown[]): unknown[] {
  const scalars = new Set<unknown>();
  for (const payload of payloads)
    for (const path of pathsOf(payload)) {
      const value = containerAt(payload, path);
      if (value === null || typeof value !== "object") scalars.add(value);
    }
  return [...scalars];
}

/**
 * Set an own property even for "__proto__", as JSON.parse does (plain assignment would set the prototype). The
 * value is copied: fast-check hands out the same instance of a constant, which would otherwise form cycles.
 */
const defineOwn = (target: object, key: string | number, value: unknown) =>
  Object.defineProperty(target, key, {
    value: structuredClone(value),
    enumerable: true,
    writable: true,
    configurable: true,
  });

export const hostileString = fc.oneof(
  fc.string({ unit: "binary", maxLength: 80 }),
  fc.constantFrom(
    "",
    " ",
    "<!channel>",
    "<https://evil.example|x>",
    "\u202Eevil",
    "\u0000",
    "x'; DROP TABLE cases; --",
    "1970-01-01T00:00:00Z",
    "2099-01-01T00:00:00Z",
    "2026-11-24T12:00:00Z",
    "NaN",
    "false",
    "1.0",
    "prompt_attack",
    "PROMPT_ATTACK",
    "GUARDRAIL_INTERVENED",
    "custom:x",
    "x".repeat(5000),
  ),
);

/** Any JSON-ish value, and (when given) the plausible ones, which keep more mutated payloads valid. */
const anyValue = (plausible: readonly unknown[]) =>
  fc.oneof(
    hostileString,
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.jsonValue({ maxDepth: 3 }),
    fc.constant([]),
    fc.constant({}),
    ...(plausible.length > 0 ? [fc.constantFrom(...plausible)] : []),
  );

export type Mutation = { op: "delete" | "replace" | "add"; at: number; key?: string; value?: unknown };

export const mutation = (plausible: readonly unknown[] = []): fc.Arbitrary<Mutation> =>
  fc.oneof(
    fc.record({ op: fc.constant("delete" as const), at: fc.nat() }),
    fc.record({ op: fc.constant("replace" as const), at: fc.nat(), value: anyValue(plausible) }),
    fc.record({
      op: fc.constant("add" as const),
      at: fc.nat(),
      key: fc.oneof(
        fc.constantFrom("__proto__", "constructor", "prototype", "extra", "status", "detector"),
        fc.string({ maxLength: 12 }),
      ),
      value: anyValue(plausible),
    }),
  );

export function mutate(payload: unknown, mutations: readonly Mutation[]): unknown {
  let root: unknown = structuredClone(payload);
  for (const change of mutations) {
    const paths = pathsOf(root);
    const path = paths[change.at % paths.length] as Path;
    if (path.length === 0) {
      if (change.op === "replace") root = structuredClone(change.value);
      continue;
    }
    const parent = containerAt(root, path.slice(0, -1)) as Record<string | number, unknown> | unknown[];
    const key = path.at(-1) as string | number;
    if (change.op === "delete") {
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
    } else if (change.op === "replace") {
      defineOwn(parent, key, change.value);
    } else {
      const target = containerAt(root, path);
      if (target !== null && typeof target === "object" && !Array.isArray(target))
        defineOwn(target, change.key ?? "extra", change.value);
      else defineOwn(parent, key, { [change.key ?? "extra"]: change.value });
    }
  }
  // What ingest sees: the body as it travels (JSON text), parsed again.
  return JSON.parse(JSON.stringify(root) ?? "null");
}
