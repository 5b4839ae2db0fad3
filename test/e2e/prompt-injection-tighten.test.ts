import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GUARDRAIL_ID } from "../../infra/local/standins/scenario.js";
import { awsSample, PROMPT_INJECTION, postEvents } from "./aws-events.js";
import { guardrailWithPromptAttack, promptAttackOf } from "./guardrail-views.js";
import { APPROVER, approvalCardAfter, approvalIdIn, type Harness, startHarness } from "./harness.js";
import { freshSample, postSigned } from "./webhook-samples.js";

const ARN = `arn:aws:bedrock:us-east-1:111122223333:guardrail/${GUARDRAIL_ID}`;

describe("tighten-guardrail end to end (live)", () => {
  let harness: Harness;
  let incidentId: string;
  /** The guardrail's DRAFT before anything ran, as GetGuardrail answers it. */
  let original: Record<string, unknown>;
  beforeAll(async () => {
    harness = await startHarness({ dryRun: false });
    original = harness.standins.bedrock.guardrail(GUARDRAIL_ID) ?? {};
  });
  afterAll(async () => harness?.stop());
  const updates = (from = 0) =>
    harness.standins.bedrock.requests.slice(from).filter((request) => request.method === "PUT");

  it("GuardDuty PromptInjection.Direct: approval card, Approve, exactly one UpdateGuardrail with PROMPT_ATTACK HIGH", async () => {
    expect(promptAttackOf(original)).toMatchObject({ inputStrength: "MEDIUM" });
    expect((await postEvents(harness, JSON.stringify(awsSample(PROMPT_INJECTION)))).status).toBe(202);
    const card = await harness.standins.slack.waitForMessage(undefined, 15_000);
    const blocks = JSON.stringify(card.blocks);
    expect(blocks).toContain("Tighten the Bedrock guardrail against prompt attacks");
    for (const fact of [
      ARN,
      "Guardrail version",
      "arn:aws:iam::111122223333:role/support-chat-app-role",
      "aws.guardduty",
      "Impact:IAMUser/PromptInjection.Direct",
      "203.0.113.20",
    ]) {
      expect(blocks).toContain(fact);
    }
    // Nothing is read or written before the decision.
    expect(harness.standins.bedrock.requests).toEqual([]);

    const approvalId = approvalIdIn(card.blocks);
    expect(approvalId).toMatch(/\.approveGuardDutyTightening$/);
    const incident = await harness.approveAndSettle(approvalId);
    expect(incident).toMatchObject({ playbook: "tighten-guardrail", status: "mitigated" });
    expect(incident.approvals).toEqual([
      expect.objectContaining({ status: "approved", decidedBy: APPROVER }),
    ]);

    const bedrock = harness.standins.bedrock;
    // Read the draft, write it back, then the read-back that verifies PROMPT_ATTACK is HIGH.
    expect(bedrock.operations()).toEqual(["GetGuardrail", "UpdateGuardrail", "GetGuardrail"]);
    expect(updates()).toEqual([
      expect.objectContaining({
        path: `/guardrails/${encodeURIComponent(ARN)}`,
        contentType: "application/json",
        authorization: expect.stringMatching(
          /^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/us-east-1\/bedrock\/aws4_request, /,
        ),
      }),
    ]);
    // Every other policy, message, key and description exactly as it was; PROMPT_ATTACK HIGH on prompts.
    expect(bedrock.guardrail(GUARDRAIL_ID)).toEqual({
      ...guardrailWithPromptAttack(original, "HIGH"),
      updatedAt: expect.any(String),
    });

    const applied = incident.timeline.filter((event) => event.kind === "action_applied");
    expect(applied).toEqual([
      expect.objectContaining({
        detail: expect.objectContaining({
          action: "bedrock.tighten-prompt-attack-filter",
          output: {
            guardrailId: GUARDRAIL_ID,
            guardrailArn: ARN,
            name: "support-chat-guardrail",
            previousInputStrength: "MEDIUM",
          },
        }),
      }),
    ]);
    expect(incident.timeline.filter((event) => event.kind === "action_verified")).toEqual([
      expect.objectContaining({ summary: expect.stringContaining("PROMPT_ATTACK input strength HIGH") }),
    ]);
    expect(incident.timeline.at(-1)).toMatchObject({
      kind: "closed",
      summary: expect.stringContaining("mitigated"),
    });
    incidentId = incident.id;
  });

  it("`/quell undo` puts MEDIUM back with exactly one more UpdateGuardrail, every other setting kept", async () => {
    const runId = `${incidentId}.tightenGuardDutyGuardrail`;
    const before = harness.standins.bedrock.requests.length;
    expect(await harness.quell(`undo ${runId}`, "U0OUTSIDER")).toContain("not authorised");
    expect(harness.standins.bedrock.requests.length).toBe(before);
    expect(await harness.quell(`undo ${runId}`)).toContain("Undoing");
    const incident = await harness.incident(incidentId, (view) =>
      view.timeline.some((event) => event.kind === "action_undone"),
    );
    expect(harness.standins.bedrock.operations().slice(before)).toEqual(["GetGuardrail", "UpdateGuardrail"]);
    expect(updates(before)).toHaveLength(1);
    expect(harness.standins.bedrock.guardrail(GUARDRAIL_ID)).toEqual({
      ...original,
      updatedAt: expect.any(String),
    });
    expect(incident.timeline.filter((event) => event.kind === "action_undone")).toEqual([
      expect.objectContaining({
        actor: APPROVER,
        summary: expect.stringContaining("undone, 1 write(s) applied"),
      }),
    ]);
    // The incident's outcome stays on record; the undo is told beside it.
    expect(incident.status).toBe("mitigated");
    expect(await harness.quell(`undo ${runId}`)).toContain("already undone");
  });

  it("a prompt injection that names no Bedrock guardrail (Lakera): a review-by-hand card, and Bedrock is never called", async () => {
    const before = harness.standins.bedrock.requests.length;
    const cards = harness.standins.slack.messages.length;
    const answer = await postSigned(
      harness,
      "lakera",
      freshSample("lakera", "guard-flagged-prompt-attack.json"),
    );
    expect(answer.status).toBe(202);
    const card = await approvalCardAfter(harness, cards);
    expect(JSON.stringify(card.blocks)).toContain("Prompt injection: review it by hand");
    const approvalId = approvalIdIn(card.blocks);
    expect(approvalId).toMatch(/\.reviewByHand$/);
    const incident = await harness.approveAndSettle(approvalId);
    expect(incident.playbook).toBe("tighten-guardrail");
    expect(incident.timeline.some((event) => event.kind.startsWith("action_"))).toBe(false);
    expect(incident.timeline.at(-1)?.summary).toContain("by hand");
    expect(harness.standins.bedrock.requests.length).toBe(before);
  });
});
