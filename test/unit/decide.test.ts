import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { record } from "../../functions/recorder/core.js";
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

  it("a click after the task timed out is already_final, expired, and on the timeline as late, never as decided", async () => {
    const { incidentId, approvalId } = await pendingApproval();
    const { tasks, events, decisionDeps } = deps();
    tasks.failWith = "TaskTimedOut";
    const outcome = await decide({ approvalId, decision: "approved", userId: APPROVER }, decisionDeps);

    expect(outcome).toMatchObject({ kind: "already_final", approval: { status: "expired" } });
    expect(events.published).toEqual([]);
    // The decision never took effect: the timeline says the click came too late, and nothing else.
    expect(await timeline(incidentId)).toEqual([
      expect.objectContaining({
        kind: "approval_refused",
        actor: APPROVER,
        summary: `approved by ${APPROVER} arrived after the approval expired; it changed nothing`,
        detail: { approvalId, attempted: "approved", error: "TaskTimedOut" },
      }),
    ]);
  });

  it.each(["TaskDoesNotExist", "InvalidToken"])(
    "a click whose task is gone before the approval's timeout (%s) is not delivered: pending again, click again",
    async (gone) => {
      const { incidentId, approvalId } = await pendingApproval();
      const { tasks, decisionDeps } = deps();
      tasks.failWith = gone;
      // Its wait ended early (the request is being retried with a new token, or the playbook stopped).
      const attempt = decide({ approvalId, decision: "denied", userId: APPROVER }, decisionDeps);
      await expect(attempt).rejects.toMatchObject({ name: gone });
      expect((await store.getApproval(incidentId, STEP))?.status).toBe("pending");
      expect((await timeline(incidentId)).map(({ kind, summary }) => ({ kind, summary }))).toEqual([
        {
          kind: "approval_refused",
          summary: `denied by ${APPROVER} could not be delivered (${gone}); the approval is pending again`,
        },
      ]);
    },
  );

  it.each(["TaskDoesNotExist", "InvalidToken"])(
    "a click whose task no longer exists (%s) after the approval's timeout records no decision and says the playbook stopped waiting",
    async (gone) => {
      const { incidentId, approvalId } = await pendingApproval();
      const { tasks, decisionDeps } = deps();
      tasks.failWith = gone;
      const outcome = await decide(
        { approvalId, decision: "denied", userId: APPROVER },
        { ...decisionDeps, clock: () => new Date(NOW.getTime() + 7 * 24 * 3600 * 1000) },
      );

      expect(outcome).toMatchObject({ kind: "already_final", approval: { status: "expired" } });
      expect((await timeline(incidentId)).map(({ kind, summary }) => ({ kind, summary }))).toEqual([
        {
          kind: "approval_refused",
          summary: `denied by ${APPROVER} arrived after the playbook stopped waiting for it (${gone}); it changed nothing`,
        },
      ]);
    },
  );

  it("a late click leaves the incident's ending to the playbook's own expiry path, which still closes it", async () => {
    const { incidentId, approvalId } = await pendingApproval();
    const { tasks, events, decisionDeps } = deps();
    tasks.failWith = "TaskTimedOut";
    await decide({ approvalId, decision: "approved", userId: APPROVER }, decisionDeps);
    // The click changed the approval only: the incident is not made to run, nor ended by it.
    expect((await store.getIncident(incidentId))?.status).toBe("awaiting_approval");

    // The timed-out wait's own path (compiled `closeWith(... "expired")`) records the ending.
    await record(
      { kind: "closed", incidentId, step: STEP, outcome: "expired", summary: "Revoke: no decision in time" },
      { store, events },
    );
    expect((await store.getIncident(incidentId))?.status).toBe("expired");
    expect((await store.getApproval(incidentId, STEP))?.status).toBe("expired");
    // (With a frozen clock both entries share a timestamp, so their order is not asserted.)
    expect((await timeline(incidentId)).map((event) => event.kind).sort()).toEqual([
      "approval_refused",
      "closed",
    ]);
  });

  it("records the decision on the approval before settling the task, and on the timeline only after", async () => {
    const { incidentId, approvalId } = await pendingApproval();
    const seen: { approval: string | undefined; timeline: string[] }[] = [];
    const { events, decisionDeps } = deps();
    const tasks = new RecordingTasks();
    const settle = tasks.succeed.bind(tasks);
    tasks.succeed = async (token, output) => {
      // What an action would read the moment the task is settled (approval-gate.ts), and what the timeline says.
      seen.push({
        approval: (await store.getApproval(incidentId, STEP))?.status,
        timeline: (await timeline(incidentId)).map((event) => event.kind),
      });
      await settle(token, output);
    };
    // A clock that moves on: the entry is dated when the decision was recorded, not when it was written.
    let tick = NOW.getTime();
    const moving = local.store(() => {
      tick += 1000;
      return new Date(tick);
    });
    await decide(
      { approvalId, decision: "approved", userId: APPROVER },
      { ...decisionDeps, store: moving, tasks, events },
    );

    expect(seen).toEqual([{ approval: "approved", timeline: [] }]);
    const approval = await store.getApproval(incidentId, STEP);
    const decided = (await timeline(incidentId)).filter((event) => event.kind === "approval_decided");
    expect(decided).toEqual([expect.objectContaining({ at: approval?.decidedAt, actor: APPROVER })]);
    expect(new Date(decided[0]?.at ?? 0).getTime()).toBeLessThan(tick);
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
    // Not delivered, so not decided: the timeline says so and nothing more.
    expect((await timeline(incidentId)).map((event) => event.kind)).toEqual(["approval_refused"]);

    tasks.failWith = undefined;
    const retried = await decide({ approvalId, decision: "approved", userId: APPROVER }, decisionDeps);
    expect(retried.kind).toBe("decided");
    expect(tasks.succeeded).toHaveLength(1);
    expect((await timeline(incidentId)).map((event) => event.kind).sort()).toEqual([
      "approval_decided",
      "approval_refused",
    ]);
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
