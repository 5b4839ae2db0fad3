import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GUARDRAIL_ID } from "../../infra/local/standins/scenario.js";
import { promptAttackOf } from "./guardrail-views.js";
import { approvalIdIn, type Harness, startHarness } from "./harness.js";
import { freshSample, postSigned } from "./webhook-samples.js";

describe("tighten-guardrail in dry run, from the bedrock-guardrails detector", () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({ dryRun: true });
  });
  afterAll(async () => harness?.stop());

  it("records the UpdateGuardrail it would send, and sends none", async () => {
    const original = harness.standins.bedrock.guardrail(GUARDRAIL_ID);
    const body = freshSample("bedrock-guardrails", "applyguardrail-intervened-prompt-attack-and-pii.json");
    expect((await postSigned(harness, "bedrock-guardrails", body)).status).toBe(202);
    const card = await harness.standins.slack.waitForMessage(undefined, 15_000);
    const blocks = JSON.stringify(card.blocks);
    expect(blocks).toContain("Dry run");
    for (const fact of [
      GUARDRAIL_ID,
      "support-chat",
      "usr_d31e77",
      "bedrock-guardrails",
      "Attack confidence",
    ])
      expect(blocks).toContain(fact);
    const approvalId = approvalIdIn(card.blocks);
    expect(approvalId).toMatch(/\.approveDetectorTightening$/);
    const incident = await harness.approveAndSettle(approvalId);
    expect(incident.timeline.some((event) => event.kind === "action_applied")).toBe(false);
    const planned = incident.timeline.filter((event) => event.kind === "action_planned");
    expect(planned).toHaveLength(1);
    const writes = planned[0]?.detail?.writes as { input: Record<string, unknown> }[];
    expect(writes).toEqual([
      {
        kind: "aws",
        service: "bedrock",
        operation: "UpdateGuardrail",
        input: expect.objectContaining({ guardrailIdentifier: GUARDRAIL_ID, name: "support-chat-guardrail" }),
      },
    ]);
    // The recorded write carries the whole configuration, PROMPT_ATTACK at HIGH on prompts.
    expect(writes[0]?.input.contentPolicyConfig).toEqual({
      filtersConfig: [
        {
          type: "HATE",
          inputStrength: "HIGH",
          outputStrength: "HIGH",
          inputAction: "BLOCK",
          outputAction: "BLOCK",
        },
        { type: "INSULTS", inputStrength: "MEDIUM", outputStrength: "MEDIUM" },
        { type: "PROMPT_ATTACK", inputStrength: "HIGH", outputStrength: "NONE", inputModalities: ["TEXT"] },
        { type: "MISCONDUCT", inputStrength: "LOW", outputStrength: "MEDIUM" },
      ],
      tierConfig: { tierName: "STANDARD" },
    });
    // The plan read the draft (a read is not a write); nothing changed.
    expect(harness.standins.bedrock.operations()).toEqual(["GetGuardrail"]);
    expect(harness.standins.bedrock.updates).toEqual([]);
    expect(harness.standins.bedrock.guardrail(GUARDRAIL_ID)).toEqual(original);
    expect(promptAttackOf(original ?? {})).toMatchObject({ inputStrength: "MEDIUM" });
  });
});
