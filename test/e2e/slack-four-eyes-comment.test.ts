import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webhookBody } from "../../infra/local/standins/scenario.js";
import { APPROVER, approvalIdIn, type Harness, startHarness } from "./harness.js";

// One runtime per file: the handlers read their configuration once, at import, as on Lambda.
const COMMENT = "Rotated upstream too <!channel> & <https://evil.example|here>";
const ESCAPED = "Rotated upstream too &lt;!channel&gt; &amp; &lt;https://evil.example|here&gt;";

/** The card's blocks once they contain `text` (the notifier re-renders it asynchronously). */
async function cardContaining(harness: Harness, card: { channel: string; ts: string }, text: string) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const blocks = JSON.stringify(harness.standins.slack.find(card.channel, card.ts)?.blocks);
    if (blocks.includes(text) || Date.now() > deadline) return blocks;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe("Approve with comment under four eyes (a route raises the policy to two)", () => {
  const SECOND = "U0SECOND";
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({
      dryRun: false,
      approvers: [APPROVER, SECOND],
      triageConfig: { routes: [{ id: "four-eyes", match: {}, approvalPolicy: "two" }] },
    });
  });
  afterAll(async () => harness?.stop());

  it("keeps the first vote's comment on the vote and the card, and a second approver settles it", async () => {
    expect((await harness.postGitHub(webhookBody())).status).toBe(202);
    const card = await harness.standins.slack.waitForMessage(undefined, 15_000);
    const approvalId = approvalIdIn(card.blocks);
    const incidentId = approvalId.split(".")[0] as string;

    expect((await harness.click(approvalId, "approve_comment")).status).toBe(200);
    expect(harness.standins.slack.views.at(-1)?.view).toMatchObject({ callback_id: "quell.approve_comment" });
    expect((await harness.submitApproveComment(approvalId, COMMENT)).status).toBe(200);
    expect(harness.standins.slack.ephemerals.at(-1)).toMatchObject({ user: APPROVER });
    expect(harness.standins.slack.ephemerals.at(-1)?.text).toContain("needs a second, different approver");

    const voted = await harness.incident(incidentId, (view) =>
      view.timeline.some((event) => event.kind === "approval_vote"),
    );
    expect(voted.approvals[0]).toMatchObject({
      status: "pending",
      approvedBy: [APPROVER],
      voteComments: [{ by: APPROVER, comment: COMMENT }],
    });
    expect(voted.timeline.find((event) => event.kind === "approval_vote")?.detail).toMatchObject({
      comment: COMMENT,
    });
    // The execution still waits for its task token, so poll the card (runtime.idle() would wait for it).
    const pending = await cardContaining(harness, card, "Comment by");
    expect(pending).toContain(`Approved so far: <@${APPROVER}>. Comment by <@${APPROVER}>: “${ESCAPED}”`);
    expect(pending).toContain("quell.approve_comment");

    // The same person commenting again counts for nothing.
    expect((await harness.submitApproveComment(approvalId, "me again")).status).toBe(200);
    expect(harness.standins.slack.ephemerals.at(-1)?.text).toContain("You already approved this");

    expect((await harness.click(approvalId, "approve", SECOND)).status).toBe(200);
    const incident = await harness.incident(incidentId, (view) => view.status === "mitigated");
    expect(incident.approvals[0]).toMatchObject({
      status: "approved",
      decidedBy: SECOND,
      approvedBy: [APPROVER, SECOND],
      voteComments: [{ by: APPROVER, comment: COMMENT }],
    });
    expect(incident.approvals[0]).not.toHaveProperty("comment");
    await harness.runtime.idle();
    const blocks = JSON.stringify(harness.standins.slack.find(card.channel, card.ts)?.blocks);
    expect(blocks).toContain(`*Approved* by <@${APPROVER}> and <@${SECOND}>`);
    expect(blocks).toContain(`Comment by <@${APPROVER}>: “${ESCAPED}”`);
  });
});
