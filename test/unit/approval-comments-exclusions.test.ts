import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requestApproval } from "../../functions/approval-request/core.js";
import { newId } from "../../functions/shared/ids.js";
import type { Approval, ApproverExclusion } from "../../functions/shared/incident.js";
import type { IncidentStore } from "../../functions/shared/store.js";
import { decidedApprovalCard, pendingApprovalCard } from "../../functions/slack/cards.js";
import { type DecisionDeps, decide } from "../../functions/slack/decide.js";
import { DECISION_TEXTS, decisionTextModal, readDecisionText } from "../../functions/slack/deny-modal.js";
import { defineTriageConfig } from "../../functions/triage/config.js";
import { subjectSlackUsers } from "../../functions/triage/people.js";
import { type LocalStore, startLocalStore } from "./local-store.js";
import { RecordingEvents, RecordingTasks, STEP, seedPendingApproval } from "./pending-approval.js";
import { deliveryOf, fixture, triageDeps, triageOne } from "./triage-harness.js";

const NOW = new Date("2026-11-25T00:00:00Z");
const FIRST = "U0FIRST";
const SECOND = "U0SECOND";
const THIRD = "U0THIRD";
const SUBJECT = "U0SUBJECT";
const REQUESTER = "U0REQUESTER";

describe("approve with comment and four eyes exclusions, against DynamoDB Local", () => {
  let local: LocalStore;
  let store: IncidentStore;

  beforeAll(async () => {
    local = await startLocalStore();
    store = local.store(() => NOW);
  });
  afterAll(async () => local?.stop());

  const pendingApproval = (
    policy: "one" | "two",
    excludedApprovers: ApproverExclusion[] = [],
    approvers = [FIRST, SECOND, THIRD, SUBJECT, REQUESTER],
  ) => seedPendingApproval(store, NOW, { approval: { policy, approvers, excludedApprovers } });

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
  const detail = async (incidentId: string) => store.getIncidentDetail(incidentId);

  describe("approve with comment", () => {
    it("approves like Approve and keeps the comment on the decision and the timeline", async () => {
      const { incidentId, approvalId } = await pendingApproval("one");
      const { tasks, decisionDeps } = deps();
      const comment = "Rotated upstream <!channel>";
      const outcome = await decide(
        { approvalId, decision: "approved", userId: FIRST, comment },
        decisionDeps,
      );

      expect(outcome.kind).toBe("decided");
      expect(tasks.succeeded).toHaveLength(1);
      const approval = await store.getApproval(incidentId, STEP);
      expect(approval).toMatchObject({ status: "approved", decidedBy: FIRST, comment });
      expect((await detail(incidentId))?.timeline).toEqual([
        expect.objectContaining({
          kind: "approval_decided",
          actor: FIRST,
          detail: expect.objectContaining({ decision: "approved", comment }),
        }),
      ]);
      const card = JSON.stringify(
        decidedApprovalCard({
          incident: { id: incidentId, title: "t", severity: "high", type: "leaked_api_key", playbook: "p" },
          approval: approval as Approval,
          plan: [],
          facts: {},
          dryRun: false,
        }).blocks,
      );
      expect(card).toContain(`Comment by <@${FIRST}>: “Rotated upstream &lt;!channel&gt;”`);
      expect(card).not.toContain("<!channel>");
    });

    it("a plain Approve stores no comment, and the first decision wins over a later commented one", async () => {
      const { incidentId, approvalId } = await pendingApproval("one");
      const { tasks, decisionDeps } = deps();
      await decide({ approvalId, decision: "approved", userId: FIRST }, decisionDeps);
      const late = await decide(
        { approvalId, decision: "approved", userId: SECOND, comment: "late" },
        decisionDeps,
      );

      expect(late.kind).toBe("already_final");
      expect(tasks.succeeded).toHaveLength(1);
      const approval = await store.getApproval(incidentId, STEP);
      expect(approval).toMatchObject({ decidedBy: FIRST });
      expect(approval).not.toHaveProperty("comment");
    });

    it("under four eyes, keeps each vote's comment and the deciding vote's comment on the decision", async () => {
      const { incidentId, approvalId } = await pendingApproval("two");
      const { tasks, decisionDeps } = deps();
      const first = await decide(
        { approvalId, decision: "approved", userId: FIRST, comment: "first look" },
        decisionDeps,
      );
      expect(first.kind).toBe("vote_recorded");
      expect(await store.getApproval(incidentId, STEP)).toMatchObject({
        status: "pending",
        voteComments: [{ by: FIRST, comment: "first look" }],
      });
      const second = await decide(
        { approvalId, decision: "approved", userId: SECOND, comment: "agreed" },
        decisionDeps,
      );
      expect(second.kind).toBe("decided");
      expect(tasks.succeeded).toHaveLength(1);
      expect(await store.getApproval(incidentId, STEP)).toMatchObject({
        status: "approved",
        approvedBy: [FIRST, SECOND],
        comment: "agreed",
        voteComments: [
          { by: FIRST, comment: "first look" },
          { by: SECOND, comment: "agreed" },
        ],
      });
      const timeline = (await detail(incidentId))?.timeline ?? [];
      expect(timeline.find((event) => event.kind === "approval_vote")?.detail).toMatchObject({
        comment: "first look",
      });
      expect(timeline.find((event) => event.kind === "approval_decided")?.detail).toMatchObject({
        comment: "agreed",
      });
    });

    it("the modal requires a comment of at most 500 characters", () => {
      const kind = DECISION_TEXTS.approved;
      const modal = decisionTextModal(kind, "inc_x.approveRevoke", "Revoke");
      expect(modal).toMatchObject({
        callback_id: "quell.approve_comment",
        private_metadata: "inc_x.approveRevoke",
      });
      const view = (value: string) => ({
        private_metadata: "inc_x.approveRevoke",
        state: { values: { comment: { comment: { value } } } },
      });
      expect(readDecisionText(kind, view("  looks right  "))).toEqual({
        ok: true,
        approvalId: "inc_x.approveRevoke",
        text: "looks right",
      });
      expect(readDecisionText(kind, view("   "))).toMatchObject({ ok: false });
      expect(readDecisionText(kind, view("x".repeat(501)))).toMatchObject({ ok: false });
    });
  });

  describe("exclusions", () => {
    const subject: ApproverExclusion = { userId: SUBJECT, because: "subject" };
    const requester: ApproverExclusion = { userId: REQUESTER, because: "requester" };

    it("refuses the subject's approve vote on a `two` approval, keeps it pending and records the attempt", async () => {
      const { incidentId, approvalId } = await pendingApproval("two", [requester, subject]);
      const { tasks, events, decisionDeps } = deps();
      const outcome = await decide(
        { approvalId, decision: "approved", userId: SUBJECT, comment: "fine by me" },
        decisionDeps,
      );

      expect(outcome).toMatchObject({ kind: "excluded", because: ["subject"] });
      expect(tasks.succeeded).toEqual([]);
      expect(events.published).toEqual([]);
      expect(await store.getApproval(incidentId, STEP)).toMatchObject({ status: "pending", approvedBy: [] });
      expect((await detail(incidentId))?.timeline).toEqual([
        expect.objectContaining({
          kind: "approval_refused",
          actor: SUBJECT,
          detail: expect.objectContaining({ approvalId, attempted: "approved", excluded: ["subject"] }),
        }),
      ]);
    });

    it("refuses the requester on a `two` approval, as first or as second vote, and lets two others settle it", async () => {
      const { incidentId, approvalId } = await pendingApproval("two", [requester, subject]);
      const { tasks, decisionDeps } = deps();
      expect(await decide({ approvalId, decision: "approved", userId: FIRST }, decisionDeps)).toMatchObject({
        kind: "vote_recorded",
      });
      expect(
        await decide({ approvalId, decision: "approved", userId: REQUESTER }, decisionDeps),
      ).toMatchObject({ kind: "excluded", because: ["requester"] });
      expect(await store.getApproval(incidentId, STEP)).toMatchObject({
        status: "pending",
        approvedBy: [FIRST],
      });
      expect(await decide({ approvalId, decision: "approved", userId: SECOND }, decisionDeps)).toMatchObject({
        kind: "decided",
      });
      expect(tasks.succeeded).toHaveLength(1);
    });

    it("lets no excluded person deny a `two` approval either", async () => {
      const { incidentId, approvalId } = await pendingApproval("two", [requester, subject]);
      const { tasks, decisionDeps } = deps();
      for (const userId of [SUBJECT, REQUESTER]) {
        expect(
          await decide({ approvalId, decision: "denied", userId, reason: "not me" }, decisionDeps),
        ).toMatchObject({ kind: "excluded" });
      }
      expect(tasks.failed).toEqual([]);
      expect((await store.getApproval(incidentId, STEP))?.status).toBe("pending");
    });

    it("under policy one, excludes the subject (approve and deny) but not the requester", async () => {
      const refused = await pendingApproval("one", [requester, subject]);
      const { decisionDeps } = deps();
      for (const decision of ["approved", "denied"] as const) {
        expect(
          await decide({ approvalId: refused.approvalId, decision, userId: SUBJECT }, decisionDeps),
        ).toMatchObject({ kind: "excluded", because: ["subject"] });
      }
      expect((await store.getApproval(refused.incidentId, STEP))?.status).toBe("pending");

      const { tasks, decisionDeps: more } = deps();
      const allowed = await pendingApproval("one", [requester, subject]);
      expect(
        await decide({ approvalId: allowed.approvalId, decision: "approved", userId: REQUESTER }, more),
      ).toMatchObject({ kind: "decided" });
      expect(tasks.succeeded).toHaveLength(1);
    });

    it("an unauthorised person is refused as unauthorised before any exclusion", async () => {
      const { approvalId } = await pendingApproval("two", [subject], [FIRST, SECOND]);
      const { decisionDeps } = deps();
      expect(await decide({ approvalId, decision: "approved", userId: SUBJECT }, decisionDeps)).toMatchObject(
        {
          kind: "not_authorised",
        },
      );
    });
  });

  describe("where exclusions come from", () => {
    it("triage records the Slack users whose identities the alert's principal names", async () => {
      const { deps: triage } = triageDeps(local, () => new Date(), {
        people: [
          { slackUserId: SUBJECT, identities: ["aad:5d2f7b1e-8c3a-4f6d-9e0b-1a2c3d4e5f60"] },
          { slackUserId: FIRST, identities: ["first@example.com"] },
        ],
      });
      const payload = fixture("generic", "jailbreak-roleplay-repeated-attempts.json");
      payload.dedupKey = `${payload.dedupKey}:${newId("alr")}`;
      const outcome = await triageOne(deliveryOf("generic", payload), triage);
      expect((await store.getIncident(outcome.incidentId ?? "missing"))?.subjectSlackUsers).toEqual([
        SUBJECT,
      ]);

      const other = fixture("generic", "jailbreak-roleplay-repeated-attempts.json");
      other.dedupKey = `${other.dedupKey}:${newId("alr")}`;
      other.principal.id = "aad:somebody-else";
      const unmatched = await triageOne(deliveryOf("generic", other), triage);
      expect(await store.getIncident(unmatched.incidentId ?? "missing")).not.toHaveProperty(
        "subjectSlackUsers",
      );
    });

    it("matches principal and end-user ids only, emails without regard to case", () => {
      const people = defineTriageConfig({
        people: [
          {
            slackUserId: "U0ALICE",
            identities: ["arn:aws:iam::111122223333:user/alice", "Alice@Example.com"],
          },
          { slackUserId: "U0BOB", identities: ["bob@example.com"] },
        ],
      }).people;
      expect(
        subjectSlackUsers(people, [
          { kind: "principal", id: "arn:aws:iam::111122223333:user/alice" },
          { kind: "end_user", id: "BOB@example.com" },
        ]),
      ).toEqual(["U0ALICE", "U0BOB"]);
      expect(subjectSlackUsers(people, [{ kind: "end_user", id: "alice@example.com" }])).toEqual(["U0ALICE"]);
      expect(
        subjectSlackUsers(people, [{ kind: "principal", id: "arn:aws:iam::111122223333:user/ALICE" }]),
      ).toEqual([]);
      expect(subjectSlackUsers(people, [{ kind: "repository", id: "bob@example.com" }])).toEqual([]);
    });

    it("refuses an identity listed for two people, and a bad Slack user id", () => {
      expect(() =>
        defineTriageConfig({
          people: [
            { slackUserId: "U0ALICE", identities: ["alice@example.com"] },
            { slackUserId: "U0BOB", identities: ["ALICE@example.com"] },
          ],
        }),
      ).toThrow(/people\.1\.identities\.0: identity ALICE@example.com is already listed for people\.0/);
      expect(() => defineTriageConfig({ people: [{ slackUserId: "alice", identities: ["a"] }] })).toThrow(
        /people\.0\.slackUserId/,
      );
    });

    it("requestApproval records the requester and the incident's subjects, and the card names them", async () => {
      const { incidentId } = await seedPendingApproval(store, NOW, {
        card: false,
        incident: { status: "running", subjectSlackUsers: [SUBJECT] },
      });
      const posted: { blocks: unknown[] }[] = [];
      const event = {
        taskToken: "token",
        incidentId,
        executionId: "exec",
        playbook: "leaked-ai-key",
        step: STEP,
        policy: "two" as const,
        title: "Revoke",
        plan: ["Delete the key."],
        facts: {},
        timeoutSeconds: 3600,
        requestedBy: REQUESTER,
        dryRun: false,
      };
      await requestApproval(event, {
        store,
        slack: {
          async postMessage(message) {
            posted.push(message);
            return { channel: message.channel, ts: "1795564800.000200" };
          },
        },
        channel: "C0INCIDENTS",
        defaultApprovers: [FIRST],
        dryRun: false,
        clock: () => NOW,
      });
      const approval = await store.getApproval(incidentId, STEP);
      expect(approval).toMatchObject({
        requestedBy: REQUESTER,
        excludedApprovers: [
          { userId: REQUESTER, because: "requester" },
          { userId: SUBJECT, because: "subject" },
        ],
      });
      expect(JSON.stringify(posted[0]?.blocks)).toContain(
        `*Not eligible*: <@${REQUESTER}> (requester), <@${SUBJECT}> (subject)`,
      );
      // Under policy one only the subject is excluded, so only the subject is shown.
      const one = pendingApprovalCard({
        incident: { id: incidentId, title: "t", severity: "high", type: "leaked_api_key", playbook: "p" },
        approval: { ...(approval as Approval), policy: "one" },
        plan: [],
        facts: {},
        dryRun: false,
      });
      expect(JSON.stringify(one.blocks)).toContain(`*Not eligible*: <@${SUBJECT}> (subject)`);
      expect(JSON.stringify(one.blocks)).not.toContain(`<@${REQUESTER}> (requester)`);
    });

    it("takes the requester of a rehearsal (`/quell dry-run`) from its incident, and marks the card dry run", async () => {
      const { incidentId } = await seedPendingApproval(store, NOW, {
        card: false,
        incident: {
          status: "running",
          rehearsal: { of: "inc_originalincident00", alertId: "alr_x", requestedBy: REQUESTER },
        },
      });
      const posted: { blocks: unknown[] }[] = [];
      await requestApproval(
        {
          taskToken: "token",
          incidentId,
          executionId: "exec",
          playbook: "leaked-ai-key",
          step: STEP,
          policy: "two",
          title: "Revoke",
          plan: ["Delete the key."],
          facts: {},
          timeoutSeconds: 3600,
          dryRun: true,
        },
        {
          store,
          slack: {
            async postMessage(message) {
              posted.push(message);
              return { channel: message.channel, ts: "1795564800.000300" };
            },
          },
          channel: "C0INCIDENTS",
          defaultApprovers: [FIRST],
          dryRun: false,
          clock: () => NOW,
        },
      );
      expect(await store.getApproval(incidentId, STEP)).toMatchObject({
        requestedBy: REQUESTER,
        dryRun: true,
        excludedApprovers: [{ userId: REQUESTER, because: "requester" }],
      });
      expect(JSON.stringify(posted[0]?.blocks)).toContain("*Dry run*");
    });

    it("takes the requester of a `/quell rerun` from its incident for the rerun's approvals only", async () => {
      const request = async (executionId: string) => {
        const { incidentId } = await seedPendingApproval(store, NOW, {
          card: false,
          incident: {
            status: "running",
            rerun: { executionName: "inc_lost-rerun-1", requestedBy: REQUESTER },
          },
        });
        await requestApproval(
          {
            taskToken: "token",
            incidentId,
            executionId,
            playbook: "leaked-ai-key",
            step: STEP,
            policy: "two",
            title: "Revoke",
            plan: ["Delete the key."],
            facts: {},
            timeoutSeconds: 3600,
            dryRun: false,
          },
          {
            store,
            slack: {
              postMessage: async (message) => ({ channel: message.channel, ts: "1795564800.000400" }),
            },
            channel: "C0INCIDENTS",
            defaultApprovers: [FIRST],
            dryRun: false,
            clock: () => NOW,
          },
        );
        return store.getApproval(incidentId, STEP);
      };
      const machine = "arn:aws:states:eu-west-1:123456789012:execution:leaked-ai-key";
      expect(await request(`${machine}:inc_lost-rerun-1`)).toMatchObject({
        requestedBy: REQUESTER,
        excludedApprovers: [{ userId: REQUESTER, because: "requester" }],
      });
      // An approval of another execution (the lost one, say) is not the rerun's: nobody is excluded as requester.
      const other = await request(`${machine}:inc_lost`);
      expect(other?.requestedBy).toBeUndefined();
      expect(other?.excludedApprovers).toEqual([]);
    });
  });
});
