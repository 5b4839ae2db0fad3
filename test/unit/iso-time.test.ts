import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isoTimestamp } from "../../functions/shared/iso-time.js";

describe("isoTimestamp", () => {
  it("is toISOString, for any date, in any order of calls", () => {
    const date = fc.oneof(
      fc.integer({ min: -1e14, max: 4e14 }),
      fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2026, 0, 1) + 5000 }),
      fc.constantFrom(0, 999, 1000, Date.UTC(9999, 11, 31, 23, 59, 59, 999), Date.UTC(10_000, 0, 1), -1),
    );
    fc.assert(
      fc.property(fc.array(date, { minLength: 1, maxLength: 20 }), (times) => {
        for (const time of times) expect(isoTimestamp(new Date(time))).toBe(new Date(time).toISOString());
      }),
      { numRuns: 2000 },
    );
  });

  it("throws for an invalid date, as toISOString does", () => {
    expect(() => isoTimestamp(new Date(Number.NaN))).toThrow(RangeError);
  });
});
