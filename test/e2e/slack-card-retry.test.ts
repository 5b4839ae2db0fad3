import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webhookBody } from "../../infra/local/standins/scenario.js";
import {
  approvalCardAfter,
  approvalIdIn,
  type Harness,
  POST_APPROVAL_CARD,
  SLACK_INTERNAL_ERROR,
  startHarness,
} from "./harness.js";

describe("Slack failing on its side for a moment while an approval card is posted (live mode, loopback stand-ins)", () => {
  let harness: Harness | undefined;
  beforeAll(async () => {
    harness = await startHarness({ dryRun: false });
  });
  afterAll(async () => harness?.stop());

  it("retries an `ok: false, internal_error` answer: the card is posted and the approval can be decided", async () => {
    const running = harness as Harness;
    running.standins.slack.faults.next({ ...POST_APPROVAL_CARD, ...SLACK_INTERNAL_ERROR });
    expect((await running.postGitHub(webhookBody())).status).toBe(202);

    const card = await approvalCardAfter(running, 0);
    expect(running.standins.slack.faults.fired).toHaveLength(1);
    const incident = await running.approveAndSettle(approvalIdIn(card.blocks));
    expect(incident.approvals).toHaveLength(1);
  }, 60_000);
});
