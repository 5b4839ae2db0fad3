import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { CanonicalAlert } from "../../functions/shared/alert.js";
import { sourceByName } from "../../functions/sources/index.js";
import { mutate, mutation, validFixtures } from "./payload-mutations.js";

/**
 * Mutate valid payloads at random (delete, replace, retype, add keys including prototype-pollution ones, hostile
 * strings) and check the contract ingest and triage rely on: the schema either refuses (a ZodError, reported as
 * issues) or accepts, and then normalize yields canonical alerts that pass `CanonicalAlert.parse`. Nothing
 * else may throw, and every run ends quickly.
 */

const ROUTES = ["generic", "bedrock-guardrails", "lakera", "prompt-shields", "llm-guard"] as const;

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
        fc.array(mutation(), { minLength: 1, maxLength: 4 }),
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
