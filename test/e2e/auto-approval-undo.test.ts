import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { githubAlertSeed, webhookBody } from "../../infra/local/standins/scenario.js";
import { APPROVER, type Harness, startHarness } from "./harness.js";

const INACTIVE_ALERT = 43;
const OUTSIDER = "U0OUTSIDER";

/** The fixture's webhook for an alert (43 by default) whose key GitHub reports inactive. */
function inactiveKeyWebhook(number = INACTIVE_ALERT): string {
  const body = JSON.parse(webhookBody(number));
  body.alert.validity = "inactive";
  return JSON.stringify(body);
}

describe("auto policy with Undo, `/quell undo` and `/quell dry-run` (live mode, loopback stand-ins)", () => {
  let harness: Harness;
  let incidentId: string;
  let alertId: string;
  let runId: string;
  const patchesOf = (number: number) =>
    harness.standins.github.requests.filter(
      (request) => request.method === "PATCH" && request.path.endsWith(`/alerts/${number}`),
    );
  const quell = (text: string, userId?: string) => harness.quell(text, userId);
  const ephemeralFor = (userId: string, count: number) =>
    harness.standins.slack.ephemerals.filter((message) => message.user === userId).slice(count);

  beforeAll(async () => {
    harness = await startHarness({
      dryRun: false,
      alerts: [githubAlertSeed(), githubAlertSeed({ number: INACTIVE_ALERT, validity: "inactive" })],
    });
    const accepted = await harness.postGitHub(inactiveKeyWebhook());
    expect(accepted.status).toBe(202);
    alertId = accepted.body.alertId as string;
  });
  afterAll(async () => harness?.stop());

  it("closes an inactive key's alert without asking, and the card says so with Undo", async () => {
    const card = await harness.standins.slack.waitForMessage((message) =>
      (message.text ?? "").includes("without asking"),
    );
    incidentId = /incident `(inc_[a-z0-9]+)`/.exec(JSON.stringify(card.blocks))?.[1] as string;
    const incident = await harness.incident(incidentId, (view) => view.status === "resolved");
    runId = `${incidentId}.resolveInactiveKeyAlert`;
    expect(incident.approvals[0]).toMatchObject({ status: "approved", decidedBy: "quell:auto" });
    expect(incident.timeline.map((event) => event.kind)).toContain("approval_decided");
    expect(incident.timeline.map((event) => event.kind)).not.toContain("approval_requested");
    expect(patchesOf(INACTIVE_ALERT).map((request) => request.body)).toEqual([
      {
        state: "resolved",
        resolution: "revoked",
        resolution_comment: "GitHub reports the key inactive; closed by Quell (policy auto).",
      },
    ]);
    await harness.runtime.idle();
    const shown = JSON.stringify(harness.standins.slack.find(card.channel, card.ts)?.blocks);
    expect(shown).toContain("Approved by policy");
    expect(shown).toContain(`"value":"${runId}"`);
    expect(shown).toContain('"action_id":"quell.undo"');
    expect(harness.standins.github.alert("example-corp", "support-chat-service", INACTIVE_ALERT)?.state).toBe(
      "resolved",
    );
  });

  it("refuses Undo from someone who is not a responder, records it, and changes nothing", async () => {
    const before = ephemeralFor(OUTSIDER, 0).length;
    expect((await harness.click(runId, "undo", OUTSIDER)).status).toBe(200);
    await harness.runtime.idle();
    expect(ephemeralFor(OUTSIDER, before).map((message) => message.text)).toEqual([
      expect.stringContaining("not authorised to undo"),
    ]);
    const incident = await harness.incident(incidentId);
    expect(incident.timeline).toContainEqual(
      expect.objectContaining({ kind: "undo_refused", actor: OUTSIDER }),
    );
    expect(patchesOf(INACTIVE_ALERT)).toHaveLength(1);
  });

  it("undoes once on a double click: GitHub gets exactly one reopen, the card and thread say undone", async () => {
    const before = ephemeralFor(APPROVER, 0).length;
    const clicks = await Promise.all([harness.click(runId, "undo"), harness.click(runId, "undo")]);
    expect(clicks.map((click) => click.status)).toEqual([200, 200]);
    const incident = await harness.incident(incidentId, (view) =>
      view.timeline.some((event) => event.kind === "action_undone"),
    );
    await harness.runtime.idle();
    expect(patchesOf(INACTIVE_ALERT).map((request) => request.body)).toEqual([
      expect.objectContaining({ state: "resolved" }),
      { state: "open" },
    ]);
    expect(harness.standins.github.alert("example-corp", "support-chat-service", INACTIVE_ALERT)?.state).toBe(
      "open",
    );
    expect(incident.timeline.filter((event) => event.kind === "undo_requested")).toHaveLength(1);
    expect(incident.timeline).toContainEqual(
      expect.objectContaining({ kind: "action_undone", actor: APPROVER }),
    );
    const replies = ephemeralFor(APPROVER, before).map((message) => message.text);
    expect(replies).toEqual(
      expect.arrayContaining([
        expect.stringContaining("Undoing"),
        expect.stringMatching(/already|in progress/),
      ]),
    );
    const card = harness.standins.slack.messages.find((message) =>
      (message.text ?? "").includes("without asking"),
    );
    const shown = JSON.stringify(harness.standins.slack.find(card?.channel ?? "", card?.ts ?? "")?.blocks);
    expect(shown).toContain("*Undone* by <@U0APPROVER>");
    expect(shown).not.toContain("quell.undo");
    const thread = harness.standins.slack.messages.filter((message) => message.threadTs === card?.ts);
    expect(thread.map((message) => message.text)).toEqual(
      expect.arrayContaining([expect.stringContaining("undone, 1 write(s) applied")]),
    );
  });

  it("answers `/quell undo` on a run already undone, and an unknown run, without a second write", async () => {
    expect(await quell(`undo ${runId}`)).toContain("already undone");
    expect(await quell("undo inc_nosuchincident0.nothing")).toContain("No action run");
    expect(await quell("undo")).toContain("No action run");
    expect(patchesOf(INACTIVE_ALERT)).toHaveLength(2);
  });

  it("shows the alert ids and action runs in `/quell status`", async () => {
    const status = await quell(`status ${incidentId}`);
    expect(status).toContain(alertId);
    expect(status).toContain(`${runId}\` github.resolve-secret-scanning-alert undone`);
  });

  it("rehearses a playbook on a stored alert: a new incident, actions planned, nothing sent", async () => {
    expect(await quell(`dry-run leaked-ai-key ${alertId}`, OUTSIDER)).toContain("not authorised");
    expect(await quell(`dry-run no-such-playbook ${alertId}`)).toContain("No playbook");
    expect(await quell("dry-run leaked-ai-key alr_doesnotexist")).toContain("No alert");
    expect(await quell("dry-run")).toContain("Usage");

    const answer = await quell(`dry-run leaked-ai-key ${alertId}`);
    const rehearsal = /Dry run `(inc_[a-z0-9]+)`/.exec(answer)?.[1] as string;
    expect(rehearsal).toBeDefined();
    expect(rehearsal).not.toBe(incidentId);
    const incident = await harness.incident(rehearsal, (view) => view.status === "resolved");
    expect(incident.playbook).toBe("leaked-ai-key");
    expect(incident.timeline.map((event) => event.kind)).toEqual(
      expect.arrayContaining(["playbook_started", "approval_decided", "action_planned", "closed"]),
    );
    expect(patchesOf(INACTIVE_ALERT)).toHaveLength(2);
    expect(await quell(`undo ${rehearsal}.resolveInactiveKeyAlert`)).toContain("was a dry run");
    expect(await quell(`status ${rehearsal}`)).toContain(`${rehearsal}\` (dry run) *resolved*`);
    // The original incident is untouched by its rehearsal.
    const original = await harness.incident(incidentId);
    expect(original.timeline.some((event) => event.summary.includes("dry run"))).toBe(false);
  });

  it("records a failed action in the timeline and the thread, and the auto card says it did not complete", async () => {
    // GitHub does not know alert 77: reading it answers 404, which no retry changes.
    const accepted = await harness.postGitHub(inactiveKeyWebhook(77), {
      delivery: "delivery-unknown-alert-77",
    });
    expect(accepted.status).toBe(202);
    const card = await harness.standins.slack.waitForMessage(
      (message) =>
        (message.text ?? "").includes("without asking") && JSON.stringify(message.blocks).includes("/77"),
    );
    const failedId = /incident `(inc_[a-z0-9]+)`/.exec(JSON.stringify(card.blocks))?.[1] as string;
    const incident = await harness.incident(failedId, (view) => view.status === "failed");
    expect(incident.timeline).toContainEqual(
      expect.objectContaining({
        kind: "action_failed",
        summary: "github.resolve-secret-scanning-alert failed at resolveInactiveKeyAlert: ProviderError",
      }),
    );
    await harness.runtime.idle();
    const thread = harness.standins.slack.messages.filter((message) => message.threadTs === card.ts);
    expect(thread.map((message) => message.text)).toEqual(
      expect.arrayContaining([
        expect.stringContaining(":x: github.resolve-secret-scanning-alert failed at resolveInactiveKeyAlert"),
      ]),
    );
    const shown = JSON.stringify(harness.standins.slack.find(card.channel, card.ts)?.blocks);
    expect(shown).toContain("did not complete");
    expect(shown).not.toContain("quell.undo");
    expect(patchesOf(77)).toEqual([]);
  });
});
