import { describe, expect, it } from "vitest";
import { matchesRedacted } from "../../functions/actions/redaction.js";

const SECRET = "sk-proj-4fG7hK2mQ9xZ1vB8nC3dL6pR0tW5yE1234";

describe("matchesRedacted (OpenAI shows keys as prefix…suffix)", () => {
  it.each([
    ["three dots", "sk-proj...1234"],
    ["a unicode ellipsis", "sk-proj…1234"],
    ["a run of asterisks", "sk-p*****1234"],
    ["a longer prefix and suffix", "sk-proj-4fG7...pR0tW5yE1234"],
  ])("matches when prefix and suffix agree (%s)", (_name, redacted) => {
    expect(matchesRedacted(SECRET, redacted)).toBe(true);
  });

  it.each([
    ["another suffix", "sk-proj...9999"],
    ["another prefix", "sk-svca...1234"],
  ])("does not match %s", (_name, redacted) => {
    expect(matchesRedacted(SECRET, redacted)).toBe(false);
  });

  it.each([
    ["a prefix under 3 characters", "sk...1234"],
    ["a suffix under 2 characters", "sk-proj...4"],
    ["an empty prefix", "...1234"],
  ])("refuses %s, which would match too much", (_name, redacted) => {
    expect(matchesRedacted(SECRET, redacted)).toBe(false);
  });

  it.each([
    ["no separator", "sk-proj-1234"],
    ["two dots only", "sk-proj..1234"],
    ["two separators", "sk-...proj...1234"],
  ])("refuses a redacted value with %s", (_name, redacted) => {
    expect(matchesRedacted(SECRET, redacted)).toBe(false);
  });

  it("refuses a secret too short to hold both parts without overlap", () => {
    expect(matchesRedacted("abcdef", "abcd...cdef")).toBe(false);
    expect(matchesRedacted("abcdXcdef", "abcd...cdef")).toBe(true);
  });
});
