import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TAMPERING_KEY, TAMPERING_USER } from "../../infra/local/standins/scenario.js";
import { awsSample, postEvents } from "./aws-events.js";
import { APPROVER, approvalIdIn, type Harness, startHarness } from "./harness.js";

const UPDATE_GUARDRAIL = "bedrock/cloudtrail-updateguardrail-unexpected-principal.json";
const SECOND = "U0SECONDAPPROVER";
/** The Slack user triage's `people` maps to the IAM user who changed the guardrail. */
const CONTRACTOR = "U0CONTRACTOR";

describe("contain-guardrail-tampering end to end (live)", () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({
      dryRun: false,
      approvers: [APPROVER, SECOND, CONTRACTOR],
      triageConfig: {
        people: [
          { slackUserId: CONTRACTOR, identities: [`arn:aws:iam::111122223333:user/${TAMPERING_USER}`] },
        ],
      },
    });
  });
  afterAll(async () => harness?.stop());

  it("CloudTrail UpdateGuardrail by a non-admin: four eyes, the subject excluded, then exactly one UpdateAccessKey", async () => {
    expect((await postEvents(harness, JSON.stringify(awsSample(UPDATE_GUARDRAIL)))).status).toBe(202);
    const card = await harness.standins.slack.waitForMessage(undefined, 15_000);
    const blocks = JSON.stringify(card.blocks);
    expect(blocks).toContain("Deactivate the access key that changed a guardrail");
    expect(blocks).toContain("Four eyes");
    expect(blocks).toContain(`<@${CONTRACTOR}> (subject)`);
    for (const fact of [TAMPERING_USER, TAMPERING_KEY, "UpdateGuardrail", "203.0.113.45"])
      expect(blocks).toContain(fact);
    expect(harness.standins.iam.updates).toEqual([]);

    const approvalId = approvalIdIn(card.blocks);
    expect(approvalId).toMatch(/\.approveDeactivation$/);
    const incidentId = approvalId.split(".")[0] as string;
    // The person who changed the guardrail may not decide; one approver alone is not enough.
    expect((await harness.click(approvalId, "approve", CONTRACTOR)).status).toBe(200);
    expect((await harness.click(approvalId, "approve")).status).toBe(200);
    expect((await harness.click(approvalId, "approve")).status).toBe(200);
    const waiting = await harness.incident(incidentId);
    expect(waiting.status).toBe("awaiting_approval");
    expect(harness.standins.iam.updates).toEqual([]);

    expect((await harness.click(approvalId, "approve", SECOND)).status).toBe(200);
    const incident = await harness.incident(incidentId, (view) => view.status === "mitigated");
    expect(incident.playbook).toBe("contain-guardrail-tampering");
    expect(harness.standins.iam.updates).toEqual([
      expect.objectContaining({ userName: TAMPERING_USER, accessKeyId: TAMPERING_KEY, status: "Inactive" }),
    ]);
    expect(incident.timeline.map((event) => event.kind)).toEqual(
      expect.arrayContaining([
        "approval_refused",
        "approval_vote",
        "action_applied",
        "action_verified",
        "closed",
      ]),
    );
    expect(harness.standins.sts.sessions.map((session) => session.sessionName)).toEqual([
      `quell-${incidentId}`,
    ]);
  });
});
