import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CanonicalAlert } from "../../functions/shared/alert.js";
import type { AlertMatch } from "../../functions/triage/config.js";
import { type AssessedAlert, matches } from "../../functions/triage/routing.js";
import { RuleIndex } from "../../functions/triage/rule-index.js";

/** The rule index finds the rule a scan of every rule finds, whatever the rules and the alert. */

const SOURCES = ["generic", "lakera", "github"];
const TYPES = ["prompt_injection", "jailbreak", "leaked_api_key"] as const;
const ENTITIES = [
  { kind: "end_user", id: "u1" },
  { kind: "end_user", id: "u2" },
  { kind: "principal", id: "u1" },
] as const;
const DEDUP_KEYS = ["generic:a", "generic:b"];

const some = <T>(values: readonly T[]) => fc.subarray([...values], { minLength: 1 });
const match: fc.Arbitrary<AlertMatch> = fc.record(
  {
    sources: some(SOURCES),
    types: some(TYPES),
    entity: fc.constantFrom(...ENTITIES),
    dedupKey: fc.constantFrom(...DEDUP_KEYS),
    minSeverity: fc.constantFrom("low", "high" as const),
  },
  { requiredKeys: [] },
);

const assessed = fc
  .record({
    source: fc.constantFrom(...SOURCES),
    type: fc.constantFrom(...TYPES),
    dedupKey: fc.constantFrom(...DEDUP_KEYS),
    severity: fc.constantFrom("info", "medium", "critical" as const),
    entities: fc.subarray([...ENTITIES]),
  })
  .map(
    (alert) =>
      ({
        alert: alert as unknown as CanonicalAlert,
        enrichment: { assets: [], unknownAssets: [] },
        risk: { score: 50, reasons: [] },
      }) as AssessedAlert,
  );

describe("RuleIndex", () => {
  it("finds the first matching rule, as a scan does, on 3000 rule sets and alerts", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ match, enabled: fc.boolean() }), { maxLength: 12 }),
        assessed,
        (rules, alert) => {
          const holds = (rule: (typeof rules)[number]) => rule.enabled && matches(rule.match, alert);
          expect(new RuleIndex(rules).first(alert.alert, holds)).toBe(rules.find(holds));
        },
      ),
      { numRuns: 3000 },
    );
  });
});
