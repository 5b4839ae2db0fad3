import {
  type BedrockClient,
  GetGuardrailCommand,
  type GetGuardrailResponse,
  UpdateGuardrailCommand,
  type UpdateGuardrailRequest,
} from "@aws-sdk/client-bedrock";
import { describe, expect, it } from "vitest";
import { tightenPromptAttackFilter } from "../../functions/actions/bedrock-tighten-prompt-attack-filter/action.js";
import { runAction, runUndo } from "../../functions/actions/run.js";
import { TargetChanged, ValidationError, VerificationFailed } from "../../functions/shared/errors.js";
import { contextWith, recordingClient } from "./action-context-doubles.js";

const ARN = "arn:aws:bedrock:us-east-1:111122223333:guardrail/q7x2k9m4w1ba";
const input = { guardrailIdentifier: ARN };
const DRAFT_READ = {
  command: "GetGuardrailCommand",
  input: { guardrailIdentifier: ARN, guardrailVersion: "DRAFT" },
};

/** A guardrail with every kind of policy GetGuardrail can return, PROMPT_ATTACK at `promptAttack` on prompts. */
function guardrailWith(promptAttack: "NONE" | "LOW" | "MEDIUM" | "HIGH"): GetGuardrailResponse {
  return {
    name: "support-chat-guardrail",
    description: "Input and output guardrail of the support assistant",
    guardrailId: "q7x2k9m4w1ba",
    guardrailArn: ARN,
    version: "DRAFT",
    status: "READY",
    topicPolicy: {
      topics: [
        {
          name: "Refund fraud",
          definition: "Ways to obtain refunds dishonestly",
          examples: ["x"],
          type: "DENY",
        },
      ],
      tier: { tierName: "CLASSIC" },
    },
    contentPolicy: {
      filters: [
        {
          type: "HATE",
          inputStrength: "HIGH",
          outputStrength: "HIGH",
          inputAction: "BLOCK",
          outputAction: "BLOCK",
        },
        {
          type: "PROMPT_ATTACK",
          inputStrength: promptAttack,
          outputStrength: "NONE",
          inputModalities: ["TEXT"],
        },
        { type: "INSULTS", inputStrength: "MEDIUM", outputStrength: "LOW" },
      ],
      tier: { tierName: "STANDARD" },
    },
    wordPolicy: { words: [{ text: "internal-codename" }], managedWordLists: [{ type: "PROFANITY" }] },
    sensitiveInformationPolicy: {
      piiEntities: [{ type: "EMAIL", action: "ANONYMIZE" }],
      regexes: [{ name: "order-id", pattern: "ORD-[0-9]{8}", action: "BLOCK", description: "order ids" }],
    },
    contextualGroundingPolicy: {
      filters: [{ type: "GROUNDING", threshold: 0.75, action: "BLOCK", enabled: true }],
    },
    automatedReasoningPolicy: {
      policies: ["arn:aws:bedrock:us-east-1:111122223333:automated-reasoning-policy/refunds:1"],
      confidenceThreshold: 0.9,
    },
    crossRegionDetails: {
      guardrailProfileId: "us.guardrail.v1:0",
      guardrailProfileArn: "arn:aws:bedrock:us-east-1:111122223333:guardrail-profile/us.guardrail.v1:0",
    },
    createdAt: new Date("2026-10-01T00:00:00Z"),
    updatedAt: new Date("2026-11-01T00:00:00Z"),
    blockedInputMessaging: "Sorry, I can't help with that request.",
    blockedOutputsMessaging: "Sorry, I can't share that.",
    kmsKeyArn: "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
  };
}

/** The UpdateGuardrail that writes `guardrailWith(...)` back with PROMPT_ATTACK at `promptAttack`. */
const fullUpdate = (promptAttack: "NONE" | "LOW" | "MEDIUM" | "HIGH"): UpdateGuardrailRequest => ({
  guardrailIdentifier: ARN,
  name: "support-chat-guardrail",
  description: "Input and output guardrail of the support assistant",
  topicPolicyConfig: {
    topicsConfig: [
      {
        name: "Refund fraud",
        definition: "Ways to obtain refunds dishonestly",
        examples: ["x"],
        type: "DENY",
      },
    ],
    tierConfig: { tierName: "CLASSIC" },
  },
  contentPolicyConfig: {
    filtersConfig: [
      {
        type: "HATE",
        inputStrength: "HIGH",
        outputStrength: "HIGH",
        inputAction: "BLOCK",
        outputAction: "BLOCK",
      },
      {
        type: "PROMPT_ATTACK",
        inputStrength: promptAttack,
        outputStrength: "NONE",
        inputModalities: ["TEXT"],
      },
      { type: "INSULTS", inputStrength: "MEDIUM", outputStrength: "LOW" },
    ],
    tierConfig: { tierName: "STANDARD" },
  },
  wordPolicyConfig: {
    wordsConfig: [{ text: "internal-codename" }],
    managedWordListsConfig: [{ type: "PROFANITY" }],
  },
  sensitiveInformationPolicyConfig: {
    piiEntitiesConfig: [{ type: "EMAIL", action: "ANONYMIZE" }],
    regexesConfig: [{ name: "order-id", pattern: "ORD-[0-9]{8}", action: "BLOCK", description: "order ids" }],
  },
  contextualGroundingPolicyConfig: {
    filtersConfig: [{ type: "GROUNDING", threshold: 0.75, action: "BLOCK", enabled: true }],
  },
  automatedReasoningPolicyConfig: {
    policies: ["arn:aws:bedrock:us-east-1:111122223333:automated-reasoning-policy/refunds:1"],
    confidenceThreshold: 0.9,
  },
  crossRegionConfig: {
    guardrailProfileIdentifier: "arn:aws:bedrock:us-east-1:111122223333:guardrail-profile/us.guardrail.v1:0",
  },
  blockedInputMessaging: "Sorry, I can't help with that request.",
  blockedOutputsMessaging: "Sorry, I can't share that.",
  kmsKeyId: "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
});

/**
 * A Bedrock client double: records every command, answers GetGuardrail with the guardrail and applies an
 * UpdateGuardrail's content filters to it, unless `ignoreUpdates` (a Bedrock that accepts and changes nothing).
 */
function fakeBedrock(guardrail: GetGuardrailResponse, options: { ignoreUpdates?: boolean } = {}) {
  const { client, sent } = recordingClient((command: GetGuardrailCommand | UpdateGuardrailCommand) => {
    if (command instanceof GetGuardrailCommand) return structuredClone(guardrail);
    if (command instanceof UpdateGuardrailCommand) {
      const filters = command.input.contentPolicyConfig?.filtersConfig;
      if (!options.ignoreUpdates) guardrail.contentPolicy = filters ? { filters } : undefined;
      return {
        guardrailId: guardrail.guardrailId,
        guardrailArn: ARN,
        version: "DRAFT",
        updatedAt: new Date(),
      };
    }
    throw new Error(`unexpected command ${String(command)}`);
  });
  const context = contextWith({ bedrock: client as unknown as BedrockClient });
  return { context, sent };
}

const output = (previousInputStrength: string | null) => ({
  guardrailId: "q7x2k9m4w1ba",
  guardrailArn: ARN,
  name: "support-chat-guardrail",
  previousInputStrength,
});

describe("bedrock.tighten-prompt-attack-filter", () => {
  it("reads the DRAFT, writes it back whole with PROMPT_ATTACK at HIGH, then reads it back", async () => {
    const { context, sent } = fakeBedrock(guardrailWith("MEDIUM"));
    const result = await runAction(tightenPromptAttackFilter, input, { dryRun: false, context });
    expect(sent).toEqual([
      DRAFT_READ,
      { command: "UpdateGuardrailCommand", input: fullUpdate("HIGH") },
      // The read-back that verifies the filter is now HIGH.
      DRAFT_READ,
    ]);
    expect(result).toMatchObject({
      mode: "applied",
      output: output("MEDIUM"),
      verified: `guardrail ${ARN} DRAFT: PROMPT_ATTACK input strength HIGH`,
    });
  });

  it("adds a PROMPT_ATTACK filter (HIGH on prompts, NONE on responses) to a guardrail without one", async () => {
    const guardrail = guardrailWith("LOW");
    guardrail.contentPolicy = { filters: [{ type: "HATE", inputStrength: "LOW", outputStrength: "LOW" }] };
    const { context, sent } = fakeBedrock(guardrail);
    const result = await runAction(tightenPromptAttackFilter, input, { dryRun: false, context });
    expect(result.output).toEqual(output(null));
    expect(sent[1]?.input).toHaveProperty("contentPolicyConfig", {
      filtersConfig: [
        { type: "HATE", inputStrength: "LOW", outputStrength: "LOW" },
        { type: "PROMPT_ATTACK", inputStrength: "HIGH", outputStrength: "NONE" },
      ],
    });
  });

  it("gives a guardrail with no content policy one with the PROMPT_ATTACK filter alone", async () => {
    const guardrail = guardrailWith("LOW");
    delete guardrail.contentPolicy;
    const { context, sent } = fakeBedrock(guardrail);
    await runAction(tightenPromptAttackFilter, input, { dryRun: false, context });
    expect(sent[1]?.input).toEqual({
      ...fullUpdate("HIGH"),
      contentPolicyConfig: {
        filtersConfig: [{ type: "PROMPT_ATTACK", inputStrength: "HIGH", outputStrength: "NONE" }],
      },
    });
  });

  it("writes nothing when PROMPT_ATTACK is already HIGH", async () => {
    const { context, sent } = fakeBedrock(guardrailWith("HIGH"));
    const result = await runAction(tightenPromptAttackFilter, input, { dryRun: false, context });
    expect(sent).toEqual([DRAFT_READ]);
    expect(result).toMatchObject({ mode: "applied", writes: [], output: output("HIGH"), verified: null });
  });

  it("in dry run records the UpdateGuardrail it would send, and sends only the read", async () => {
    const { context, sent } = fakeBedrock(guardrailWith("MEDIUM"));
    const result = await runAction(tightenPromptAttackFilter, input, { dryRun: true, context });
    expect(result.mode).toBe("planned");
    expect(result.writes).toEqual([
      { kind: "aws", service: "bedrock", operation: "UpdateGuardrail", input: fullUpdate("HIGH") },
    ]);
    expect(sent).toEqual([DRAFT_READ]);
  });

  it("fails the step when the read-back does not find HIGH (the tightening did not hold)", async () => {
    const { context } = fakeBedrock(guardrailWith("LOW"), { ignoreUpdates: true });
    const run = runAction(tightenPromptAttackFilter, input, { dryRun: false, context });
    await expect(run).rejects.toBeInstanceOf(VerificationFailed);
    await expect(run).rejects.toThrow(
      `read-back found: guardrail ${ARN} DRAFT: PROMPT_ATTACK input strength LOW`,
    );
  });

  it("refuses a malformed guardrail identifier before calling Bedrock", async () => {
    const { context, sent } = fakeBedrock(guardrailWith("LOW"));
    for (const guardrailIdentifier of [
      "Q7X2K9M4W1BA",
      "arn:aws:iam::111122223333:role/x",
      "q7x2k9m4w1ba/../x",
    ]) {
      const run = runAction(tightenPromptAttackFilter, { guardrailIdentifier }, { dryRun: false, context });
      await expect(run).rejects.toBeInstanceOf(ValidationError);
    }
    expect(sent).toEqual([]);
  });

  describe("undo (given the output the applied run recorded)", () => {
    it("reads the DRAFT and writes it back whole with the previous strength", async () => {
      const { context, sent } = fakeBedrock(guardrailWith("HIGH"));
      const result = await runUndo(
        tightenPromptAttackFilter,
        { input, output: output("MEDIUM") },
        { dryRun: false, context },
      );
      expect(sent).toEqual([DRAFT_READ, { command: "UpdateGuardrailCommand", input: fullUpdate("MEDIUM") }]);
      expect(result.writes).toEqual([
        { kind: "aws", service: "bedrock", operation: "UpdateGuardrail", input: fullUpdate("MEDIUM") },
      ]);
    });

    it("removes the PROMPT_ATTACK filter it added, and the content policy when that was its only filter", async () => {
      const guardrail = guardrailWith("HIGH");
      guardrail.contentPolicy = {
        filters: [{ type: "PROMPT_ATTACK", inputStrength: "HIGH", outputStrength: "NONE" }],
        tier: { tierName: "STANDARD" },
      };
      const { context, sent } = fakeBedrock(guardrail);
      await runUndo(tightenPromptAttackFilter, { input, output: output(null) }, { dryRun: false, context });
      const { contentPolicyConfig: _removed, ...rest } = fullUpdate("HIGH");
      expect(sent[1]).toEqual({ command: "UpdateGuardrailCommand", input: rest });
    });

    it("writes nothing when the previous strength is already back", async () => {
      const { context, sent } = fakeBedrock(guardrailWith("MEDIUM"));
      const result = await runUndo(
        tightenPromptAttackFilter,
        { input, output: output("MEDIUM") },
        { dryRun: false, context },
      );
      expect(result.writes).toEqual([]);
      expect(sent).toEqual([DRAFT_READ]);
    });

    it("refuses, writing nothing, when someone changed the filter after Quell set it HIGH", async () => {
      const { context, sent } = fakeBedrock(guardrailWith("LOW"));
      const run = runUndo(
        tightenPromptAttackFilter,
        { input, output: output("MEDIUM") },
        { dryRun: false, context },
      );
      await expect(run).rejects.toBeInstanceOf(TargetChanged);
      await expect(run).rejects.toThrow("PROMPT_ATTACK input strength is LOW, not the HIGH Quell set");
      expect(sent).toEqual([DRAFT_READ]);
    });
  });
});
