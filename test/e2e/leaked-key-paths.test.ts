import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { githubAlertSeed } from "../../infra/local/standins/scenario.js";
import { APPROVER, approvalIdIn, type Harness, startHarness, webhookForAlert } from "./harness.js";

describe("leaked OpenAI key: deny, duplicates, unauthorised clicks and the ambiguous key", () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({
      dryRun: false,
      alerts: [
        githubAlertSeed(),
        githubAlertSeed({ number: 43, secret: "sk-proj-NOMATCHfakeFAKEfake33333333333333333333333unknown" }),
      ],
    });
  });
  afterAll(async () => harness?.stop());

  it("one incident and one card for a delivery repeated three times; a deny ends it denied and changes nothing", async () => {
    const body = webhookForAlert(42);
    const responses = await Promise.all([1, 2, 3].map(() => harness.postGitHub(body)));
    // The same bytes and signature: one is accepted, the others are answered as its duplicates.
    expect(responses.map((response) => response.status).sort()).toEqual([200, 200, 202]);
    const accepted = responses.find((response) => response.status === 202)?.body.alertId;
    for (const duplicate of responses.filter((response) => response.status === 200))
      expect(duplicate.body).toEqual({ alertId: accepted, status: "duplicate" });
    await harness.runtime.bus.idle();

    const card = await harness.standins.slack.waitForMessage(undefined, 15_000);
    const approvalId = approvalIdIn(card.blocks);
    const incidentId = approvalId.split(".")[0] as string;
    const incidents = (await (await harness.read("/incidents?limit=200")).json()) as {
      incidents: unknown[];
    };
    expect(incidents.incidents).toHaveLength(1);

    const intruder = await harness.click(approvalId, "approve", "U0INTRUDER");
    expect(intruder.status).toBe(200);
    const ephemeral = harness.standins.slack.ephemerals.at(-1);
    expect(ephemeral).toMatchObject({ user: "U0INTRUDER" });
    expect(ephemeral?.text).toContain("not authorised");

    // Deny asks why: the click opens the reason modal and decides nothing yet.
    expect((await harness.click(approvalId, "deny")).status).toBe(200);
    expect(harness.standins.slack.views.at(-1)?.view).toMatchObject({
      callback_id: "quell.deny_reason",
      private_metadata: approvalId,
    });
    expect((await harness.incident(incidentId)).approvals[0]?.status).toBe("pending");
    const tooShort = await harness.submitDenyReason(approvalId, "no");
    expect(await tooShort.json()).toMatchObject({ response_action: "errors" });

    expect((await harness.submitDenyReason(approvalId, "Key is a honeypot <!channel>")).status).toBe(200);
    const incident = await harness.incident(incidentId, (view) => view.status === "denied");
    // The repeats were answered at the door as duplicates of the first: counted once.
    expect(incident.alertCount).toBe(1);
    expect(incident.approvals[0]).toMatchObject({
      status: "denied",
      decidedBy: APPROVER,
      reason: "Key is a honeypot <!channel>",
    });
    const kinds = incident.timeline.map((event) => event.kind);
    expect(kinds.filter((kind) => kind === "duplicate")).toHaveLength(0);
    expect(kinds).toContain("approval_refused");
    expect(kinds.at(-1)).toBe("closed");

    // A second click after the decision settles nothing and changes nothing.
    expect((await harness.click(approvalId, "approve")).status).toBe(200);
    await harness.runtime.idle();
    expect((await harness.incident(incidentId)).status).toBe("denied");

    await harness.runtime.idle();
    const cards = harness.standins.slack.messages.filter((message) => message.threadTs === undefined);
    expect(cards).toHaveLength(1);
    const decided = cards[0];
    const thread = harness.standins.slack.messages.filter((message) => message.threadTs === decided?.ts);
    // The read-only locate step ran before the card: the notifier threads its line only when it handles that
    // event after the card opened the thread (it does under load), so it may or may not be there.
    const beforeCard = /openai\.find-leaked-key: done, nothing to write/;
    expect(thread.map((message) => message.text).filter((text) => !beforeCard.test(text ?? ""))).toEqual([
      expect.stringContaining("denied: Revoke the leaked OpenAI key: denied"),
    ]);
    expect(JSON.stringify(decided?.blocks)).not.toContain("quell.approve");
    expect(JSON.stringify(decided?.blocks)).toContain(`Denied* by <@${APPROVER}>`);
    expect(JSON.stringify(decided?.blocks)).toContain("reason: Key is a honeypot &lt;!channel&gt;");
    expect(harness.standins.openai.requests.filter((request) => request.method === "DELETE")).toHaveLength(0);
    expect(harness.standins.github.requests.filter((request) => request.method === "PATCH")).toHaveLength(0);
  });

  it("does not guess when no OpenAI key matches: the card says so and approving only resolves the GitHub alert", async () => {
    const before = harness.standins.slack.messages.length;
    expect((await harness.postGitHub(webhookForAlert(43))).status).toBe(202);
    const card = await harness.standins.slack.waitForMessage(
      (message) =>
        harness.standins.slack.messages.indexOf(message) >= before && message.threadTs === undefined,
      15_000,
    );
    const text = JSON.stringify(card.blocks);
    expect(text).toContain("No single OpenAI key matches");
    expect(text).toContain("*Matches*\\n0");
    const approvalId = approvalIdIn(card.blocks);
    expect(approvalId).toMatch(/\.confirmManualRevoke$/);

    const incident = await harness.approveAndSettle(approvalId);
    expect(incident.timeline.at(-1)?.summary).toContain("revoked by hand");
    expect(harness.standins.openai.requests.filter((request) => request.method === "DELETE")).toHaveLength(0);
    const patches = harness.standins.github.requests.filter((request) => request.method === "PATCH");
    expect(patches).toHaveLength(1);
    expect(patches[0]?.path).toBe("/repos/example-corp/support-chat-service/secret-scanning/alerts/43");
  });
});
