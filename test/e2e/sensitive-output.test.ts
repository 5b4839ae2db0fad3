import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GUARDRAIL_ID } from "../../infra/local/standins/scenario.js";
import { approvalCardAfter, approvalIdIn, type Harness, startHarness } from "./harness.js";
import { freshSample, postSigned } from "./webhook-samples.js";

type Entity = { type: string; action?: string; outputAction?: string; outputEnabled?: boolean };
const entitiesOf = (guardrail: Record<string, unknown> | undefined): Entity[] =>
  ((guardrail?.sensitiveInformationPolicy as { piiEntities?: Entity[] } | undefined)?.piiEntities ??
    []) as Entity[];

/** The generic card-number leak again as another alert (a new incident), with `changes` applied. */
function leak(id: string, changes: (body: Record<string, unknown>) => void = () => {}) {
  const body = JSON.parse(freshSample("generic", "sensitive-data-leak-card-numbers-in-responses.json"));
  body.id = id;
  body.dedupKey = `sensitive_data_leak:support-chat:usr_f02a9d:${id}`;
  changes(body);
  return JSON.stringify(body);
}

describe("stop-sensitive-output end to end (live)", () => {
  let harness: Harness;
  let original: Record<string, unknown>;
  beforeAll(async () => {
    harness = await startHarness({ dryRun: false });
    original = harness.standins.bedrock.guardrail(GUARDRAIL_ID) ?? {};
  });
  afterAll(async () => harness?.stop());
  const bedrock = () => harness.standins.bedrock;

  it("card numbers leaked in responses: the guardrail masks CREDIT_DEBIT_CARD_NUMBER on outputs, everything else kept; undo restores", async () => {
    expect(entitiesOf(original).map((entity) => entity.type)).toEqual(["EMAIL"]);
    expect((await postSigned(harness, "generic", leak("01M7X10EMG0DHP6DR9DE6ZVD4A"))).status).toBe(202);
    const card = await approvalCardAfter(harness, 0);
    const blocks = JSON.stringify(card.blocks);
    expect(blocks).toContain("Mask the leaked data in this guardrail");
    expect(blocks).toContain("CREDIT_DEBIT_CARD_NUMBER");
    expect(blocks).toContain(GUARDRAIL_ID);
    // Only the read of the draft before the decision.
    expect(bedrock().operations()).toEqual(["GetGuardrail"]);
    const approvalId = approvalIdIn(card.blocks);
    expect(approvalId).toMatch(/\.approveTighten$/);
    const incident = await harness.approveAndSettle(approvalId);
    expect(incident).toMatchObject({ playbook: "stop-sensitive-output", status: "mitigated" });
    expect(
      bedrock()
        .operations()
        .filter((operation) => operation === "UpdateGuardrail"),
    ).toHaveLength(1);
    const after = bedrock().guardrail(GUARDRAIL_ID) ?? {};
    // Every other policy exactly as it was.
    for (const policy of [
      "topicPolicy",
      "contentPolicy",
      "wordPolicy",
      "blockedInputMessaging",
      "blockedOutputsMessaging",
    ])
      expect(after[policy], policy).toEqual(original[policy]);
    expect(entitiesOf(after)).toEqual([
      entitiesOf(original)[0],
      expect.objectContaining({
        type: "CREDIT_DEBIT_CARD_NUMBER",
        outputAction: "ANONYMIZE",
        outputEnabled: true,
      }),
    ]);

    expect(await harness.quell(`undo ${incident.id}.tighten`)).toContain("Undoing");
    await harness.incident(incident.id, (view) =>
      view.timeline.some((event) => event.kind === "action_undone"),
    );
    expect(entitiesOf(bedrock().guardrail(GUARDRAIL_ID))).toEqual(entitiesOf(original));
  });

  it("a system prompt leak asks a human to rotate the secrets the prompt referenced", async () => {
    const updates = bedrock()
      .operations()
      .filter((operation) => operation === "UpdateGuardrail").length;
    expect(
      (
        await postSigned(
          harness,
          "generic",
          freshSample("generic", "system-prompt-leak-canary-token-in-output.json"),
        )
      ).status,
    ).toBe(202);
    const card = await approvalCardAfter(harness, 1);
    const blocks = JSON.stringify(card.blocks);
    expect(blocks).toContain("rotate the secrets it held");
    expect(blocks).toContain("support-chat/escalation-api");
    const approvalId = approvalIdIn(card.blocks);
    expect(approvalId).toMatch(/\.rotatePromptSecrets$/);
    const incident = await harness.approveAndSettle(approvalId);
    expect(incident.status).toBe("mitigated");
    expect(
      bedrock()
        .operations()
        .filter((operation) => operation === "UpdateGuardrail"),
    ).toHaveLength(updates);
  });

  it("undo refuses when a human changed the entity since, and writes nothing", async () => {
    expect(
      (
        await postSigned(
          harness,
          "generic",
          leak("01M7X10EMG0DHP6DR9DE6ZVD4B", (body) => {
            (body.evidence as Record<string, unknown>).matches = [
              { type: "US_SOCIAL_SECURITY_NUMBER", masked: "***-**-6789" },
            ];
          }),
        )
      ).status,
    ).toBe(202);
    const card = await approvalCardAfter(harness, 2);
    expect(JSON.stringify(card.blocks)).toContain("US_SOCIAL_SECURITY_NUMBER");
    const incident = await harness.approveAndSettle(approvalIdIn(card.blocks));
    // A human sets the entity to BLOCK by hand.
    bedrock().updateByHand(GUARDRAIL_ID, (guardrail) => {
      for (const entity of entitiesOf(guardrail))
        if (entity.type === "US_SOCIAL_SECURITY_NUMBER") entity.outputAction = "BLOCK";
    });
    const updates = bedrock()
      .operations()
      .filter((operation) => operation === "UpdateGuardrail").length;
    expect(await harness.quell(`undo ${incident.id}.tighten`)).toContain("Undoing");
    const view = await harness.incident(incident.id, (current) =>
      current.timeline.some((event) => event.kind === "undo_failed"),
    );
    expect(view.timeline.find((event) => event.kind === "undo_failed")?.summary).toContain(
      "does not overwrite",
    );
    expect(
      bedrock()
        .operations()
        .filter((operation) => operation === "UpdateGuardrail"),
    ).toHaveLength(updates);
  });

  it("PII in output flagged by Lakera with no Bedrock guardrail named goes to a human, and nothing is written", async () => {
    const body = JSON.parse(freshSample("lakera", "guard-flagged-prompt-attack.json"));
    body.context.source = "OUTPUT";
    body.context.requestId = "req_lakera_pii_output_1";
    body.result.metadata.request_uuid = "0f6d5c4b-3a29-4e18-9d07-c6b5a4938272";
    for (const item of body.result.breakdown) item.detected = item.detector_type === "pii/email";
    const updates = bedrock()
      .operations()
      .filter((operation) => operation === "UpdateGuardrail").length;
    expect((await postSigned(harness, "lakera", JSON.stringify(body))).status).toBe(202);
    const card = await approvalCardAfter(harness, 3);
    const blocks = JSON.stringify(card.blocks);
    expect(blocks).toContain("review it by hand");
    expect(blocks).toContain("names no Amazon Bedrock guardrail");
    const approvalId = approvalIdIn(card.blocks);
    expect(approvalId).toMatch(/\.reviewByHand$/);
    await harness.approveAndSettle(approvalId);
    expect(
      bedrock()
        .operations()
        .filter((operation) => operation === "UpdateGuardrail"),
    ).toHaveLength(updates);
  });
});
