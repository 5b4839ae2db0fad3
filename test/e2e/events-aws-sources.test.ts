import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../../functions/shared/hash.js";
import { fixtureText } from "../fixtures/aws/support.js";
import { awsSample, postEvents } from "./aws-events.js";
import { type Harness, type IncidentView, SECRETS, startHarness } from "./harness.js";
import { keptRefusals } from "./rejections.js";

const sample = awsSample;

const ANOMALOUS = "guardduty/ai-anomalous-model-invocation-iamuser-key.json";
const COST = "guardduty/ai-cost-harvesting-same-leaked-key.json";
const PROMPT = "guardduty/ai-prompt-injection-direct-guardrail-intervened.json";
const PORT_PROBE = "guardduty/non-ai-recon-ec2-portprobe-unprotected-port.json";
const ALARM = "cloudwatch/bedrock-token-spend-alarm.json";
const ALARM_OK = "cloudwatch/bedrock-token-spend-alarm-ok.json";

interface IncidentSummary {
  id: string;
  dedupKey: string;
  status: string;
  type: string;
  severity: string;
  alertCount: number;
}

interface Refusal {
  error: { code: string; message: string; issues?: { path: string; message: string }[] };
}

describe("POST /events: AWS sources end to end (dry run)", () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({ dryRun: true });
  });
  afterAll(async () => harness?.stop());

  const post = (body: string, token = SECRETS.events) => postEvents(harness, body, token);
  const incidents = async (): Promise<IncidentSummary[]> =>
    ((await (await harness.read("/incidents?limit=200")).json()) as { incidents: IncidentSummary[] })
      .incidents;
  /** The incident that holds a dedup key, once triage has settled it. */
  const incidentFor = async (
    dedupKey: string,
    // Triage writes the status, then the timeline: wait for the timeline's last word.
    done: (view: IncidentView) => boolean = (view) =>
      view.timeline.some((event) => event.kind === "not_started"),
  ): Promise<IncidentView> => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const found = (await incidents()).find((incident) => incident.dedupKey === dedupKey);
      if (found) return harness.incident(found.id, done);
      if (Date.now() > deadline) throw new Error(`no incident for ${dedupKey}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
  const notStarted = (view: IncidentView) => view.timeline.find((event) => event.kind === "not_started");
  // A finding that starts a playbook waits for an approval: its incident is settled once the playbook started
  // (triage writes the status, then the timeline).
  const started = (view: IncidentView) => view.timeline.some((event) => event.kind === "playbook_started");

  it("a single envelope: 202 with its alert id", async () => {
    const response = await post(JSON.stringify(sample(ANOMALOUS)));
    expect(response.status).toBe(202);
    expect(response.body).toEqual({ alertIds: [expect.stringMatching(/^alr_/)], status: "accepted" });
  });

  it("AnomalousModelInvocation then CostHarvesting for the same key: one correlated llmjacking incident", async () => {
    // The first finding starts contain-llmjacking, which waits for an approval.
    // The first finding's incident exists before the second arrives (alerts triaged at the same instant may
    // each open one: correlation reads, then claims).
    await incidentFor("guardduty:e2c9b8a1f4d3476e9a0b1c2d3e4f5a6b", started);
    expect((await post(JSON.stringify(sample(COST)))).status).toBe(202);
    const incident = await incidentFor("guardduty:e2c9b8a1f4d3476e9a0b1c2d3e4f5a6b", (view) =>
      view.timeline.some((event) => event.kind === "correlated"),
    );
    expect(incident).toMatchObject({ playbook: "contain-llmjacking", alertCount: 2 });
    expect(["running", "awaiting_approval"]).toContain(incident.status);
    expect(notStarted(incident)).toBeUndefined();
    // One run for the incident: the correlated finding starts no second one.
    expect(incident.timeline.filter((event) => event.kind === "playbook_started")).toHaveLength(1);
    expect(incident.timeline.find((event) => event.kind === "triaged")?.summary).toMatch(
      /^llmjacking, severity high, risk \d+/,
    );
    expect(incident.timeline.find((event) => event.kind === "correlated")?.detail).toMatchObject({
      dedupKey: "guardduty:7b1d0e9c3a5f4c28b6e1d4a7f0c93e52",
      reason: "correlated",
    });
    // The finding opened no incident of its own.
    expect((await incidents()).filter((view) => view.type === "llmjacking")).toHaveLength(1);

    // End the run with a decision (Deny: nothing is contained), so that runtime.idle() below returns.
    const card = await harness.standins.slack.waitForMessage(
      (message) => JSON.stringify(message.blocks).includes(`${incident.id}.approveDeactivation`),
      15_000,
    );
    expect(JSON.stringify(card.blocks)).toContain("Dry run");
    const approvalId = `${incident.id}.approveDeactivation`;
    expect((await harness.click(approvalId, "deny")).status).toBe(200);
    expect((await harness.submitDenyReason(approvalId, "Expected load test from the docs team")).status).toBe(
      200,
    );
    await harness.incident(incident.id, (view) => view.status === "denied");
    expect(harness.standins.iam.requests).toEqual([]);
  });

  it("an array: 202 with one alert id each; the prompt injection starts tighten-guardrail, the non-AI port probe is out of scope", async () => {
    const response = await post(JSON.stringify([sample(PROMPT), sample(PORT_PROBE)]));
    expect(response.status).toBe(202);
    expect(response.body.alertIds).toEqual([expect.stringMatching(/^alr_/), expect.stringMatching(/^alr_/)]);

    const probe = await incidentFor("guardduty:0d1c2b3a49584766a5b4c3d2e1f00f1e");
    expect(probe).toMatchObject({ status: "no_playbook", playbook: null });
    expect(notStarted(probe)).toMatchObject({
      summary: "no playbook started: out_of_scope",
      detail: { reason: "out_of_scope", rule: "default" },
    });
    const prompt = await incidentFor("guardduty:3f6e1a0b9c8d47e2a5b4c3d2e1f0a9b8", started);
    expect(prompt).toMatchObject({ playbook: "tighten-guardrail" });
    expect(notStarted(prompt)).toBeUndefined();
  });

  it("the same finding re-published (same id, higher count) joins its incident: alertCount 2", async () => {
    const republished = sample(PROMPT, (event) => {
      event.id = "6e0c1f28-4d3b-4c9f-9072-1b8d5f3e0c66";
      const detail = event.detail as { service: { count: number }; updatedAt: string };
      detail.service.count = 29;
      detail.updatedAt = "2026-11-19T14:37:21.640Z";
    });
    expect((await post(JSON.stringify(republished))).status).toBe(202);
    const incident = await incidentFor("guardduty:3f6e1a0b9c8d47e2a5b4c3d2e1f0a9b8", (view) =>
      view.timeline.some((event) => event.kind === "duplicate"),
    );
    expect(incident.alertCount).toBe(2);
    // The update joins the run the finding started; it starts no second one.
    expect(incident.timeline.filter((event) => event.kind === "playbook_started")).toHaveLength(1);
    expect(incident.timeline.filter((event) => event.kind === "duplicate")).toEqual([
      expect.objectContaining({ detail: expect.objectContaining({ status: "update", reason: "duplicate" }) }),
    ]);
    expect(
      (await incidents()).filter((view) => view.dedupKey.endsWith("3f6e1a0b9c8d47e2a5b4c3d2e1f0a9b8")),
    ).toHaveLength(1);

    // End the run with a decision (Deny: the guardrail stays as it is), so that runtime.idle() returns.
    const approvalId = `${incident.id}.approveGuardDutyTightening`;
    await harness.standins.slack.waitForMessage(
      (message) => JSON.stringify(message.blocks ?? []).includes(approvalId),
      15_000,
    );
    expect((await harness.click(approvalId, "deny")).status).toBe(200);
    expect((await harness.submitDenyReason(approvalId, "Red-team exercise on support-chat")).status).toBe(
      200,
    );
    await harness.incident(incident.id, (view) => view.status === "denied");
    expect(harness.standins.bedrock.requests).toEqual([]);
  });

  it("CloudWatch token-spend ALARM then OK: nobody the gateway actions can act on, so a review-by-hand card says why; the OK only annotates", async () => {
    const key =
      "cloudwatch:arn:aws:cloudwatch:us-east-1:111122223333:alarm:bedrock-prod-claude35-input-tokens-5m-high";
    expect((await post(JSON.stringify(sample(ALARM)))).status).toBe(202);
    const opened = await incidentFor(key, started);
    expect(opened).toMatchObject({ playbook: "throttle-abuser", alertCount: 1 });
    expect(opened.timeline.find((event) => event.kind === "triaged")?.summary).toMatch(
      /^token_spend_anomaly, severity medium, risk \d+/,
    );
    // The alarm names an account and a model, no end user or gateway key: nothing automatic applies, and the
    // card asking a human says so.
    const approvalId = `${opened.id}.reviewByHand`;
    const card = await harness.standins.slack.waitForMessage(
      (message) => JSON.stringify(message.blocks ?? []).includes(approvalId),
      15_000,
    );
    expect(JSON.stringify(card.blocks)).toContain("Nothing automatic applies");

    expect((await post(JSON.stringify(sample(ALARM_OK)))).status).toBe(202);
    const annotated = await incidentFor(key, (view) =>
      view.timeline.some((event) => event.kind === "source_resolved"),
    );
    expect(annotated).toMatchObject({ id: opened.id, alertCount: 2 });
    expect(annotated.status).not.toBe("resolved");
    expect(annotated.timeline.find((event) => event.kind === "source_resolved")).toMatchObject({
      detail: expect.objectContaining({ closed: false }),
    });
    expect((await incidents()).filter((incident) => incident.dedupKey === key)).toHaveLength(1);

    // End the run with a decision, so that runtime.idle() returns; the gateway was never called.
    expect((await harness.click(approvalId, "deny")).status).toBe(200);
    expect((await harness.submitDenyReason(approvalId, "Batch re-indexing job, expected")).status).toBe(200);
    await harness.incident(opened.id, (view) => view.status === "denied");
    expect(harness.standins.litellm.requests).toEqual([]);
  });

  it("an OK for an alarm with no open case opens nothing and is kept in GET /unmatched", async () => {
    const before = (await incidents()).length;
    const stray = JSON.parse(
      JSON.stringify(sample(ALARM_OK)).replaceAll(
        "bedrock-prod-claude35-input-tokens-5m-high",
        "never-fired",
      ),
    );
    const response = await post(JSON.stringify(stray));
    expect(response.status).toBe(202);
    const alertId = (response.body.alertIds as string[])[0];
    await harness.runtime.idle();
    expect((await incidents()).length).toBe(before);
    const day = new Date().toISOString().slice(0, 10);
    const kept = (await (await harness.read(`/unmatched?day=${day}&limit=200`)).json()) as {
      unmatched: { reason: string; alert: { id: string; status: string; dedupKey: string } }[];
    };
    expect(kept.unmatched.find((entry) => entry.alert.id === alertId)).toMatchObject({
      reason: "resolved",
      alert: { status: "resolved", dedupKey: expect.stringContaining("never-fired") },
    });
  });

  it("model enumeration: a lone call is kept in GET /unmatched; a burst from a new source opens one precursor incident", async () => {
    const ENUMERATION = "bedrock/cloudtrail-listfoundationmodels-enumeration-new-ip.json";
    /** Call `n` by a principal no other test uses (its key would correlate with their findings). */
    const call = (n: number) =>
      sample(ENUMERATION, (event) => {
        const text = JSON.stringify(event)
          .replaceAll("svc-docs-indexer", "svc-e2e-enumerator")
          .replaceAll("AKIAEXAMPLEQ7N2LLMJK", "AKIAEXAMPLEENUMERATE")
          .replaceAll("3f4a5b6c7d8e", `00000000e2e${n}`);
        Object.assign(event, JSON.parse(text), { id: `0e2e0000-0000-4000-8000-00000000000${n}` });
      });
    const dedupKey =
      "bedrock-enumeration:111122223333:arn:aws:iam::111122223333:user/svc-e2e-enumerator:203.0.113.45";
    const before = (await incidents()).length;

    const lone = await post(JSON.stringify(call(1)));
    expect(lone.status).toBe(202);
    await harness.runtime.idle();
    expect((await incidents()).length).toBe(before);
    const day = new Date().toISOString().slice(0, 10);
    const kept = (await (await harness.read(`/unmatched?day=${day}&limit=200`)).json()) as {
      unmatched: { reason: string; because?: string; alert: { id: string; dedupKey: string } }[];
    };
    expect(
      kept.unmatched.find((entry) => entry.alert.id === (lone.body.alertIds as string[])[0]),
    ).toMatchObject({
      reason: "out_of_scope",
      because: expect.stringContaining("call 1 in this 300 s window, below the burst of 3"),
      alert: { dedupKey },
    });

    expect((await post(JSON.stringify([call(2), call(3)]))).status).toBe(202);
    const precursor = await incidentFor(dedupKey);
    await harness.runtime.idle();
    expect((await incidents()).filter((incident) => incident.dedupKey === dedupKey)).toHaveLength(1);
    expect(precursor).toMatchObject({ type: "llmjacking", severity: "medium", status: "no_playbook" });
    expect(notStarted(precursor)?.detail).toMatchObject({ rule: "enumeration-precursor-watch" });
  });

  describe("refusals: clear, kept, and opening nothing", () => {
    const refused: { status: number; body: string }[] = [];
    let before: number;
    beforeAll(async () => {
      await harness.runtime.idle();
      before = (await incidents()).length;
    });

    const refuse = async (body: string, token?: string) => {
      const response = await post(body, token);
      refused.push({ status: response.status, body });
      return { status: response.status, error: (response.body as unknown as Refusal).error };
    };

    it("a wrong token: 401", async () => {
      const response = await refuse(JSON.stringify(sample(ANOMALOUS)), "not-the-token");
      expect(response.status).toBe(401);
      expect(response.error.code).toBe("bad_signature");
    });

    it("an unknown source: 422 naming it and listing the known ones", async () => {
      const response = await refuse(fixtureText("bad/eventbridge--unknown-source-aws-quantumledger.json"));
      expect(response.status).toBe(422);
      expect(response.error.issues).toEqual([
        {
          path: "[0].source",
          message:
            'unknown EventBridge source "aws.quantumledger"; known: aws.bedrock, aws.cloudwatch, aws.guardduty, aws.sagemaker, aws.securityhub',
        },
      ]);
    });

    it("a detail-type its source does not send: 422", async () => {
      const response = await refuse(fixtureText("bad/eventbridge--detail-type-source-mismatch.json"));
      expect(response.status).toBe(422);
      expect(response.error.issues?.[0]).toMatchObject({
        path: "[0].detail-type",
        message: expect.stringContaining('not "GuardDuty Finding"'),
      });
    });

    it("an envelope without detail: 422", async () => {
      const response = await refuse(fixtureText("bad/eventbridge--missing-detail.json"));
      expect(response.status).toBe(422);
      expect(response.error.issues?.map((issue) => issue.path)).toEqual(["[0].detail"]);
    });

    it("wrong field types in a finding: 422 naming them", async () => {
      const response = await refuse(
        fixtureText("bad/aws.guardduty--severity-count-archived-as-strings.json"),
      );
      expect(response.status).toBe(422);
      expect(response.error.issues?.map((issue) => issue.path).sort()).toEqual([
        "[0].detail.service.archived",
        "[0].detail.service.count",
        "[0].detail.severity",
      ]);
    });

    it("truncated JSON: 400", async () => {
      const response = await refuse(fixtureText("bad/aws.guardduty--truncated-json.json"));
      expect(response.status).toBe(400);
      expect(response.error.code).toBe("invalid_json");
    });

    it("every refusal is in GET /rejections, and none opened an incident", async () => {
      await harness.runtime.idle();
      expect((await incidents()).length).toBe(before);
      const day = new Date().toISOString().slice(0, 10);
      const kept = await keptRefusals(harness.read, [day], refused.length);
      for (const refusal of refused) {
        expect(kept).toContainEqual(
          expect.objectContaining({
            source: "events",
            status: refusal.status,
            bodySha256: sha256Hex(refusal.body),
          }),
        );
      }
      expect(refused.map((refusal) => refusal.status)).toEqual([401, 422, 422, 422, 422, 400]);
    });
  });

  it("refuses a 2099 alarm at the door (422 naming the time) and opens nothing", async () => {
    await harness.runtime.idle();
    const before = await incidents();
    const response = await post(fixtureText("bad/aws.cloudwatch--time-far-future-2099.json"));
    expect(response.status).toBe(422);
    expect(JSON.stringify(response.body)).toContain("more than 1 day after the receipt time");
    await harness.runtime.idle();
    expect(await incidents()).toEqual(before);
    expect(harness.runtime.bus.deadLetters).toEqual([]);
  });
});
