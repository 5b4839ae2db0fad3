import { describe, expect, it } from "vitest";
import { ClaimMemory } from "../../functions/triage/claim-memory.js";

const claim = (incidentId: string) => ({ incidentId, alertId: `alr_${incidentId}` });
/** The claim as the table holds it: with the end of its dedup window. */
const held = (incidentId: string, expiresAt: number) => ({ ...claim(incidentId), expiresAt });
const NOW = 1_800_000_000;

describe("ClaimMemory", () => {
  it("recalls a remembered claim until the memory's age limit", () => {
    const memory = new ClaimMemory({ maxEntries: 10, maxAgeSeconds: 60 });
    memory.remember("github:o/r:1", held("inc_a", NOW + 86_400), NOW);
    expect(memory.recall("github:o/r:1", NOW + 59)).toEqual(claim("inc_a"));
    expect(memory.recall("github:o/r:1", NOW + 60)).toBeUndefined();
    expect(memory.size).toBe(0);
  });

  it("never recalls a claim past its own dedup window", () => {
    const memory = new ClaimMemory({ maxEntries: 10, maxAgeSeconds: 60 });
    memory.remember("k", held("inc_a", NOW + 5), NOW);
    expect(memory.recall("k", NOW + 4)).toEqual(claim("inc_a"));
    expect(memory.recall("k", NOW + 5)).toBeUndefined();
    memory.remember("expired", held("inc_b", NOW - 1), NOW);
    expect(memory.recall("expired", NOW)).toBeUndefined();
  });

  it("lets the longest-remembered key go first beyond its size", () => {
    const memory = new ClaimMemory({ maxEntries: 2, maxAgeSeconds: 60 });
    memory.remember("a", held("inc_a", NOW + 100), NOW);
    memory.remember("b", held("inc_b", NOW + 100), NOW);
    // Remembering "a" again makes it the newest.
    memory.remember("a", held("inc_a2", NOW + 100), NOW);
    memory.remember("c", held("inc_c", NOW + 100), NOW);
    expect(memory.recall("b", NOW)).toBeUndefined();
    expect(memory.recall("a", NOW)).toEqual(claim("inc_a2"));
    expect(memory.recall("c", NOW)).toEqual(claim("inc_c"));
    expect(memory.size).toBe(2);
  });

  it("forgets a key on request, and keeps only the claim's ids", () => {
    const memory = new ClaimMemory({ maxEntries: 10, maxAgeSeconds: 60 });
    memory.remember("k", held("inc_a", NOW + 100), NOW);
    expect(memory.recall("k", NOW)).toEqual(claim("inc_a"));
    memory.forget("k");
    expect(memory.recall("k", NOW)).toBeUndefined();
  });
});
