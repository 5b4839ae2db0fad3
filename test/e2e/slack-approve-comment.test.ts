import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webhookBody } from "../../infra/local/standins/scenario.js";
import { APPROVER, approvalIdIn, type Harness, startHarness } from "./harness.js";

const COMMENT = "Rotated upstream too <!channel> & <https://evil.example|here>";
const ESCAPED = "Rotated upstream too &lt;!channel&gt; &amp; &lt;https://evil.example|here&gt;";

describe("Approve with comment (policy one), through the signed modal submission", () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({ dryRun: false });
  });
  afterAll(async () => harness?.stop());

  it("opens the comment modal, refuses an empty comment, then approves and records the comment", async () => {
    expect((await harness.postGitHub(webhookBody())).status).toBe(202);
    const card = await harness.standins.slack.waitForMessage(undefined, 15_000);
    expect(JSON.stringify(card.blocks)).toContain('"action_id":"quell.approve_comment"');
    const approvalId = approvalIdIn(card.blocks);
    const incidentId = approvalId.split(".")[0] as string;

    // The button opens the modal and decides nothing yet; someone who may not decide gets no modal.
    expect((await harness.click(approvalId, "approve_comment", "U0INTRUDER")).status).toBe(200);
    expect(harness.standins.slack.views).toHaveLength(0);
    expect(harness.standins.slack.ephemerals.at(-1)?.text).toContain("not authorised");
    expect((await harness.click(approvalId, "approve_comment")).status).toBe(200);
    expect(harness.standins.slack.views.at(-1)?.view).toMatchObject({
      callback_id: "quell.approve_comment",
      private_metadata: approvalId,
      title: { text: "Approve with comment" },
    });
    expect((await harness.incident(incidentId)).approvals[0]?.status).toBe("pending");

    const empty = await harness.submitApproveComment(approvalId, "   ");
    expect(await empty.json()).toMatchObject({
      response_action: "errors",
      errors: { comment: expect.any(String) },
    });
    const tooLong = await harness.submitApproveComment(approvalId, "x".repeat(501));
    expect(await tooLong.json()).toMatchObject({ response_action: "errors" });
    expect((await harness.incident(incidentId)).approvals[0]?.status).toBe("pending");

    expect((await harness.submitApproveComment(approvalId, COMMENT)).status).toBe(200);
    const incident = await harness.incident(incidentId, (view) => view.status === "mitigated");
    expect(incident.approvals[0]).toMatchObject({
      status: "approved",
      decidedBy: APPROVER,
      comment: COMMENT,
    });
    const decided = incident.timeline.find((event) => event.kind === "approval_decided");
    expect(decided).toMatchObject({
      actor: APPROVER,
      detail: { decision: "approved", comment: COMMENT, approvalId },
    });

    // Approved exactly like the Approve button: the key was revoked once.
    const deletions = harness.standins.openai.requests.filter((request) => request.method === "DELETE");
    expect(deletions).toHaveLength(1);

    await harness.runtime.idle();
    const blocks = JSON.stringify(harness.standins.slack.find(card.channel, card.ts)?.blocks);
    expect(blocks).toContain(`*Approved* by <@${APPROVER}>`);
    expect(blocks).toContain(`Comment by <@${APPROVER}>: “${ESCAPED}”`);
    expect(blocks).not.toContain("<!channel>");
    expect(blocks).not.toContain("quell.approve_comment");
  });
});
