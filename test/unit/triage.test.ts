import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { IncidentStore } from "../../functions/shared/store.js";
import type { TriageConfigInput } from "../../functions/triage/config.js";
import type { AlertReceivedDetail } from "../../functions/triage/core.js";
import { type LocalStore, startLocalStore } from "./local-store.js";
import { deliveryOf, fixture, triageOne as triage, triageDeps, WINDOW_SECONDS } from "./triage-harness.js";

/** A GitHub delivery of the created-OpenAI-key fixture, with its own alert number so tests never share a dedup key. */
function delivery(
  alertNumber: number,
  changes: { action?: string; secretType?: string; updatedAt?: string } = {},
): AlertReceivedDetail {
  const payload = fixture("github", "secret-scanning-alert-created-openai-key.json");
  payload.alert.number = alertNumber;
  if (changes.action) payload.action = changes.action;
  if (changes.secretType) payload.alert.secret_type = changes.secretType;
  // GitHub moves `updated_at` with every change of the alert: the order triage goes by.
  if (changes.updatedAt) payload.alert.updated_at = changes.updatedAt;
  return deliveryOf("github", payload);
}

/** The fixture alert was created at 09:14:27; later events of it, by GitHub's clock. */
const AT = {
  validated: "2026-11-20T09:20:00Z",
  resolved: "2026-11-20T10:02:48Z",
  reopened: "2026-11-20T11:00:00Z",
  validatedAgain: "2026-11-20T11:05:00Z",
};

describe("triage against DynamoDB Local", () => {
  let local: LocalStore;
  let now: Date;
  let store: IncidentStore;

  beforeAll(async () => {
    local = await startLocalStore();
    store = local.store(() => now);
  });
  afterAll(async () => local?.stop());

  const setup = (config: TriageConfigInput = {}) => {
    now = new Date();
    return triageDeps(local, () => now, config);
  };
  const incidentsFor = async (alertNumber: number) =>
    (await store.listIncidents({ limit: 1000 })).items.filter((incident) =>
      incident.dedupKey.endsWith(`:secret_scanning:${alertNumber}`),
    );

  it("opens one incident for the same alert delivered twice and starts its playbook once", async () => {
    const { starter, deps } = setup();
    const first = await triage(delivery(101), deps);
    const second = await triage(delivery(101), deps);

    expect(first).toEqual({
      outcome: "started",
      incidentId: expect.stringMatching(/^inc_/),
      playbook: "leaked-ai-key",
    });
    expect(second).toEqual({ outcome: "not_started", incidentId: first.incidentId, reason: "duplicate" });
    expect(starter.calls).toHaveLength(1);
    expect(starter.calls[0]).toMatchObject({ playbook: "leaked-ai-key", executionName: first.incidentId });
    expect(await incidentsFor(101)).toHaveLength(1);
    expect(await store.getIncident(first.incidentId ?? "")).toMatchObject({
      status: "running",
      alertCount: 2,
      executionName: first.incidentId,
    });
    const detail = await store.getIncidentDetail(first.incidentId ?? "");
    expect(detail?.alerts).toHaveLength(2);
    expect(detail?.timeline.map((event) => event.kind).sort()).toEqual(
      ["duplicate", "playbook_started", "received", "triaged"].sort(),
    );
  });

  it("opens one incident and one execution for five concurrent deliveries", async () => {
    const { starter, deps } = setup();
    const deliveries = Array.from({ length: 5 }, () => delivery(202));
    const settled = await Promise.allSettled(deliveries.map((detail) => triage(detail, deps)));
    // A delivery that lost the race before the incident was written throws so the bus retries it: retry it.
    for (const [index, result] of settled.entries()) {
      if (result.status === "rejected") await triage(deliveries[index] as AlertReceivedDetail, deps);
    }

    const incidents = await incidentsFor(202);
    expect(incidents).toHaveLength(1);
    const incidentId = incidents[0]?.id as string;
    expect([...new Set(starter.calls.map((call) => call.executionName))]).toEqual([incidentId]);
    expect(starter.calls).toHaveLength(1);
    const detail = await store.getIncidentDetail(incidentId);
    expect(detail).toMatchObject({ alertCount: 5, executionName: incidentId });
    expect(detail?.timeline.filter((event) => event.kind === "playbook_started")).toHaveLength(1);
    expect(detail?.timeline.filter((event) => event.kind === "duplicate")).toHaveLength(4);
  });

  it("finishes a first delivery that failed after claiming the key when the bus redelivers it", async () => {
    const { starter, deps } = setup();
    const first = delivery(204);
    const failing = {
      ...deps,
      starter: { start: () => Promise.reject(new Error("StartExecution throttled")) },
    };
    await expect(triage(first, failing)).rejects.toThrow("throttled");
    const redelivered = await triage(first, deps);
    expect(redelivered).toMatchObject({ outcome: "started" });
    expect(starter.calls).toHaveLength(1);
    const detail = await store.getIncidentDetail(redelivered.incidentId ?? "");
    expect(detail).toMatchObject({ alertCount: 1, executionName: redelivered.incidentId, status: "running" });
    expect(detail?.timeline.filter((event) => event.kind === "playbook_started")).toHaveLength(1);
  });

  it("starts nothing for a non-AI secret type, and records why", async () => {
    const { starter, deps } = setup();
    const result = await triage(delivery(303, { secretType: "github_personal_access_token" }), deps);

    expect(result).toEqual({
      outcome: "not_started",
      incidentId: expect.any(String),
      reason: "out_of_scope",
    });
    expect(starter.calls).toEqual([]);
    const detail = await store.getIncidentDetail(result.incidentId ?? "");
    expect(detail).toMatchObject({ status: "no_playbook", type: "other", playbook: null });
    expect(detail?.timeline.filter((event) => event.kind === "not_started")).toEqual([
      expect.objectContaining({
        detail: {
          reason: "out_of_scope",
          rule: "default",
          because:
            "github type github_personal_access_token is not one Quell maps to an AI incident type; recorded, nothing started",
        },
      }),
    ]);
  });

  it("opens nothing for a resolve of an alert it has never seen, and keeps it as unmatched", async () => {
    const { starter, deps } = setup();
    const resolve = delivery(404, { action: "resolved", updatedAt: AT.resolved });
    const result = await triage(resolve, deps);

    expect(result).toEqual({ outcome: "not_started", reason: "resolved" });
    expect(starter.calls).toEqual([]);
    expect(await incidentsFor(404)).toEqual([]);
    const unmatched = await deps.triageStore.listUnmatched(now.toISOString().slice(0, 10), { limit: 1000 });
    expect(unmatched.items.filter((entry) => entry.alert.id === resolve.alertId)).toEqual([
      expect.objectContaining({ reason: "resolved", alert: expect.objectContaining({ status: "resolved" }) }),
    ]);
    // Its `created`, older than the resolve, arriving after it: kept, and it opens nothing.
    expect(await triage(delivery(404), deps)).toEqual({ outcome: "not_started", reason: "out_of_order" });
    expect(await incidentsFor(404)).toEqual([]);
    // The alert firing again later still opens its incident: the resolve claimed nothing.
    expect(await triage(delivery(404, { action: "reopened", updatedAt: AT.reopened }), deps)).toMatchObject({
      outcome: "started",
    });
  });

  it("opens a new incident once the dedup window has passed", async () => {
    const { starter, deps } = setup();
    const first = await triage(delivery(505), deps);
    now = new Date(now.getTime() + (WINDOW_SECONDS - 1) * 1000);
    const within = await triage(delivery(505), deps);
    now = new Date(now.getTime() + 2000);
    const after = await triage(delivery(505), deps);

    expect(within).toMatchObject({
      outcome: "not_started",
      incidentId: first.incidentId,
      reason: "duplicate",
    });
    expect(after.outcome).toBe("started");
    expect(after.incidentId).not.toBe(first.incidentId);
    expect(starter.calls.map((call) => call.executionName)).toEqual([first.incidentId, after.incidentId]);
    expect(await incidentsFor(505)).toHaveLength(2);
  });

  describe("claims remembered by a warm function", () => {
    it("counts duplicates without reading their claim once one has been read", async () => {
      const { deps } = setup();
      const first = await triage(delivery(606), deps);
      const reads = vi.spyOn(deps.triageStore, "findDedupClaim");
      const duplicates = [];
      for (let i = 0; i < 5; i++) duplicates.push(await triage(delivery(606, { action: "validated" }), deps));

      expect(duplicates.map((outcome) => outcome.incidentId)).toEqual(Array(5).fill(first.incidentId));
      expect(duplicates.every((outcome) => outcome.outcome === "not_started")).toBe(true);
      expect(reads).toHaveBeenCalledTimes(1);
      const detail = await store.getIncidentDetail(first.incidentId ?? "");
      expect(detail).toMatchObject({ alertCount: 6 });
      expect(detail?.alerts).toHaveLength(6);
    });

    it("reads the claim again when the remembered incident was resolved: the alert firing again opens a new one", async () => {
      const { deps } = setup({ routes: [{ id: "quiet", match: { sources: ["github"] }, playbook: null }] });
      const first = await triage(delivery(607), deps);
      await triage(delivery(607, { action: "validated", updatedAt: AT.validated }), deps);
      expect(await triage(delivery(607, { action: "resolved", updatedAt: AT.resolved }), deps)).toMatchObject(
        {
          incidentId: first.incidentId,
          reason: "resolved",
        },
      );
      const refired = await triage(delivery(607, { action: "reopened", updatedAt: AT.reopened }), deps);
      const again = await triage(delivery(607, { action: "validated", updatedAt: AT.validatedAgain }), deps);

      expect(refired.incidentId).not.toBe(first.incidentId);
      expect(again).toMatchObject({
        outcome: "not_started",
        incidentId: refired.incidentId,
        reason: "duplicate",
      });
      expect(await store.getIncident(first.incidentId ?? "")).toMatchObject({
        status: "resolved",
        alertCount: 3,
      });
      expect(await store.getIncident(refired.incidentId ?? "")).toMatchObject({ alertCount: 2 });
    });

    it("falls back to the claim when the remembered incident does not exist (the key moved)", async () => {
      const { deps } = setup();
      const first = await triage(delivery(608), deps);
      const dedupKey = (await store.getIncident(first.incidentId ?? ""))?.dedupKey ?? "";
      const nowSeconds = Math.floor(now.getTime() / 1000);
      deps.claimMemory?.remember(
        dedupKey,
        { incidentId: "inc_never_written", alertId: "alr_x", expiresAt: nowSeconds + 60 },
        nowSeconds,
      );

      const duplicate = await triage(delivery(608, { action: "validated" }), deps);
      expect(duplicate).toMatchObject({ incidentId: first.incidentId, reason: "duplicate" });
      expect(deps.claimMemory?.recall(dedupKey, nowSeconds)).toMatchObject({ incidentId: first.incidentId });
      expect(await store.getIncident("inc_never_written")).toBeUndefined();
      expect(await store.getIncident(first.incidentId ?? "")).toMatchObject({ alertCount: 2 });
    });
  });
});
