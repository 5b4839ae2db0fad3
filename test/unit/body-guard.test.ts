import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bodyGuardIssues, issuesOf } from "../../functions/sources/body-guard.js";
import { mutate, mutation, scalarsOf, validFixtures } from "./payload-mutations.js";

/** The body guard's fast pass for clean bodies never hides an issue the detailed walk finds. */

const fixtures = ["generic", "bedrock-guardrails", "lakera", "llm-guard", "prompt-shields"].flatMap(
  validFixtures,
);

describe("the body guard", () => {
  it.each([{ maxDepth: 32, maxBytes: 64 * 1024 }, { maxDepth: 3 }, { maxDepth: 32, maxBytes: 1200 }])(
    "finds what the detailed walk finds, on 2000 mutated bodies (%o)",
    (options) => {
      let refused = 0;
      fc.assert(
        fc.property(
          fc.nat({ max: fixtures.length - 1 }),
          fc.array(mutation(scalarsOf(fixtures)), { maxLength: 3 }),
          (which, changes) => {
            const body = mutate(fixtures[which], changes);
            const issues = bodyGuardIssues(body, options);
            expect(issues).toEqual(issuesOf(body, options));
            if (issues.length > 0) refused++;
          },
        ),
        { numRuns: 2000 },
      );
      expect(refused).toBeGreaterThan(20);
    },
  );

  it("measures a body whose bound exceeds the limit exactly", () => {
    const body = { text: "\u0001".repeat(100) }; // 6 bytes a unit when escaped: 611 bytes in all
    expect(bodyGuardIssues(body, { maxDepth: 2, maxBytes: 611 })).toEqual([]);
    expect(bodyGuardIssues(body, { maxDepth: 2, maxBytes: 610 })).toEqual([
      { path: [], message: "the alert is 611 bytes as compact JSON; the limit is 610" },
    ]);
    const odd = { n: Number.NaN, m: new Array(3), d: new Date(0) };
    expect(bodyGuardIssues(odd, { maxDepth: 2 })).toEqual(issuesOf(odd, { maxDepth: 2 }));
  });
});
