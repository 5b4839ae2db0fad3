import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { incidentOfSession } from "../../functions/shared/action-session.js";
import { LLMJACKED_KEY, LLMJACKED_USER, SESSION_ROLE } from "../../infra/local/standins/scenario.js";
import { ANOMALOUS_INVOCATION, awsSample, postEvents } from "./aws-events.js";
import { APPROVER, approvalCardAfter, approvalIdIn, type Harness, startHarness } from "./harness.js";

/**
 * The GuardDuty finding for a session's temporary ASIA… key, which IAM cannot deactivate: an assumed role's
 * (`AssumedRole`, the usual LLMjacking case from a compromised instance) or an IAM user's session token.
 */
const sessionFinding = (userType: "AssumedRole" | "IAMUser", id: string) =>
  awsSample(ANOMALOUS_INVOCATION, (event) => {
    event.id = `0b7e5c1a-9d2f-4e63-8a41-5f0c9d2e7b${id}`;
    const detail = event.detail as {
      id: string;
      resource: { accessKeyDetails: Record<string, string> };
    };
    detail.id = `a1b2c3d4e5f60718293a4b5c6d7e8f${id}`;
    detail.resource.accessKeyDetails = {
      accessKeyId: `ASIAEXAMPLEROLE7SE${id}`,
      principalId: userType === "AssumedRole" ? `AROAEXAMPLE3KQ7Z2LLMJ:ci-session` : "AIDAEXAMPLE7HV2KQ3ZPX",
      userName: userType === "AssumedRole" ? SESSION_ROLE : LLMJACKED_USER,
      userType,
    };
  });
const SECOND = "U0SECOND";

describe("contain-llmjacking end to end (live)", () => {
  let harness: Harness;
  let incidentId: string;
  let cardAt: { channel: string; ts: string };
  beforeAll(async () => {
    harness = await startHarness({ dryRun: false, approvers: [APPROVER, SECOND] });
  });
  const quell = (text: string, userId?: string) => harness.quell(text, userId);
  afterAll(async () => harness?.stop());

  it("GuardDuty AnomalousModelInvocation: approval card, Approve, exactly one UpdateAccessKey to Inactive", async () => {
    expect((await postEvents(harness, JSON.stringify(awsSample(ANOMALOUS_INVOCATION)))).status).toBe(202);
    const card = await harness.standins.slack.waitForMessage(undefined, 15_000);
    const blocks = JSON.stringify(card.blocks);
    expect(blocks).toContain("Deactivate the IAM access key used for LLMjacking");
    for (const fact of [
      LLMJACKED_USER,
      LLMJACKED_KEY,
      "Impact:IAMUser/AnomalousModelInvocation",
      "203.0.113.45",
      "GuardDuty severity",
    ]) {
      expect(blocks).toContain(fact);
    }
    // Nothing is written before the decision; the key is still active.
    expect(harness.standins.iam.requests).toEqual([]);
    expect(harness.standins.iam.keyStatus(LLMJACKED_USER, LLMJACKED_KEY)).toBe("Active");

    const approvalId = approvalIdIn(card.blocks);
    expect(approvalId).toMatch(/\.approveDeactivation$/);
    const incident = await harness.approveAndSettle(approvalId);

    expect(incident).toMatchObject({ playbook: "contain-llmjacking", status: "mitigated" });
    expect(incident.approvals).toEqual([
      expect.objectContaining({ status: "approved", decidedBy: APPROVER }),
    ]);
    const iam = harness.standins.iam;
    // Read, write, then the read-back that verifies the key is Inactive.
    expect(iam.actions()).toEqual(["ListAccessKeys", "UpdateAccessKey", "ListAccessKeys"]);
    const updates = iam.requests.filter(
      (request) => (request.body as { Action?: string }).Action === "UpdateAccessKey",
    );
    expect(updates).toHaveLength(1);
    expect(updates[0]).toMatchObject({
      method: "POST",
      path: "/",
      contentType: expect.stringContaining("application/x-www-form-urlencoded"),
      authorization: expect.stringMatching(
        /^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/us-east-1\/iam\/aws4_request, /,
      ),
      body: {
        Action: "UpdateAccessKey",
        Version: "2010-05-08",
        UserName: LLMJACKED_USER,
        AccessKeyId: LLMJACKED_KEY,
        Status: "Inactive",
      },
    });
    expect(iam.keyStatus(LLMJACKED_USER, LLMJACKED_KEY)).toBe("Inactive");
    expect(iam.keyStatus(LLMJACKED_USER, "AKIAEXAMPLEOLD0ROTD1")).toBe("Inactive");

    // Every IAM call ran as the action's own role, in a session named after the incident: what CloudTrail
    // would show, and what triage recognises as Quell's own action.
    const sessions = harness.standins.sts.sessions;
    expect(sessions.map((session) => session.sessionName)).toEqual([`quell-${incident.id}`]);
    expect(sessions[0]?.roleArn).toBe(
      "arn:aws:iam::000000000000:role/quell-action-local-aws-deactivate-access-key",
    );
    const signers = iam.requests.map(
      (request) => /Credential=([A-Z0-9]+)\//.exec(request.authorization ?? "")?.[1],
    );
    expect(new Set(signers)).toEqual(new Set([sessions[0]?.accessKeyId]));
    expect(incidentOfSession(sessions[0]?.assumedRoleArn ?? "")).toBe(incident.id);

    const applied = incident.timeline.filter((event) => event.kind === "action_applied");
    expect(applied).toEqual([
      expect.objectContaining({
        detail: expect.objectContaining({
          action: "aws.deactivate-access-key",
          output: { userName: LLMJACKED_USER, accessKeyId: LLMJACKED_KEY, previousStatus: "Active" },
        }),
      }),
    ]);
    expect(incident.timeline.at(-1)).toMatchObject({
      kind: "closed",
      summary: expect.stringContaining("mitigated"),
    });
    incidentId = incident.id;
    // The decided card follows the run it approved: done, with Undo.
    await harness.runtime.idle();
    const decided = JSON.stringify(harness.standins.slack.find(card.channel, card.ts)?.blocks);
    expect(decided).toContain(`*Approved* by <@${APPROVER}>`);
    expect(decided).toContain(`"value":"${incident.id}.deactivateKey"`);
    cardAt = { channel: card.channel, ts: card.ts };
  });

  it("`/quell undo` sets the key Active again: exactly one UpdateAccessKey Status=Active, recorded", async () => {
    const runId = `${incidentId}.deactivateKey`;
    const before = harness.standins.iam.requests.length;
    expect(await quell(`undo ${runId}`, "U0OUTSIDER")).toContain("not authorised");
    expect(await quell(`undo ${runId}`)).toContain("Undoing");
    const incident = await harness.incident(incidentId, (view) =>
      view.timeline.some((event) => event.kind === "action_undone"),
    );
    const updates = harness.standins.iam.requests
      .slice(before)
      .filter((request) => (request.body as { Action?: string }).Action === "UpdateAccessKey");
    expect(updates.map((request) => request.body)).toEqual([
      expect.objectContaining({ UserName: LLMJACKED_USER, AccessKeyId: LLMJACKED_KEY, Status: "Active" }),
    ]);
    expect(harness.standins.iam.keyStatus(LLMJACKED_USER, LLMJACKED_KEY)).toBe("Active");
    expect(incident.timeline.filter((event) => event.kind === "action_undone")).toEqual([
      expect.objectContaining({
        actor: APPROVER,
        summary: expect.stringContaining("undone, 1 write(s) applied"),
      }),
    ]);
    // The incident's outcome stays on record; the undo is told beside it.
    expect(incident.status).toBe("mitigated");
    expect(await quell(`undo ${runId}`)).toContain("already undone");
    await harness.runtime.idle();
    const shown = JSON.stringify(harness.standins.slack.find(cardAt.channel, cardAt.ts)?.blocks);
    expect(shown).toContain(`*Undone* by <@${APPROVER}>`);
    expect(shown).not.toContain("quell.undo");
  });

  it("refuses to run a contained-blast-radius-only (`auto`) step with an action that needs a human", async () => {
    const before = harness.standins.iam.requests.length;
    const { handler } = await import("../../functions/actions/aws-deactivate-access-key/handler.js");
    const refused = handler({
      incidentId,
      step: "forgedAutoStep",
      input: { userName: LLMJACKED_USER, accessKeyId: LLMJACKED_KEY },
      approval: "auto",
    });
    await expect(refused).rejects.toMatchObject({ name: "AutoApprovalRefused" });
    expect(harness.standins.iam.requests.length).toBe(before);
  });

  it("an assumed-role session (ASIA… key): four eyes, then one deny policy on the role's older sessions; undo removes it", async () => {
    const iam = harness.standins.iam;
    const keyUpdates = iam.updates.length;
    const cards = harness.standins.slack.messages.length;
    expect((await postEvents(harness, JSON.stringify(sessionFinding("AssumedRole", "18")))).status).toBe(202);
    const card = await approvalCardAfter(harness, cards);
    const blocks = JSON.stringify(card.blocks);
    expect(blocks).toContain("Revoke every current session of the role");
    expect(blocks).toContain(`arn:aws:iam::111122223333:role/${SESSION_ROLE}`);
    const approvalId = approvalIdIn(card.blocks);
    expect(approvalId).toMatch(/\.approveSessionRevocation$/);
    const sessionIncident = approvalId.split(".")[0] as string;
    expect(iam.rolePolicyChanges).toEqual([]);

    // The role is not in the inventory, so Quell cannot tell it is not production: two approvers.
    expect((await harness.click(approvalId, "approve")).status).toBe(200);
    await harness.incident(sessionIncident, (view) =>
      view.timeline.some((event) => event.kind === "approval_vote"),
    );
    expect(iam.rolePolicyChanges).toEqual([]);
    expect((await harness.click(approvalId, "approve", SECOND)).status).toBe(200);
    const incident = await harness.incident(sessionIncident, (view) => view.status === "mitigated");
    expect(incident.approvals[0]).toMatchObject({ status: "approved", approvedBy: [APPROVER, SECOND] });
    expect(iam.rolePolicyChanges).toEqual([
      expect.objectContaining({
        roleName: SESSION_ROLE,
        policyName: `QuellRevokeSessions-${sessionIncident}`,
        change: "put",
        document: {
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "QuellRevokeOlderSessions",
              Effect: "Deny",
              Action: ["*"],
              Resource: ["*"],
              Condition: {
                DateLessThan: { "aws:TokenIssueTime": expect.stringMatching(/^\d{4}-\d\d-\d\dT/) },
              },
            },
          ],
        },
      }),
    ]);
    // No user's key was touched.
    expect(iam.updates).toHaveLength(keyUpdates);

    expect((await harness.click(`${sessionIncident}.revokeSessions`, "undo")).status).toBe(200);
    await harness.incident(sessionIncident, (view) =>
      view.timeline.some((event) => event.kind === "action_undone"),
    );
    expect(iam.rolePolicyChanges.map(({ change, policyName }) => ({ change, policyName }))).toEqual([
      { change: "put", policyName: `QuellRevokeSessions-${sessionIncident}` },
      { change: "delete", policyName: `QuellRevokeSessions-${sessionIncident}` },
    ]);
    expect(iam.rolePolicy(SESSION_ROLE, `QuellRevokeSessions-${sessionIncident}`)).toBeUndefined();
  });

  it("an IAM user's session token (ASIA… key of an IAMUser): a manual-containment card, and IAM is never called", async () => {
    const before = harness.standins.iam.requests.length;
    const cards = harness.standins.slack.messages.length;
    expect((await postEvents(harness, JSON.stringify(sessionFinding("IAMUser", "19")))).status).toBe(202);
    const card = await approvalCardAfter(harness, cards);
    const blocks = JSON.stringify(card.blocks);
    expect(blocks).toContain("contain these credentials by hand");
    expect(blocks).toContain("ASIAEXAMPLEROLE7SE19");
    const approvalId = approvalIdIn(card.blocks);
    expect(approvalId).toMatch(/\.confirmManualContainment$/);

    const incident = await harness.approveAndSettle(approvalId);
    expect(incident.playbook).toBe("contain-llmjacking");
    expect(incident.timeline.some((event) => event.kind.startsWith("action_"))).toBe(false);
    expect(incident.timeline.at(-1)?.summary).toContain("by hand");
    expect(harness.standins.iam.requests.length).toBe(before);
  });
});
