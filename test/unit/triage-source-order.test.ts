import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AlertReceivedDetail, normalize } from "../../functions/triage/core.js";
import { type LocalStore, startLocalStore } from "./local-store.js";
import { deliveryOf, fixture, triageDeps, triageOne } from "./triage-harness.js";

/**
 * Issue 11 item 14: events of one alert are ordered by the source's own clock, not by arrival. GitHub reopens an
 * alert with `reopened`; a `created` that arrives after the alert was resolved is a redelivery, and annotates.
 */

const CREATED_AT = "2026-11-20T09:14:27Z";
const RESOLVED_AT = "2026-11-20T10:02:48Z";
const REOPENED_AT = "2026-11-20T11:00:00Z";

/** A GitHub secret scanning delivery of alert `number`: `action` at `updatedAt` by GitHub's clock. */
function github(number: number, action: string, updatedAt: string): AlertReceivedDetail {
  const payload = fixture("github", "secret-scanning-alert-created-openai-key.json");
  payload.alert.number = number;
  payload.action = action;
  payload.alert.updated_at = updatedAt;
  return deliveryOf("github", payload);
}

describe("a GitHub `created` delivered after its alert was resolved (DynamoDB Local)", () => {
  let local: LocalStore;
  beforeAll(async () => {
    local = await startLocalStore();
  });
  afterAll(async () => local?.stop());

  let number = 9100;
  const incidentsOf = async (deps: ReturnType<typeof triageDeps>["deps"], alert: number) =>
    (await deps.store.listIncidents({ limit: 200 })).items.filter((incident) =>
      incident.dedupKey.endsWith(`:secret_scanning:${alert}`),
    );

  it("annotates the resolved incident and opens none; `reopened` later opens a new one", async () => {
    const { deps, starter } = triageDeps(local, () => new Date(), {
      routes: [{ id: "quiet", match: { sources: ["github"] }, playbook: null }],
    });
    const alert = ++number;
    const opened = await triageOne(github(alert, "created", CREATED_AT), deps);
    expect(await triageOne(github(alert, "resolved", RESOLVED_AT), deps)).toMatchObject({
      incidentId: opened.incidentId,
      reason: "resolved",
    });

    const late = github(alert, "created", CREATED_AT);
    expect(await triageOne(late, deps)).toEqual({
      outcome: "not_started",
      incidentId: opened.incidentId,
      reason: "out_of_order",
    });
    expect(await incidentsOf(deps, alert)).toHaveLength(1);
    const detail = await deps.store.getIncidentDetail(opened.incidentId ?? "missing");
    expect(detail).toMatchObject({ status: "resolved", alertCount: 3 });
    expect(detail?.alerts.map((kept) => kept.id)).toContain(late.alertId);
    expect(detail?.timeline.filter((event) => event.kind === "out_of_order")).toEqual([
      expect.objectContaining({
        summary: `firing of ${CREATED_AT} from github arrived after a newer event of this alert (resolved at 2026-11-20T10:02:48.000Z); kept, and it changes nothing`,
        detail: {
          alertId: late.alertId,
          status: "firing",
          occurredAt: CREATED_AT,
          newest: { status: "resolved", at: "2026-11-20T10:02:48.000Z" },
        },
      }),
    ]);

    const reopened = await triageOne(github(alert, "reopened", REOPENED_AT), deps);
    expect(reopened.incidentId).not.toBe(opened.incidentId);
    expect(await incidentsOf(deps, alert)).toHaveLength(2);
    expect(starter.calls).toEqual([]);
  });

  it("finishes the first attempt of the alert that made the claim, when a resolve arrived while it was cut short", async () => {
    const { deps, starter } = triageDeps(local, () => new Date(), {
      routes: [{ id: "quiet", match: { sources: ["github"] }, playbook: null }],
    });
    const alert = ++number;
    const created = github(alert, "created", CREATED_AT);
    const [canonical] = normalize(created);
    // The first attempt claimed the dedup key, then the process died (kill -9) before the incident was written.
    const claim = await deps.triageStore.claimDedupKey(
      canonical?.dedupKey ?? "",
      { incidentId: deps.newId("inc"), alertId: canonical?.id ?? "" },
      deps.dedupWindowSeconds,
    );
    expect(claim.alertId).toBe(canonical?.id);
    // The resolve arrives meanwhile: its order is recorded, and it waits (the bus retries) for the incident.
    const resolved = github(alert, "resolved", RESOLVED_AT);
    await expect(triageOne(resolved, deps)).rejects.toThrow("not written yet");
    // The redelivery of the claiming alert is not "out of order": it finishes opening the incident.
    const redelivered = await triageOne(created, deps);
    expect(redelivered).toMatchObject({ incidentId: claim.incidentId });
    expect("reason" in redelivered ? redelivered.reason : undefined).not.toBe("out_of_order");
    // The resolve's retry then resolves it: nothing is left `running` with nothing running.
    expect(await triageOne(resolved, deps)).toMatchObject({
      incidentId: claim.incidentId,
      reason: "resolved",
    });
    const detail = await deps.store.getIncidentDetail(claim.incidentId);
    expect(detail?.status).toBe("resolved");
    expect(detail?.timeline.map((event) => event.kind)).not.toContain("out_of_order");
    expect(starter.calls).toEqual([]);
  });

  it("annotates, and starts nothing twice, when the playbook still runs", async () => {
    const { deps, starter } = triageDeps(local, () => new Date());
    const alert = ++number;
    const opened = await triageOne(github(alert, "created", CREATED_AT), deps);
    expect(opened).toMatchObject({ outcome: "started", playbook: "leaked-ai-key" });
    await triageOne(github(alert, "resolved", RESOLVED_AT), deps);
    expect(await triageOne(github(alert, "created", CREATED_AT), deps)).toEqual({
      outcome: "not_started",
      incidentId: opened.incidentId,
      reason: "out_of_order",
    });
    expect(starter.calls).toHaveLength(1);
    expect(await deps.store.getIncident(opened.incidentId ?? "missing")).toMatchObject({
      status: "running",
      alertCount: 3,
    });
  });

  it("keeps a resolve that arrives after the alert was reopened, and leaves the new incident open", async () => {
    const { deps } = triageDeps(local, () => new Date(), {
      routes: [{ id: "quiet", match: { sources: ["github"] }, playbook: null }],
    });
    const alert = ++number;
    const opened = await triageOne(github(alert, "created", CREATED_AT), deps);
    await triageOne(github(alert, "resolved", RESOLVED_AT), deps);
    const reopened = await triageOne(github(alert, "reopened", REOPENED_AT), deps);
    // The first resolve, delivered again after the reopen: older than it, so the reopened incident stays open.
    expect(await triageOne(github(alert, "resolved", RESOLVED_AT), deps)).toEqual({
      outcome: "not_started",
      incidentId: reopened.incidentId,
      reason: "out_of_order",
    });
    expect(await deps.store.getIncident(reopened.incidentId ?? "missing")).toMatchObject({
      status: "no_playbook",
    });
    expect(await deps.store.getIncident(opened.incidentId ?? "missing")).toMatchObject({
      status: "resolved",
    });
  });
});
