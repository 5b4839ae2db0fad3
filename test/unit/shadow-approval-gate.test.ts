import { describe, expect, it, vi } from "vitest";
import { type ApprovalReader, requireRecordedApproval } from "../../functions/actions/approval-gate.js";
import { type Approval, SHADOW_APPROVER } from "../../functions/shared/incident.js";

const INCIDENT = "inc_shadowgate0001";
const STEP = "approveRevoke";
const ACTION = "openai.revoke-project-key";

const approval = (changes: Partial<Approval>): Approval => ({
  approvalId: `${INCIDENT}.${STEP}`,
  incidentId: INCIDENT,
  step: STEP,
  status: "approved",
  policy: "one",
  approvedBy: [],
  dryRun: true,
  title: "Revoke the leaked key",
  plan: [],
  facts: {},
  approvers: ["U0APPROVER"],
  requestedAt: "2026-12-01T09:00:00.000Z",
  timeoutAt: "2026-12-01T10:00:00.000Z",
  decidedBy: SHADOW_APPROVER,
  decidedAt: "2026-12-01T09:00:00.000Z",
  shadow: true,
  ...changes,
});

const reader = (stored: Approval): ApprovalReader & { recordDecision: ReturnType<typeof vi.fn> } => ({
  getApproval: async () => stored,
  recordDecision: vi.fn(async () => undefined),
});

const gate = (planOnly?: boolean) => ({
  incidentId: INCIDENT,
  approvalStep: STEP,
  ...(planOnly === undefined ? {} : { planOnly }),
});

describe("the action gate and a shadow run's would-ask approval", () => {
  it("lets a plan-only run go ahead on it, without writing a human decision on the timeline", async () => {
    const stored = reader(approval({}));
    await expect(requireRecordedApproval(gate(true), stored, ACTION)).resolves.toMatchObject({
      decidedBy: SHADOW_APPROVER,
      approvedBy: [],
    });
    expect(stored.recordDecision).not.toHaveBeenCalled();
  });

  it("refuses it to a run that would send writes, or that does not say it plans only", async () => {
    for (const planOnly of [false, undefined]) {
      await expect(
        requireRecordedApproval(gate(planOnly), reader(approval({})), ACTION),
      ).rejects.toMatchObject({
        name: "ApprovalNotRecorded",
        message: expect.stringContaining("recorded by a shadow run (nobody was asked)"),
      });
    }
  });

  // Hostile: a stored approval tampered to look human, or a human-looking one named by the shadow approver.
  it.each([
    [
      "marked shadow but naming two human approvers",
      { policy: "two", decidedBy: "U0ATTACKER", approvedBy: ["U0A", "U0B"] },
    ],
    ["naming the shadow approver without the shadow mark", { shadow: undefined, approvedBy: [] }],
    [
      "with the shadow approver among its approvers",
      { shadow: undefined, decidedBy: "U0APPROVER", approvedBy: [SHADOW_APPROVER] },
    ],
    ["with dryRun false on the stored approval", { dryRun: false }],
  ] as const)("refuses a real write on an approval %s", async (_, changes) => {
    const stored = reader(approval(changes as Partial<Approval>));
    await expect(requireRecordedApproval(gate(false), stored, ACTION)).rejects.toMatchObject({
      name: "ApprovalNotRecorded",
      message: expect.stringContaining("nothing was sent"),
    });
    expect(stored.recordDecision).not.toHaveBeenCalled();
  });

  it("still refuses a shadow approval that is not approved, even to a plan-only run", async () => {
    await expect(
      requireRecordedApproval(gate(true), reader(approval({ status: "expired" })), ACTION),
    ).rejects.toMatchObject({ name: "ApprovalNotRecorded" });
  });

  it("changes nothing for a human approval: a real run goes ahead on it", async () => {
    const human = approval({
      shadow: undefined,
      decidedBy: "U0APPROVER",
      approvedBy: ["U0APPROVER"],
      dryRun: false,
    });
    const stored = reader(human);
    await expect(requireRecordedApproval(gate(false), stored, ACTION)).resolves.toMatchObject({
      decidedBy: "U0APPROVER",
    });
    expect(stored.recordDecision).toHaveBeenCalledOnce();
  });
});
