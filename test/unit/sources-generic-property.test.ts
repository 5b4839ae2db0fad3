import { readdirSync, readFileSync } from "node:fs";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { CanonicalAlert } from "../../functions/shared/alert.js";
import { sourceByName } from "../../functions/sources/index.js";

/**
 * Mutate valid payloads at random (delete, replace, retype, add keys including prototype-pollution ones, hostile
 * strings) and check the contract ingest and triage rely on: the schema either refuses (a ZodError, reported as
 * issues) or accepts, and then normalize yields canonical alerts that pass `CanonicalAlert.parse`. Nothing
 * else may throw, and every run ends quickly.
 */

const ROUTES = ["generic", "bedrock-guardrails", "lakera", "prompt-shields", "llm-guard"] as const;

const validFixtures = (route: string): unknown[] => {
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

const hostileString = fc.oneof(
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

const anyValue = fc.oneof(
  hostileString,
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 3 }),
  fc.constant([]),
  fc.constant({}),
);

const mutation = fc.oneof(
  fc.record({ op: fc.constant("delete" as const), at: fc.nat() }),
  fc.record({ op: fc.constant("replace" as const), at: fc.nat(), value: anyValue }),
  fc.record({
    op: fc.constant("add" as const),
    at: fc.nat(),
    key: fc.oneof(
      fc.constantFrom("__proto__", "constructor", "prototype", "extra", "status", "detector"),
      fc.string({ maxLength: 12 }),
    ),
    value: anyValue,
  }),
);

type Mutation = { op: "delete" | "replace" | "add"; at: number; key?: string; value?: unknown };

function mutate(payload: unknown, mutations: readonly Mutation[]): unknown {
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

beforeAll(() => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(new Date("2026-11-25T00:00:00.000Z"));
});
afterAll(() => vi.useRealTimers());

const receipt = { alertId: "alr_prop0001", receivedAt: "2026-11-25T00:00:00.000Z" };

describe.each(ROUTES)("POST /alerts/%s under random mutation", (route) => {
  const adapter = sourceByName(route);
  const fixtures = validFixtures(route);

  it("every valid fixture is accepted unmutated", () => {
    expect(adapter).toBeDefined();
    for (const payload of fixtures) expect(adapter?.schema.safeParse(payload).success).toBe(true);
  });

  it("either canonical alerts or a schema failure: never another exception, never a hang", () => {
    if (!adapter) throw new Error(`no adapter ${route}`);
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(
        fc.nat({ max: fixtures.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        (which, mutations) => {
          const payload = mutate(fixtures[which], mutations);
          const started = performance.now();
          const parsed = adapter.schema.safeParse(payload); // safeParse: only a ZodError counts as a refusal
          if (!parsed.success) {
            refused++;
            expect(parsed.error.issues.length).toBeGreaterThan(0);
            for (const issue of parsed.error.issues) expect(issue.message.length).toBeGreaterThan(0);
          } else {
            accepted++;
            const alerts = adapter.normalize(parsed.data, receipt);
            expect(alerts.length).toBeGreaterThan(0);
            for (const alert of alerts) CanonicalAlert.parse(alert);
          }
          expect(performance.now() - started).toBeLessThan(1000);
          const probe = {} as Record<string, unknown>;
          expect(probe.isAdmin ?? probe.extra ?? probe.autoApprove).toBeUndefined();
        },
      ),
      { numRuns: 400, endOnFailure: true },
    );
    // Both outcomes happen, or the test proves little.
    expect(accepted).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  }, 30_000);
});
