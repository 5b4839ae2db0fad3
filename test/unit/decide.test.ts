import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IncidentStore } from "../../functions/shared/store.js";
import { type DecisionDeps, decide } from "../../functions/slack/decide.js";
import { type LocalStore, startLocalStore } from "./local-store.js";
import { RecordingEvents, RecordingTasks, STEP, seedPendingApproval } from "./pending-approval.js";

const NOW = new Date("2026-11-25T00:00:00Z");
const APPROVER = "U0APPROVER";
const TEAM = "T0TEAM";

describe("decide against DynamoDB Local", () => {
  let local: LocalStore;
  let store: IncidentStore;

  beforeAll(async () => {
    local = await startLocalStore();
    store = local.store(() => NOW);
  });
  afterAll(async () => local?.stop());

  /** An incident awaiting one pending approval whose card was posted; returns its approval id and token. */
  const pendingApproval = (policy: "one" | "two" = "one", approvers: string[] = [APPROVER]) =>
    seedPendingApproval(store, NOW, { approval: { policy, approvers } });

  function deps() {
    const tasks = new RecordingTasks();
    const events = new RecordingEvents();
    const decisionDeps: DecisionDeps = {
      store,
      tasks,
      events,
      clock: () => NOW,
      isAuthorised: async (userId, approval) => approval.approvers.includes(userId),
    };
    return { tasks, events, decisionDeps };
  }
  const timeline = async (incidentId: string) => (await store.getIncidentDetail(incidentId))?.timeline ?? [];

  it("approve settles the task once with the user and team, and records the decision", async () => {
    const { incidentId, approvalId, taskToken } = await pendingApproval();
    const { tasks, decisionDeps } = deps();
    const outcome = await decide(
      { approvalId, decision: "approved", userId: APPROVER, teamId: TEAM },
      decisionDeps,
    );

    expect(outcome.kind).toBe("decided");
    expect(tasks.succeeded).toEqual([
      {
        token: taskToken,
        output: { decision: "approved", by: APPROVER, teamId: TEAM, at: NOW.toISOString() },
      },
    ]);
    expect(tasks.failed).toEqual([]);
    expect(await store.getApproval(incidentId, STEP)).toMatchObject({
      status: "approved",
      decidedBy: APPROVER,
      decidedByTeam: TEAM,
    });
    expect((await timeline(incidentId)).map((event) => event.kind)).toEqual(["approval_decided"]);
    expect((await store.getIncident(incidentId))?.status).toBe("running");
  });

  it("a second click is already_final and settles nothing more", async () => {
    const { approvalId } = await pendingApproval();
    const { tasks, decisionDeps } = deps();
    await decide({ approvalId, decision: "approved", userId: APPROVER }, decisionDeps);
    const again = await decide({ approvalId, decision: "denied", userId: APPROVER }, decisionDeps);

    expect(again).toMatchObject({ kind: "already_final", approval: { status: "approved" } });
    expect(tasks.succeeded).toHaveLength(1);
    expect(tasks.failed).toEqual([]);
  });

  it("an unauthorised user changes nothing, and the attempt is on the timeline", async () => {
    const { incidentId, approvalId } = await pendingApproval();
    const { tasks, events, decisionDeps } = deps();
    const outcome = await decide({ approvalId, decision: "approved", userId: "U0INTRUDER" }, decisionDeps);

    expect(outcome.kind).toBe("not_authorised");
    expect(tasks.succeeded).toEqual([]);
    expect(events.published).toEqual([]);
    expect((await store.getApproval(incidentId, STEP))?.status).toBe("pending");
    expect(await timeline(incidentId)).toEqual([
      expect.objectContaining({
        kind: "approval_refused",
        actor: "U0INTRUDER",
        detail: expect.objectContaining({ approvalId, attempted: "approved" }),
      }),
    ]);
  });

  it("deny fails the task with ApprovalDenied", async () => {
    const { incidentId, approvalId, taskToken } = await pendingApproval();
    const { tasks, decisionDeps } = deps();
    const outcome = await decide({ approvalId, decision: "denied", userId: APPROVER }, decisionDeps);

    expect(outcome.kind).toBe("decided");
    expect(tasks.failed).toEqual([
      { token: taskToken, error: "ApprovalDenied", cause: `denied by ${APPROVER}` },
    ]);
    expect(tasks.succeeded).toEqual([]);
    expect((await store.getApproval(incidentId, STEP))?.status).toBe("denied");
  });

  it.each([
    ["not an approval id", "approve-everything"],
    ["a too-short incident id", "inc_abc.approveRevoke"],
    ["a step that is not camelCase", "inc_0123456789abcdefghjkmnpqrs.Approve-Revoke"],
    ["a well-formed id nobody stored", "inc_0123456789abcdefghjkmnpqrs.approveRevoke"],
  ])("an approval id that is %s is unknown_approval", async (_name, approvalId) => {
    const { tasks, decisionDeps } = deps();
    expect(await decide({ approvalId, decision: "approved", userId: APPROVER }, decisionDeps)).toEqual({
      kind: "unknown_approval",
    });
    expect(tasks.succeeded).toEqual([]);
  });

  it("a click after the task timed out is already_final, expired, and on the timeline", async () => {
    const { incidentId, approvalId } = await pendingApproval();
    const { tasks, events, decisionDeps } = deps();
    tasks.failWith = "TaskTimedOut";
    const outcome = await decide({ approvalId, decision: "approved", userId: APPROVER }, decisionDeps);

    expect(outcome).toMatchObject({ kind: "already_final", approval: { status: "expired" } });
    expect(events.published).toEqual([]);
    // The decision is recorded before the task is settled; the refusal then says it changed nothing.
    // (With a frozen clock both entries share a timestamp, so their order is not asserted.)
    expect(await timeline(incidentId)).toContainEqual(
      expect.objectContaining({
        kind: "approval_refused",
        actor: APPROVER,
        detail: { approvalId, error: "TaskTimedOut" },
      }),
    );
  });

  it("stores the approval as expired when the task was gone, not as approved", async () => {
    const { incidentId, approvalId } = await pendingApproval();
    const { tasks, decisionDeps } = deps();
    tasks.failWith = "TaskTimedOut";
    await decide({ approvalId, decision: "approved", userId: APPROVER }, decisionDeps);
    const step = approvalId.split(".")[1] as string;
    expect(await store.getApproval(incidentId, step)).toMatchObject({ status: "expired" });
  });

  it("puts the approval back to pending when the decision could not be delivered, so a new click settles it", async () => {
    const { incidentId, approvalId } = await pendingApproval();
    const { tasks, decisionDeps } = deps();
    tasks.failWith = "ThrottlingException";
    await expect(
      decide({ approvalId, decision: "approved", userId: APPROVER }, decisionDeps),
    ).rejects.toThrow("ThrottlingException");
    const step = approvalId.split(".")[1] as string;
    expect(await store.getApproval(incidentId, step)).toMatchObject({ status: "pending" });
    expect(await store.getApproval(incidentId, step)).not.toHaveProperty("decidedBy");

    tasks.failWith = undefined;
    const retried = await decide({ approvalId, decision: "approved", userId: APPROVER }, decisionDeps);
    expect(retried.kind).toBe("decided");
    expect(tasks.succeeded).toHaveLength(1);
  });

  it("tells the bus once decided, so the notifier re-renders the card off the click's hot path", async () => {
    const { incidentId, approvalId } = await pendingApproval();
    const { events, decisionDeps } = deps();
    await decide({ approvalId, decision: "approved", userId: APPROVER }, decisionDeps);
    await decide({ approvalId, decision: "approved", userId: APPROVER }, decisionDeps);

    expect(events.published).toEqual([
      { incidentId, kind: "approval_decided", summary: `approved by ${APPROVER}`, approvalStep: STEP },
    ]);
  });

  describe("four eyes (policy two)", () => {
    const SECOND = "U0SECOND";

    it("waits for a second, different approver, then settles once with both recorded", async () => {
      const { incidentId, approvalId } = await pendingApproval("two", [APPROVER, SECOND]);
      const { tasks, events, decisionDeps } = deps();

      const first = await decide({ approvalId, decision: "approved", userId: APPROVER }, decisionDeps);
      expect(first.kind).toBe("vote_recorded");
      expect(tasks.succeeded).toEqual([]);
      expect((await store.getApproval(incidentId, STEP))?.status).toBe("pending");

      const second = await decide({ approvalId, decision: "approved", userId: SECOND }, decisionDeps);
      expect(second.kind).toBe("decided");
      expect(tasks.succeeded).toHaveLength(1);
      expect(await store.getApproval(incidentId, STEP)).toMatchObject({
        status: "approved",
        decidedBy: SECOND,
        approvedBy: [APPROVER, SECOND],
      });
      expect(events.published.map((event) => event.kind)).toEqual(["approval_vote", "approval_decided"]);
    });

    it("counts the same person twice once", async () => {
      const { incidentId, approvalId } = await pendingApproval("two", [APPROVER, SECOND]);
      const { tasks, decisionDeps } = deps();
      await decide({ approvalId, decision: "approved", userId: APPROVER }, decisionDeps);
      const again = await decide({ approvalId, decision: "approved", userId: APPROVER }, decisionDeps);

      expect(again.kind).toBe("already_voted");
      expect(tasks.succeeded).toEqual([]);
      expect(await store.getApproval(incidentId, STEP)).toMatchObject({
        status: "pending",
        approvedBy: [APPROVER],
      });
    });

    it("lets one authorised deny end it, even after a first approval", async () => {
      const { incidentId, approvalId } = await pendingApproval("two", [APPROVER, SECOND]);
      const { tasks, decisionDeps } = deps();
      await decide({ approvalId, decision: "approved", userId: APPROVER }, decisionDeps);
      const denied = await decide({ approvalId, decision: "denied", userId: SECOND }, decisionDeps);

      expect(denied.kind).toBe("decided");
      expect(tasks.failed).toHaveLength(1);
      expect((await store.getApproval(incidentId, STEP))?.status).toBe("denied");
    });

    it("refuses a vote from someone who is not an approver, without counting it", async () => {
      const { incidentId, approvalId } = await pendingApproval("two", [APPROVER, SECOND]);
      const { decisionDeps } = deps();
      const outcome = await decide({ approvalId, decision: "approved", userId: "U0INTRUDER" }, decisionDeps);
      expect(outcome.kind).toBe("not_authorised");
      expect((await store.getApproval(incidentId, STEP))?.approvedBy).toEqual([]);
    });
  });
});
