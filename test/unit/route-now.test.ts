import { describe, expect, it } from "vitest";
import type { CanonicalAlert } from "../../functions/shared/alert.js";
import { defineTriageConfig, type TriageConfigInput } from "../../functions/triage/config.js";
import { Inventory } from "../../functions/triage/enrich.js";
import { routeNow } from "../../functions/triage/route-now.js";
import { leakedKeyAlert } from "./leaked-key-alert.js";

const NOW = new Date("2026-12-07T06:00:00.000Z");
const ALERT = leakedKeyAlert();

const route = (input: TriageConfigInput, alert: CanonicalAlert = ALERT) => {
  const config = defineTriageConfig(input);
  return routeNow(alert, { config, inventory: new Inventory(config.inventory), clock: () => NOW });
};
const snooze = (expiresAt: string) => ({
  id: "pentest",
  kind: "snooze" as const,
  match: { sources: ["github"] },
  owner: "alice@example.com",
  reason: "red-team exercise",
  expiresAt,
});

describe("the route now (triage's decision, as replay asks for it)", () => {
  it("is the playbook for the type by default, or the first matching rule's", () => {
    expect(route({})).toEqual({ playbook: "leaked-ai-key", rule: "default" });
    expect(route({ routes: [{ id: "quiet-repo", match: { sources: ["github"] }, playbook: null }] })).toEqual(
      {
        playbook: null,
        rule: "quiet-repo",
        reason: "no_playbook",
      },
    );
  });

  it("says when a live suppression silences it, and ignores an expired one", () => {
    expect(route({ suppressions: [snooze("2026-12-07T07:00:00.000Z")] })).toEqual({
      playbook: null,
      rule: "default",
      reason: "suppressed",
    });
    expect(route({ suppressions: [snooze("2026-12-07T05:00:00.000Z")] })).toEqual({
      playbook: "leaked-ai-key",
      rule: "default",
    });
  });

  it("starts nothing for a resolve or an alert outside the taxonomy", () => {
    expect(route({}, { ...ALERT, status: "resolved" })).toMatchObject({ playbook: null, reason: "resolved" });
    expect(route({}, { ...ALERT, type: "other" })).toMatchObject({ playbook: null, reason: "out_of_scope" });
  });
});
