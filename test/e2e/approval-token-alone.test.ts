import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PLAYBOOK_ENDED_BY } from "../../functions/shared/incident.js";
import { webhookBody } from "../../infra/local/standins/scenario.js";
import { APPROVER, approvalCardAfter, approvalIdIn, type Harness, startHarness } from "./harness.js";

const STEP = "approveRevoke";

describe("a task token alone (SendTaskSuccess with no recorded decision) changes nothing (live mode)", () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({ dryRun: false });
  });
  afterAll(async () => harness?.stop());

  it("the gated action refuses to run, the incident records the refusal, and the approval is never approved (it expires when the playbook ends)", async () => {
    expect((await harness.postGitHub(webhookBody())).status).toBe(202);
    const approvalId = approvalIdIn((await approvalCardAfter(harness, 0)).blocks);
    const incidentId = approvalId.split(".")[0] as string;
    const stored = await harness.runtime.store.getApproval(incidentId, STEP);
    expect(stored).toMatchObject({ status: "pending", taskToken: expect.any(String) });

    // Whoever holds the token settles the real compiled machine's wait directly, as Step Functions would take it.
    harness.runtime.stepFunctions.sendTaskSuccess(
      stored?.taskToken as string,
      JSON.stringify({ decision: "approved", by: "U0FORGER", teamId: null, at: new Date().toISOString() }),
    );

    const incident = await harness.incident(incidentId, (view) => view.status === "failed");
    expect(harness.standins.openai.requests.filter((request) => request.method === "DELETE")).toEqual([]);
    expect(harness.standins.github.requests.filter((request) => request.method === "PATCH")).toEqual([]);
    // No human decided: when the playbook ended, Quell itself recorded the unanswered approval as expired.
    expect(incident.approvals).toEqual([
      expect.objectContaining({
        approvalId,
        status: "expired",
        decidedBy: PLAYBOOK_ENDED_BY,
        approvedBy: [],
      }),
    ]);
    const kinds = incident.timeline.map((event) => event.kind);
    expect(kinds).not.toContain("approval_decided");
    expect(kinds).not.toContain("write_attempted");
    expect(incident.timeline.find((event) => event.kind === "action_failed")).toMatchObject({
      summary: "openai.revoke-project-key failed at revokeKey: ApprovalNotRecorded",
      detail: {
        step: "revokeKey",
        error: {
          Error: "ApprovalNotRecorded",
          Cause: expect.stringContaining(`approval ${approvalId} is pending, not approved; nothing was sent`),
        },
      },
    });
    expect(incident.timeline.at(-1)).toMatchObject({ kind: "closed", detail: { outcome: "failed" } });

    // The real approver's click afterwards finds the approval settled: it is told so, and it sends nothing.
    expect((await harness.click(approvalId, "approve")).status).toBe(200);
    await harness.runtime.idle();
    expect(harness.standins.slack.ephemerals.at(-1)).toMatchObject({ user: APPROVER });
    expect(harness.standins.slack.ephemerals.at(-1)?.text).toContain("Already expired; nothing changed.");
    const after = await harness.incident(incidentId, (view) => view.status === "failed");
    expect(after.approvals).toEqual([
      expect.objectContaining({ status: "expired", decidedBy: PLAYBOOK_ENDED_BY }),
    ]);
    expect(after.timeline.map((event) => event.kind)).not.toContain("approval_decided");
    expect(harness.standins.openai.requests.filter((request) => request.method === "DELETE")).toEqual([]);
  });
});
