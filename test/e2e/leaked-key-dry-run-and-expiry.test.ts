import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { githubAlertSeed } from "../../infra/local/standins/scenario.js";
import { approvalIdIn, type Harness, startHarness, webhookForAlert } from "./harness.js";

const APPROVAL_TIMEOUT_SECONDS = 3;

describe("dry run and expiry", () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({
      dryRun: true,
      approvalTimeoutSeconds: APPROVAL_TIMEOUT_SECONDS,
      alerts: [githubAlertSeed(), githubAlertSeed({ number: 44 })],
    });
  });
  afterAll(async () => harness?.stop());

  it("in dry run records every write exactly as it would be sent, and sends none", async () => {
    expect((await harness.postGitHub(webhookForAlert(42))).status).toBe(202);
    const card = await harness.standins.slack.waitForMessage(undefined, 15_000);
    expect(JSON.stringify(card.blocks)).toContain("Dry run");
    const approvalId = approvalIdIn(card.blocks);
    const incident = await harness.approveAndSettle(approvalId);
    const planned = incident.timeline.filter((event) => event.kind === "action_planned");
    expect(planned.map((event) => event.detail?.writes)).toEqual([
      [
        {
          kind: "http",
          method: "DELETE",
          url: `${harness.standins.openai.url}/v1/organization/projects/proj_support_chat/api_keys/key_support_prod`,
        },
      ],
      [
        {
          kind: "http",
          method: "PATCH",
          url: `${harness.standins.github.url}/repos/example-corp/support-chat-service/secret-scanning/alerts/42`,
          body: {
            state: "resolved",
            resolution: "revoked",
            resolution_comment: "Key revoked by Quell after approval.",
          },
        },
      ],
    ]);
    const writes = [...harness.standins.openai.requests, ...harness.standins.github.requests].filter(
      (request) => request.method !== "GET",
    );
    expect(writes).toEqual([]);
  });

  it("expires when nobody decides in time: outcome expired, not denied, and a late click changes nothing", async () => {
    const before = harness.standins.slack.messages.length;
    expect((await harness.postGitHub(webhookForAlert(44))).status).toBe(202);
    const card = await harness.standins.slack.waitForMessage(
      (message) =>
        harness.standins.slack.messages.indexOf(message) >= before && message.threadTs === undefined,
      15_000,
    );
    const approvalId = approvalIdIn(card.blocks);
    const incidentId = approvalId.split(".")[0] as string;
    const incident = await harness.incident(incidentId, (view) => view.status === "expired");
    expect(incident.approvals[0]?.status).toBe("expired");
    expect(incident.timeline.at(-1)).toMatchObject({
      kind: "closed",
      summary: expect.stringContaining("expired"),
    });

    expect((await harness.click(approvalId, "approve")).status).toBe(200);
    await harness.runtime.idle();
    const after = await harness.incident(incidentId);
    expect(after.status).toBe("expired");
    expect(after.timeline.some((event) => event.kind === "approval_decided")).toBe(false);
    expect(harness.standins.slack.ephemerals.at(-1)?.text).toContain("Already expired");
    const expiredCard = harness.standins.slack.find(card.channel, card.ts);
    expect(JSON.stringify(expiredCard?.blocks)).toContain("*Expired*");
    expect(JSON.stringify(expiredCard?.blocks)).not.toContain("quell.approve");
  });
});
