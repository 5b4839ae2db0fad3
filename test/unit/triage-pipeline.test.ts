import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { actionSessionName } from "../../functions/shared/action-session.js";
import type { CanonicalAlert } from "../../functions/shared/alert.js";
import type { TriageConfigInput } from "../../functions/triage/config.js";
import { normalize } from "../../functions/triage/core.js";
import { judgeEnumeration } from "../../functions/triage/enumeration.js";
import { triageConfig } from "../../playbooks/triage-config.js";
import { type LocalStore, startLocalStore } from "./local-store.js";
import { deliveryOf, fixture, triageDeps, triageOne } from "./triage-harness.js";

/**
 * Correlation, enrichment, scoring, routing, suppression, rate limits, resolves and Quell's own actions, on
 * DynamoDB Local. Every test gives its fixtures their own keys, users and ids, so tests never correlate.
 */

let unique = 0;
/** A fixture with every `from` string replaced by a value unique to this call (`<from>` + a counter). */
function distinct(folder: string, file: string, ...from: string[]) {
  unique++;
  let text = JSON.stringify(fixture(folder, file));
  const ids: Record<string, string> = {};
  for (const value of from) {
    ids[value] = `${value.slice(0, -4)}${String(unique).padStart(4, "0")}`;
    text = text.replaceAll(value, ids[value]);
  }
  return { payload: JSON.parse(text), ids };
}

const LEAKED_KEY = "AKIAEXAMPLEQ7N2LLMJK";
/** The fixture's access key and the IAM user that owns it, both replaced by ones made for `key`. */
const ownedBy = (text: string, key: string) =>
  text.replaceAll(LEAKED_KEY, key).replaceAll("svc-docs-indexer", `svc-${key.toLowerCase()}`);
const enumeration = (key: string) => {
  const { payload } = distinct(
    "aws/bedrock",
    "cloudtrail-listfoundationmodels-enumeration-new-ip.json",
    "3f4a5b6c7d8e",
  );
  return deliveryOf("aws.bedrock", JSON.parse(ownedBy(JSON.stringify(payload), key)));
};
const costHarvesting = (
  key: string,
  findingId = `7b1d0e9c3a5f4c28b6e1d4a7f0c9${String(++unique).padStart(4, "0")}`,
) => {
  const payload = fixture("aws/guardduty", "ai-cost-harvesting-same-leaked-key.json");
  const text = ownedBy(JSON.stringify(payload), key).replaceAll(
    "7b1d0e9c3a5f4c28b6e1d4a7f0c93e52",
    findingId,
  );
  return deliveryOf("aws.guardduty", JSON.parse(text));
};
/** Every LLMjacking alert recorded, none contained: for tests about correlation alone. */
const WATCH_LLMJACKING: TriageConfigInput = {
  routes: [{ id: "llmjacking-watch", match: { types: ["llmjacking"] }, playbook: null }],
};
const newKey = () => `AKIAEXAMPLE${String(++unique).padStart(9, "0")}`;

/** A Lakera detection from its own end user and request, for `app`. */
const lakera = (app = "support-chat") => {
  const { payload } = distinct(
    "lakera",
    "guard-flagged-prompt-attack.json",
    "usr_8c41f2",
    "req_3b7e9c21d04a",
    "c6b5a4938271",
  );
  payload.app = app;
  return deliveryOf("lakera", payload);
};

describe("triage pipeline against DynamoDB Local", () => {
  let local: LocalStore;
  const now = () => new Date();

  beforeAll(async () => {
    local = await startLocalStore();
  });
  afterAll(async () => local?.stop());

  const setup = (config: TriageConfigInput = {}, clock: () => Date = now) => triageDeps(local, clock, config);
  type Deps = ReturnType<typeof setup>["deps"];
  const detailOf = (deps: Deps, incidentId: string | undefined) =>
    deps.store.getIncidentDetail(incidentId ?? "missing");
  /** The default burst (3 enumeration calls from a new source): the first two are kept, the third is triaged. */
  const enumerationBurst = async (key: string, deps: Deps) => {
    for (let call = 1; call < 3; call++)
      expect(await triageOne(enumeration(key), deps)).toEqual({
        outcome: "not_started",
        reason: "out_of_scope",
      });
    return triageOne(enumeration(key), deps);
  };

  describe("correlation", () => {
    it("joins a GuardDuty CostHarvesting finding to the enumeration incident for the same access key", async () => {
      const { deps, starter } = setup(WATCH_LLMJACKING);
      const key = newKey();
      const precursor = await enumerationBurst(key, deps);
      const harvesting = costHarvesting(key);
      const finding = await triageOne(harvesting, deps);
      const again = await triageOne({ ...harvesting, alertId: "alr_redelivered01" }, deps);

      expect(precursor).toMatchObject({ outcome: "not_started", reason: "no_playbook" });
      expect(finding).toEqual({
        outcome: "not_started",
        incidentId: precursor.incidentId,
        reason: "correlated",
      });
      // The finding's dedup key now points at the joined incident: its update is a duplicate there.
      expect(again).toEqual({
        outcome: "not_started",
        incidentId: precursor.incidentId,
        reason: "duplicate",
      });
      expect(starter.calls).toEqual([]);
      const detail = await detailOf(deps, precursor.incidentId);
      // The burst's first two calls, kept until then, joined the incident the third opened.
      expect(detail).toMatchObject({ alertCount: 5, severity: "high" });
      expect(detail?.alerts.map((alert) => alert.source).sort()).toEqual([
        "aws.bedrock",
        "aws.bedrock",
        "aws.bedrock",
        "aws.guardduty",
        "aws.guardduty",
      ]);
      const correlated = detail?.timeline.filter((event) => event.kind === "correlated") ?? [];
      expect(correlated.filter((event) => event.detail?.reason === "kept_earlier")).toHaveLength(2);
      expect(correlated.filter((event) => event.detail?.reason === "correlated")).toEqual([
        expect.objectContaining({
          detail: expect.objectContaining({ type: "llmjacking", reason: "correlated" }),
        }),
      ]);
    });

    it("starts the playbook on the joined incident when the correlated alert calls for one", async () => {
      // The built-in routes: the enumeration precursor starts nothing; the GuardDuty finding's type
      // (llmjacking) starts contain-llmjacking by default, on the precursor's incident.
      const { deps, starter } = setup({ routes: triageConfig.routes });
      const key = newKey();
      const precursor = await enumerationBurst(key, deps);
      const finding = await triageOne(costHarvesting(key), deps);

      expect(precursor).toMatchObject({ outcome: "not_started", reason: "no_playbook" });
      expect((await detailOf(deps, precursor.incidentId))?.route).toEqual({
        playbook: null,
        rule: "enumeration-precursor-watch",
      });
      expect(finding).toEqual({
        outcome: "started",
        incidentId: precursor.incidentId,
        playbook: "contain-llmjacking",
      });
      expect(starter.calls.map((call) => call.executionName)).toEqual([precursor.incidentId]);
      expect(await deps.store.getIncident(precursor.incidentId ?? "")).toMatchObject({
        status: "running",
        executionName: precursor.incidentId,
        playbook: "contain-llmjacking",
      });
    });

    it("opens nothing for model enumeration below the burst, and keeps each call with why", async () => {
      const { deps } = setup(WATCH_LLMJACKING);
      const key = newKey();
      const single = enumeration(key);
      expect(await triageOne(single, deps)).toEqual({ outcome: "not_started", reason: "out_of_scope" });
      const kept = await deps.triageStore.listUnmatched(new Date().toISOString().slice(0, 10), {
        limit: 1000,
      });
      expect(kept.items.find((entry) => entry.alert.id === single.alertId)).toMatchObject({
        reason: "out_of_scope",
        because: expect.stringMatching(
          /new to .*svc-akiaexample.*: call 1 in this 300 s window, below the burst of 3$/,
        ),
        alert: { type: "llmjacking", details: { signal: "model_enumeration" } },
      });
    });

    it("opens one precursor incident for a burst from a new source; later calls join it", async () => {
      const { deps } = setup(WATCH_LLMJACKING);
      const key = newKey();
      const precursor = await enumerationBurst(key, deps);
      const later = await triageOne(enumeration(key), deps);

      expect(precursor).toMatchObject({ outcome: "not_started", reason: "no_playbook" });
      expect(later).toEqual({
        outcome: "not_started",
        incidentId: precursor.incidentId,
        reason: "duplicate",
      });
      // The two calls kept below the burst, the third that made it, and the one after.
      expect(await detailOf(deps, precursor.incidentId)).toMatchObject({ type: "llmjacking", alertCount: 4 });
    });

    it("takes a lone enumeration call into the incident a finding for the same key opens within the window", async () => {
      const { deps } = setup(WATCH_LLMJACKING);
      const key = newKey();
      const lone = enumeration(key);
      expect(await triageOne(lone, deps)).toEqual({ outcome: "not_started", reason: "out_of_scope" });
      const finding = await triageOne(costHarvesting(key), deps);

      const detail = await detailOf(deps, finding.incidentId);
      expect(detail).toMatchObject({ type: "llmjacking", alertCount: 2 });
      expect(detail?.alerts.map((alert) => alert.id)).toContain(lone.alertId);
      expect(detail?.timeline.find((event) => event.detail?.reason === "kept_earlier")?.summary).toContain(
        "kept because it was not an attack on its own",
      );
      // Taken once: another incident about the same key finds nothing left to take.
      expect(await deps.triageStore.takeKeptAlerts({ kind: "access_key", id: key, provider: "aws" })).toEqual(
        [],
      );
    });

    it("treats a source the principal has used for a day as its baseline, however many calls come", async () => {
      let clock = new Date();
      const { deps } = setup(WATCH_LLMJACKING, () => clock);
      const key = newKey();
      expect(await triageOne(enumeration(key), deps)).toMatchObject({ reason: "out_of_scope" });
      clock = new Date(clock.getTime() + 2 * 86400 * 1000);
      const outcomes = [];
      for (let call = 0; call < 5; call++) outcomes.push(await triageOne(enumeration(key), deps));
      expect(outcomes).toEqual(Array(5).fill({ outcome: "not_started", reason: "out_of_scope" }));
      const kept = await deps.triageStore.listUnmatched(clock.toISOString().slice(0, 10), { limit: 1000 });
      expect(kept.items.filter((entry) => entry.because?.includes("(its baseline)"))).toHaveLength(5);
    });

    it("judges only the CloudTrail adapter's enumeration alerts, whatever a webhook's details say", async () => {
      const { deps } = setup(WATCH_LLMJACKING);
      const [alert] = normalize(enumeration(newKey()));
      const baseline = vi.spyOn(deps.triageStore, "noteSourceUse");
      expect(await judgeEnumeration({ ...(alert as CanonicalAlert), source: "generic" }, deps)).toEqual({
        precursor: true,
      });
      expect(baseline).not.toHaveBeenCalled();
    });

    it("starts contain-llmjacking at once for a GuardDuty finding with no precursor", async () => {
      const { deps, starter } = setup({ routes: triageConfig.routes });
      const finding = await triageOne(costHarvesting(newKey()), deps);
      expect(finding).toMatchObject({ outcome: "started", playbook: "contain-llmjacking" });
      expect(starter.calls.map((call) => call.playbook)).toEqual(["contain-llmjacking"]);
    });

    it("keeps alerts about different keys apart, and opens a new incident once the first is over", async () => {
      const { deps } = setup(WATCH_LLMJACKING);
      const [keyA, keyB] = [newKey(), newKey()];
      const a = await enumerationBurst(keyA, deps);
      const b = await triageOne(costHarvesting(keyB), deps);
      expect(b.incidentId).not.toBe(a.incidentId);

      await deps.store.updateIncident(a.incidentId ?? "", { status: "mitigated" });
      const later = await triageOne(costHarvesting(keyA), deps);
      expect(later.incidentId).not.toBe(a.incidentId);
      expect(later).toMatchObject({ outcome: "not_started", reason: "no_playbook" });
      // The new incident now holds the key's window: another finding about the key joins it.
      expect(await triageOne(costHarvesting(keyA), deps)).toMatchObject({
        incidentId: later.incidentId,
        reason: "correlated",
      });
    });

    it("opens one incident for two alerts about the same key triaged at the same instant", async () => {
      const { deps } = setup();
      const key = newKey();
      // The first two calls of an enumeration burst are kept; the third races the finding.
      for (let call = 1; call < 3; call++) await triageOne(enumeration(key), deps);
      const deliveries = [enumeration(key), costHarvesting(key)];
      const settled = await Promise.allSettled(deliveries.map((delivery) => triageOne(delivery, deps)));
      // The later one may find the earlier claim before its incident is written: the bus retries it.
      const outcomes = [];
      for (const [index, result] of settled.entries()) {
        if (result.status === "fulfilled") outcomes.push(result.value);
        else {
          expect(String(result.reason)).toContain("is not written yet");
          outcomes.push(await triageOne(deliveries[index] as (typeof deliveries)[number], deps));
        }
      }
      expect(new Set(outcomes.map((outcome) => outcome.incidentId)).size).toBe(1);
      expect(outcomes.map((outcome) => outcome.outcome === "not_started" && outcome.reason)).toContain(
        "correlated",
      );
      // The two enumeration calls kept before the race, the third, and the finding.
      expect((await deps.store.getIncident(outcomes[0]?.incidentId ?? ""))?.alertCount).toBe(4);
    });

    it("waits for a fresh claim whose incident is not written yet, and takes over an abandoned one", async () => {
      const { deps } = setup();
      const key = newKey();
      const entity = { kind: "access_key" as const, id: key, provider: "aws" };
      const window = deps.config.correlation.windowSeconds;
      await deps.triageStore.claimEntity(entity, "inc_00000000000000000000ghost1", window);
      await expect(triageOne(costHarvesting(key), deps)).rejects.toThrow("is not written yet");

      const other = newKey();
      const minuteAgo = local.triageStore(() => new Date(Date.now() - 60_000));
      await minuteAgo.claimEntity({ ...entity, id: other }, "inc_00000000000000000000ghost2", window);
      const taken = await triageOne(costHarvesting(other), deps);
      expect(taken.incidentId).toMatch(/^inc_/);
      expect(taken.incidentId).not.toContain("ghost");
      expect(await deps.store.getIncident(taken.incidentId ?? "")).toBeDefined();
    });

    it("does not correlate on entity kinds left out of the configuration (shared IPs, models)", async () => {
      const { deps } = setup({ correlation: { entityKinds: ["end_user"] } });
      const key = newKey();
      const a = await enumerationBurst(key, deps);
      const b = await triageOne(costHarvesting(key), deps);
      expect(a.incidentId).toMatch(/^inc_/);
      expect(b.incidentId).not.toBe(a.incidentId);
    });
  });

  describe("enrichment and scoring", () => {
    const inventory: TriageConfigInput["inventory"] = [
      {
        kind: "app",
        id: "support-chat",
        ownerTeam: "support-platform",
        slackChannel: "C0SUPPORT1",
        environment: "production",
        criticality: "critical",
      },
      {
        kind: "guardrail",
        id: "policy-a2412e48-42eb-4e39-b6d8-8591171d48f2",
        name: "Lakera policy for support-chat",
        ownerTeam: "support-platform",
        environment: "production",
        criticality: "high",
      },
      {
        kind: "model",
        id: "anthropic.claude-3-5-sonnet-20240620-v1:0",
        ownerTeam: "ml-platform",
        environment: "production",
        criticality: "high",
      },
    ];

    it("records the inventory assets, owners and the reasons behind the risk score", async () => {
      const { deps } = setup({ inventory });
      const result = await triageOne(lakera(), deps);
      const incident = await deps.store.getIncident(result.incidentId ?? "");
      expect(incident?.ownerTeams?.slice().sort()).toEqual(["ml-platform", "support-platform"]);
      expect(incident?.unknownAssets).toEqual([]);
      expect(incident?.route).toEqual({
        playbook: "tighten-guardrail",
        rule: "default",
        channel: "C0SUPPORT1",
      });
      expect(incident?.risk?.reasons).toEqual([
        "severity medium: 45",
        "asset criticality critical: +15",
        "environment production: +10",
        "confidence 0.8 (source gives no confidence): ×0.9",
      ]);
      expect(incident?.risk?.score).toBe(63);
    });

    it("marks an alert about an AI asset the inventory does not know, and scores it higher", async () => {
      const { deps } = setup({ inventory });
      const result = await triageOne(lakera("shadow-ai-notebook"), deps);
      const detail = await detailOf(deps, result.incidentId);
      expect(detail?.unknownAssets).toEqual([{ kind: "app", id: "shadow-ai-notebook" }]);
      expect(detail?.risk?.reasons).toContain("not in the AI asset inventory (app shadow-ai-notebook): +10");
      const triaged = detail?.timeline.find((event) => event.kind === "triaged");
      expect(triaged?.summary).toContain("not in the AI asset inventory: app shadow-ai-notebook");
    });
  });

  describe("routing", () => {
    it("takes the first matching rule: playbook, channel and approval policy", async () => {
      const { deps, starter } = setup({
        routes: [
          { id: "never", match: { sources: ["datadog"] }, playbook: null },
          {
            id: "prod-injection",
            match: { types: ["prompt_injection"], minSeverity: "medium" },
            playbook: "leaked-ai-key",
            channel: "#ai-security",
            approvalPolicy: "two",
          },
          { id: "later", match: {}, channel: "#never-reached" },
        ],
      });
      const result = await triageOne(lakera(), deps);
      expect(result).toMatchObject({ outcome: "started", playbook: "leaked-ai-key" });
      expect(starter.calls).toHaveLength(1);
      expect((await deps.store.getIncident(result.incidentId ?? ""))?.route).toEqual({
        playbook: "leaked-ai-key",
        rule: "prod-injection",
        channel: "#ai-security",
        approvalPolicy: "two",
      });
    });

    it("records no_playbook with the rule that chose none", async () => {
      const { deps } = setup({
        routes: [{ id: "lakera-off", match: { sources: ["lakera"] }, playbook: null }],
      });
      const result = await triageOne(lakera(), deps);
      const detail = await detailOf(deps, result.incidentId);
      expect(result).toMatchObject({ reason: "no_playbook" });
      expect(detail?.timeline.find((event) => event.kind === "not_started")?.detail).toEqual({
        reason: "no_playbook",
        rule: "lakera-off",
      });
    });
  });

  describe("suppression and rate limits", () => {
    const rule = (expiresAt: string) => ({
      id: "pentest",
      kind: "snooze" as const,
      match: { sources: ["lakera"] },
      owner: "alice@example.com",
      reason: "red-team exercise on support-chat this week",
      expiresAt,
    });

    it("suppresses with the rule's owner, reason and expiry recorded", async () => {
      const expiresAt = new Date(Date.now() + 3600_000).toISOString();
      const { deps, starter } = setup({
        routes: [{ id: "all", match: {}, playbook: "leaked-ai-key" }],
        suppressions: [rule(expiresAt)],
      });
      const result = await triageOne(lakera(), deps);
      const detail = await detailOf(deps, result.incidentId);
      expect(result).toMatchObject({ outcome: "not_started", reason: "suppressed" });
      expect(starter.calls).toEqual([]);
      expect(detail?.status).toBe("suppressed");
      expect(detail?.timeline.find((event) => event.kind === "not_started")?.detail).toEqual({
        reason: "suppressed",
        rule: "pentest",
        kind: "snooze",
        owner: "alice@example.com",
        because: "red-team exercise on support-chat this week",
        expiresAt,
      });
    });

    it("ignores an expired rule", async () => {
      const { deps } = setup({
        routes: [{ id: "all", match: {}, playbook: "leaked-ai-key" }],
        suppressions: [rule(new Date(Date.now() - 1000).toISOString())],
      });
      expect(await triageOne(lakera(), deps)).toMatchObject({ outcome: "started" });
    });

    it("records rate_limited once a playbook's starts in the window are spent", async () => {
      const frozen = new Date();
      const { deps, starter } = triageDeps(local, () => frozen, {
        routes: [{ id: "all", match: {}, playbook: "leaked-ai-key" }],
        rateLimit: { startsPerPlaybook: 2, windowSeconds: 3600 },
      });
      const outcomes = [];
      for (let i = 0; i < 5; i++) outcomes.push(await triageOne(lakera(), deps));
      expect(outcomes.map((outcome) => outcome.outcome === "started" || outcome.reason)).toEqual([
        true,
        true,
        "rate_limited",
        "rate_limited",
        "rate_limited",
      ]);
      expect(starter.calls).toHaveLength(2);
      const limited = outcomes.slice(2);
      const detail = await detailOf(deps, limited[0]?.incidentId);
      expect(detail?.status).toBe("rate_limited");
      expect(detail?.timeline.find((event) => event.kind === "not_started")?.detail).toEqual({
        reason: "rate_limited",
        playbook: "leaked-ai-key",
        limit: "2 starts per 3600 s",
      });
    });
  });

  describe("resolves from the source (R5)", () => {
    /** The fixture alarm renamed `alarmName` (its own dedup key); `changedAt` moves its state change later. */
    const alarm = (state: "ALARM" | "OK", alarmName: string, changedAt?: string) => {
      const file = state === "ALARM" ? "bedrock-token-spend-alarm.json" : "bedrock-token-spend-alarm-ok.json";
      const payload = fixture("aws/cloudwatch", file);
      const text = JSON.stringify(payload).replaceAll(
        "bedrock-prod-claude35-input-tokens-5m-high",
        alarmName,
      );
      const event = JSON.parse(text);
      if (changedAt) {
        event.time = changedAt;
        event.detail.state.timestamp = changedAt;
      }
      return deliveryOf("aws.cloudwatch", event);
    };

    it("closes an incident in which nothing runs; the alarm firing again opens a new one", async () => {
      // A spend alarm starts throttle-abuser by default; here a rule starts nothing for it.
      const { deps } = setup({
        routes: [{ id: "spend-quiet", match: { sources: ["aws.cloudwatch"] }, playbook: null }],
      });
      const name = `spend-${++unique}`;
      const fired = await triageOne(alarm("ALARM", name), deps);
      const resolved = await triageOne(alarm("OK", name), deps);
      expect(resolved).toEqual({ outcome: "not_started", incidentId: fired.incidentId, reason: "resolved" });
      const detail = await detailOf(deps, fired.incidentId);
      expect(detail).toMatchObject({ status: "resolved", alertCount: 2 });
      expect(detail?.timeline.find((event) => event.kind === "source_resolved")?.detail).toMatchObject({
        closed: true,
      });
      // The first ALARM delivered again, after the OK that followed it: by CloudWatch's clock it is older.
      const late = await triageOne(alarm("ALARM", name), deps);
      expect(late).toEqual({ outcome: "not_started", incidentId: fired.incidentId, reason: "out_of_order" });
      const after = await detailOf(deps, fired.incidentId);
      expect(after).toMatchObject({ status: "resolved", alertCount: 3 });
      expect(after?.timeline.find((event) => event.kind === "out_of_order")?.summary).toMatch(
        /^firing of 2026-11-18T02:15:41\.220Z from aws\.cloudwatch arrived after a newer event of this alert \(resolved at 2026-11-18T04:25:41\.331Z\)/,
      );
      const refired = await triageOne(alarm("ALARM", name, "2026-11-18T05:00:00.000Z"), deps);
      expect(refired).toMatchObject({ outcome: "not_started", reason: "no_playbook" });
      expect(refired.incidentId).not.toBe(fired.incidentId);
    });

    it("does not let a resolve older than the alarm's latest firing close it", async () => {
      const { deps } = setup({
        routes: [{ id: "spend-quiet", match: { sources: ["aws.cloudwatch"] }, playbook: null }],
      });
      const name = `spend-${++unique}`;
      const fired = await triageOne(alarm("ALARM", name), deps);
      const firedAgain = await triageOne(alarm("ALARM", name, "2026-11-18T05:00:00.000Z"), deps);
      expect(firedAgain).toMatchObject({ incidentId: fired.incidentId, reason: "duplicate" });
      // The OK of 04:25 arrives last, but the alarm fired again at 05:00: it stays open.
      const lateOk = await triageOne(alarm("OK", name), deps);
      expect(lateOk).toEqual({
        outcome: "not_started",
        incidentId: fired.incidentId,
        reason: "out_of_order",
      });
      expect(await detailOf(deps, fired.incidentId)).toMatchObject({ status: "no_playbook", alertCount: 3 });
    });

    it("only annotates an incident whose playbook runs", async () => {
      const { deps } = setup({
        routes: [{ id: "spend", match: { sources: ["aws.cloudwatch"] }, playbook: "leaked-ai-key" }],
      });
      const name = `spend-${++unique}`;
      const fired = await triageOne(alarm("ALARM", name), deps);
      expect(fired).toMatchObject({ outcome: "started" });
      await triageOne(alarm("OK", name), deps);
      const detail = await detailOf(deps, fired.incidentId);
      expect(detail?.status).toBe("running");
      expect(detail?.timeline.find((event) => event.kind === "source_resolved")?.summary).toContain(
        "the incident stays running",
      );
    });
  });

  describe("events caused by Quell's own actions", () => {
    const tampering = (principalArn: string) => {
      const { payload } = distinct(
        "aws/bedrock",
        "cloudtrail-updateguardrail-unexpected-principal.json",
        "4e3d2c1b0a9f",
      );
      payload.detail.userIdentity = {
        type: "AssumedRole",
        principalId: "AROAEXAMPLEQUELL:session",
        arn: principalArn,
        accountId: "111122223333",
      };
      return deliveryOf("aws.bedrock", payload);
    };

    it("links Quell's own UpdateGuardrail to the incident it served instead of opening one", async () => {
      const { deps, starter } = setup();
      const served = await triageOne(lakera(), deps);
      const started = starter.calls.length;
      const session = actionSessionName(served.incidentId ?? "");
      const arn = `arn:aws:sts::111122223333:assumed-role/quell-action-bedrock-guardrail/${session}`;
      const result = await triageOne(tampering(arn), deps);

      expect(result).toEqual({ outcome: "not_started", incidentId: served.incidentId, reason: "own_action" });
      expect(starter.calls).toHaveLength(started);
      const detail = await detailOf(deps, served.incidentId);
      expect(detail?.alertCount).toBe(2);
      expect(detail?.timeline.filter((event) => event.kind === "own_action")).toHaveLength(1);
    });

    it("triages a look-alike session on a role that is not Quell's as the attack it may be", async () => {
      const { deps } = setup();
      const served = await triageOne(lakera(), deps);
      const session = actionSessionName(served.incidentId ?? "");
      const forged = await triageOne(
        tampering(`arn:aws:sts::111122223333:assumed-role/contractor/${session}`),
        deps,
      );
      expect(forged.incidentId).not.toBe(served.incidentId);
      expect((await deps.store.getIncident(forged.incidentId ?? ""))?.type).toBe("guardrail_tampering");
    });
  });
});

describe("what a delivery to triage carries", () => {
  const payload = () => fixture("github", "secret-scanning-alert-created-openai-key.json");

  it("takes a webhook's alerts as ingest normalised them", () => {
    const [alert] = normalize(deliveryOf("github", payload()));
    expect(alert).toMatchObject({ source: "github", type: "leaked_api_key" });
  });

  it("refuses a webhook's payload without its alerts, naming the source (triage carries no webhook adapter)", () => {
    const raw = { alertId: "alr_rawwebhook01", source: "github", receivedAt: "2026-11-24T23:59:00.000Z" };
    expect(() => normalize({ ...raw, payload: payload() })).toThrow(
      /no alerts and no AWS event source "github": a webhook's delivery carries the alerts ingest normalised/,
    );
  });
});
