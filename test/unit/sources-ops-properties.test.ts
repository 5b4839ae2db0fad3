import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CanonicalAlert } from "../../functions/shared/alert.js";
import { parseRawJson } from "../../functions/shared/raw-json.js";
import { alertmanager } from "../../functions/sources/alertmanager.js";
import { datadog } from "../../functions/sources/datadog.js";
import { grafana } from "../../functions/sources/grafana.js";
import { pagerduty } from "../../functions/sources/pagerduty.js";
import type { SourceAdapter } from "../../functions/sources/source.js";

/**
 * Property: whatever a sender does to a valid payload (drop fields, change types, add `__proto__` keys,
 * slip in control or bidi characters, blow strings up), the adapter either refuses it through its schema or
 * returns alerts that pass `CanonicalAlert.parse`. It never throws anything else, and never pollutes
 * `Object.prototype`. (Ingest refuses the prototype-pollution keys before the schema, with a 400; the adapter
 * is checked on those values anyway.)
 */

type Json = unknown;
type Path = (string | number)[];

const fixture = (source: string, name: string): Json =>
  JSON.parse(readFileSync(new URL(`../fixtures/${source}/${name}`, import.meta.url), "utf8"));

const CASES: { source: string; adapter: SourceAdapter<unknown>; fixtures: string[] }[] = [
  {
    source: "alertmanager",
    adapter: alertmanager as SourceAdapter<unknown>,
    fixtures: ["vllm-token-rate-anomaly-firing.json", "vllm-token-rate-anomaly-resolved.json"],
  },
  {
    source: "grafana",
    adapter: grafana as SourceAdapter<unknown>,
    fixtures: ["prompt-attack-detections-spike-firing.json"],
  },
  {
    source: "datadog",
    adapter: datadog as SourceAdapter<unknown>,
    fixtures: [
      "monitor-llm-input-token-spend-triggered.json",
      "monitor-llm-input-token-spend-recovered.json",
    ],
  },
  {
    source: "pagerduty",
    adapter: pagerduty as SourceAdapter<unknown>,
    fixtures: [
      "events-v2-trigger-model-extraction-suspected.json",
      "events-v2-resolve-model-extraction-suspected.json",
    ],
  },
];

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Every node of a JSON value, with its path and value. */
function nodes(value: Json, path: Path = []): { path: Path; value: Json }[] {
  const found = [{ path, value }];
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) found.push(...nodes(item, [...path, index]));
  } else if (isObject(value))
    for (const key of Object.keys(value)) found.push(...nodes(value[key], [...path, key]));
  return found;
}

const parentOf = (root: Json, path: Path): Record<string | number, unknown> => {
  let node = root as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  return node;
};

/** Set an own property, even one named `__proto__`, the way JSON.parse would. */
const setOwn = (target: Record<string | number, unknown>, key: string | number, value: unknown) =>
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });

/** Values that are plausible somewhere in these payloads, so mutations also reach other valid states. */
const PLAUSIBLE = [
  "firing",
  "resolved",
  "4",
  "1",
  "trigger",
  "acknowledge",
  "resolve",
  "critical",
  "warning",
  "error",
  "info",
  "P1",
  "P5",
  "",
  "Recovered",
  "Re-Triggered",
  "No Data",
  "0123456789abcdef",
  "llmjacking",
  "prompt_injection",
  "other",
  "0001-01-01T00:00:00Z",
  "9999-12-31T23:59:59Z",
  "2026-11-22T08:47:15.000+0000",
  "253402300799999",
  "999999999999999",
  "1794970812000",
  "81234567",
  "203.0.113.9",
  "::1",
  "constructor",
  "__proto__",
  "toString",
  "$ALERT_ID",
  0,
  -1,
  1.5,
  1e308,
  2 ** 53,
  true,
  false,
  null,
  [],
  {},
];

const HOSTILE_CHARS = [
  "\u0000",
  "\u001b[31m",
  "\r\n",
  "\u007f",
  "\u0085",
  "\u200b",
  "\u202e",
  "\u2066",
  "\ufeff",
];

type Mutation =
  | { kind: "drop"; pick: number }
  | { kind: "replace"; pick: number; value: Json }
  | { kind: "flipType"; pick: number }
  | { kind: "hostileKey"; pick: number; key: string; value: Json }
  | { kind: "inject"; pick: number; text: string; at: number }
  | { kind: "huge"; pick: number; length: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("drop" as const), pick: fc.nat() }),
  fc.record({
    kind: fc.constant("replace" as const),
    pick: fc.nat(),
    value: fc.oneof(
      fc.constantFrom(...PLAUSIBLE),
      fc.jsonValue({ maxDepth: 2 }),
      fc.string({ maxLength: 40 }),
    ),
  }),
  fc.record({ kind: fc.constant("flipType" as const), pick: fc.nat() }),
  fc.record({
    kind: fc.constant("hostileKey" as const),
    pick: fc.nat(),
    key: fc.constantFrom("__proto__", "constructor", "prototype"),
    value: fc.oneof(
      fc.constant({ isAdmin: true, approved: true }),
      fc.constant({ prototype: { polluted: "yes" } }),
      fc.constantFrom(...PLAUSIBLE),
    ),
  }),
  fc.record({
    kind: fc.constant("inject" as const),
    pick: fc.nat(),
    text: fc.constantFrom(...HOSTILE_CHARS),
    at: fc.nat(),
  }),
  fc.record({
    kind: fc.constant("huge" as const),
    pick: fc.nat(),
    length: fc.integer({ min: 300, max: 70_000 }),
  }),
);

function flip(value: Json): Json {
  if (typeof value === "number") return String(value);
  if (typeof value === "string") return /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value.length;
  if (typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return value.length === 0 ? null : value[0];
  if (isObject(value)) return Object.keys(value).length === 0 ? [] : JSON.stringify(value);
  return "null";
}

function apply(root: Json, change: Mutation): Json {
  const all = nodes(root);
  const pickFrom = <T>(items: T[]) => items[change.pick % items.length];
  switch (change.kind) {
    case "drop":
    case "replace":
    case "flipType": {
      const target = pickFrom(all.filter((node) => node.path.length > 0));
      if (!target) return root;
      const parent = parentOf(root, target.path);
      const key = target.path.at(-1) as string | number;
      if (change.kind === "drop") {
        if (Array.isArray(parent)) parent.splice(key as number, 1);
        else delete parent[key];
      } else
        setOwn(parent, key, change.kind === "replace" ? structuredClone(change.value) : flip(target.value));
      return root;
    }
    case "hostileKey": {
      const target = pickFrom(all.filter((node) => isObject(node.value)));
      if (target) setOwn(target.value as Record<string, unknown>, change.key, structuredClone(change.value));
      return root;
    }
    case "inject":
    case "huge": {
      const target = pickFrom(all.filter((node) => typeof node.value === "string"));
      if (!target || target.path.length === 0) return root;
      const text = target.value as string;
      const at = change.kind === "inject" ? change.at % (text.length + 1) : 0;
      const replacement =
        change.kind === "inject"
          ? `${text.slice(0, at)}${change.text}${text.slice(at)}`
          : `${text}${"\u00e9x".repeat(change.length)}`;
      setOwn(parentOf(root, target.path), target.path.at(-1) as string | number, replacement);
      return root;
    }
  }
}

const receipt = { alertId: "alr_prop0001", receivedAt: "2026-11-25T00:00:00.000Z" };

describe.each(CASES)("$source adapter under mutated payloads", ({ source, adapter, fixtures }) => {
  it.each(fixtures)("%s: refused by the schema or canonical, never anything else", (name) => {
    const outcomes = { refusedAsJson: 0, refusedBySchema: 0, accepted: 0 };
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (changes) => {
        let payload = fixture(source, name);
        for (const change of changes) payload = apply(payload, change);
        // The path ingest takes: raw bytes through the shared JSON checks, then the adapter's schema.
        const text = JSON.stringify(payload);
        const checked = parseRawJson(new TextEncoder().encode(text));
        if (!checked.ok) {
          // Only the prototype-pollution keys the mutations add make ingest refuse the JSON itself (a 400).
          expect(checked.message).toMatch(
            /^forbidden key "(__proto__|constructor|prototype)" in object at \$/,
          );
          outcomes.refusedAsJson++;
        }
        // Defence in depth: the adapter holds up even for a value ingest refuses before it.
        const validated = adapter.schema.safeParse(checked.ok ? checked.value : JSON.parse(text));
        if (!validated.success) {
          expect(validated.error.issues.length).toBeGreaterThan(0);
          outcomes.refusedBySchema++;
          return;
        }
        const alerts = adapter.normalize(validated.data, receipt);
        expect(alerts.length).toBeGreaterThan(0);
        for (const alert of alerts) {
          const canonical = CanonicalAlert.safeParse(alert);
          if (!canonical.success) throw new Error(`not canonical: ${JSON.stringify(canonical.error.issues)}`);
          expect(alert.title.length).toBeLessThanOrEqual(300);
          expect(alert.dedupKey.startsWith(`${source}:`)).toBe(true);
        }
        outcomes.accepted++;
        const prototype = Object.prototype as Record<string, unknown>;
        expect(prototype.isAdmin ?? prototype.approved ?? prototype.polluted).toBeUndefined();
      }),
      // Fixed seed in CI; QUELL_PROPERTY_RUNS=<n> explores with a random seed instead.
      process.env.QUELL_PROPERTY_RUNS
        ? { numRuns: Number(process.env.QUELL_PROPERTY_RUNS) }
        : { numRuns: 400, seed: 20261125 },
    );
    // Both sides of the property are exercised, and ingest's own refusal too.
    expect(outcomes.refusedAsJson).toBeGreaterThan(20);
    expect(outcomes.accepted).toBeGreaterThan(20);
    expect(outcomes.refusedBySchema).toBeGreaterThan(20);
  });
});
