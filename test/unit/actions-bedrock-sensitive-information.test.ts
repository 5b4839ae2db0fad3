import { BedrockClient, UpdateGuardrailCommand, type UpdateGuardrailRequest } from "@aws-sdk/client-bedrock";
import { afterEach, describe, expect, it } from "vitest";
import {
  piiEntityTypesIn,
  tightenSensitiveInformation,
} from "../../functions/actions/bedrock-tighten-sensitive-information/action.js";
import { runAction, runUndo } from "../../functions/actions/run.js";
import { TargetChanged, ValidationError, VerificationFailed } from "../../functions/shared/errors.js";
import {
  type BedrockStandin,
  type GuardrailSeed,
  startBedrockStandin,
} from "../../infra/local/standins/bedrock.js";
import { GUARDRAIL_ID, guardrailSeed } from "../../infra/local/standins/scenario.js";
import { contextWith, recordingJournal } from "./action-context-doubles.js";

const ARN = `arn:aws:bedrock:us-east-1:111122223333:guardrail/${GUARDRAIL_ID}`;
const CARD = "CREDIT_DEBIT_CARD_NUMBER";

let standin: BedrockStandin | undefined;
let client: BedrockClient | undefined;
afterEach(async () => {
  client?.destroy();
  await standin?.close();
  [client, standin] = [undefined, undefined];
});

/** The Bedrock stand-in with the support guardrail (its sensitive-information entities replaced when given). */
async function bedrock(piiEntities?: Record<string, unknown>[]) {
  const seed: GuardrailSeed = guardrailSeed();
  if (piiEntities) {
    const policy = seed.policies.sensitiveInformationPolicy as Record<string, unknown>;
    policy.piiEntities = piiEntities;
  }
  const started = await startBedrockStandin({
    accountId: "111122223333",
    region: "us-east-1",
    guardrails: [seed],
  });
  standin = started;
  client = new BedrockClient({
    endpoint: started.url,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    maxAttempts: 1,
  });
  const { journal, entries } = recordingJournal();
  return { standin: started, client, context: contextWith({ bedrock: client }, journal), journal: entries };
}

type Json = Record<string, unknown>;
const draft = (bedrockStandin: BedrockStandin) => bedrockStandin.guardrail(GUARDRAIL_ID) as Json;
/** The DRAFT as GetGuardrail returns it, but what an update always changes (its time) and the entities. */
const withoutEntities = ({ updatedAt: _at, sensitiveInformationPolicy, ...rest }: Json) => ({
  ...rest,
  regexes: (sensitiveInformationPolicy as Json | undefined)?.regexes,
});
const entitiesOf = (guardrail: Json) =>
  ((guardrail.sensitiveInformationPolicy as Json | undefined)?.piiEntities ?? []) as Json[];
const byType = (entities: Json[]) =>
  Object.fromEntries(entities.map((entity) => [String(entity.type), entity]));

/**
 * The UpdateGuardrail body (without the identifier, which goes in the path) that writes `before` back as it is, but
 * for its PII entities: each policy renamed from GetGuardrail's spelling to UpdateGuardrail's, member for member.
 */
function bodyKeeping(before: Json, piiEntitiesConfig: Json[]) {
  const policy = (name: string) => before[name] as Json;
  return {
    name: before.name,
    description: before.description,
    topicPolicyConfig: {
      topicsConfig: policy("topicPolicy").topics,
      tierConfig: policy("topicPolicy").tier,
    },
    contentPolicyConfig: {
      filtersConfig: policy("contentPolicy").filters,
      tierConfig: policy("contentPolicy").tier,
    },
    wordPolicyConfig: {
      wordsConfig: policy("wordPolicy").words,
      managedWordListsConfig: policy("wordPolicy").managedWordLists,
    },
    sensitiveInformationPolicyConfig: {
      piiEntitiesConfig,
      regexesConfig: policy("sensitiveInformationPolicy").regexes,
    },
    contextualGroundingPolicyConfig: { filtersConfig: policy("contextualGroundingPolicy").filters },
    crossRegionConfig: { guardrailProfileIdentifier: policy("crossRegionDetails").guardrailProfileArn },
    blockedInputMessaging: before.blockedInputMessaging,
    blockedOutputsMessaging: before.blockedOutputsMessaging,
    kmsKeyId: before.kmsKeyArn,
  };
}

/** What the API reference documents for one GuardrailPiiEntityConfig (the stand-in does not check these). */
function documentedEntityProblem(entity: Json): string | undefined {
  const actions = ["BLOCK", "ANONYMIZE", "NONE"];
  const members = ["type", "action", "inputAction", "outputAction", "inputEnabled", "outputEnabled"];
  const unknown = Object.keys(entity).filter((member) => !members.includes(member));
  if (unknown.length > 0) return `unknown members ${unknown.join(", ")}`;
  if (piiEntityTypesIn(String(entity.type)).join() !== entity.type) return `type ${String(entity.type)}`;
  if (!actions.includes(String(entity.action))) return "action is required: BLOCK | ANONYMIZE | NONE";
  for (const side of ["inputAction", "outputAction"])
    if (entity[side] !== undefined && !actions.includes(String(entity[side]))) return `${side}`;
  for (const side of ["inputEnabled", "outputEnabled"])
    if (entity[side] !== undefined && typeof entity[side] !== "boolean") return `${side}`;
  return undefined;
}

const input = (leakedTypes: string, outputAction: "ANONYMIZE" | "BLOCK" = "ANONYMIZE") => ({
  guardrailIdentifier: ARN,
  leakedTypes,
  outputAction,
});
const NEW_CARD_ENTITY = {
  type: CARD,
  action: "ANONYMIZE",
  inputAction: "NONE",
  inputEnabled: false,
  outputAction: "ANONYMIZE",
  outputEnabled: true,
};

describe("piiEntityTypesIn", () => {
  it("takes only Bedrock PII entity type names out of hostile alert text, each once, in a fixed order", () => {
    expect(piiEntityTypesIn('[{"type":"CREDIT_DEBIT_CARD_NUMBER","masked":"4111…1111"}]')).toEqual([CARD]);
    expect(piiEntityTypesIn("EMAIL,REGEX:order-id")).toEqual(["EMAIL"]);
    expect(piiEntityTypesIn("<!channel> EMAIL")).toEqual(["EMAIL"]);
    expect(piiEntityTypesIn("&lt;!channel&gt; EMAIL *PHONE* `US_SOCIAL_SECURITY_NUMBER`")).toEqual([
      "EMAIL",
      "PHONE",
      "US_SOCIAL_SECURITY_NUMBER",
    ]);
    expect(piiEntityTypesIn("PHONE EMAIL PHONE\nEMAIL")).toEqual(["EMAIL", "PHONE"]);
    expect(piiEntityTypesIn("EMAIL_ADDRESS EMAILS email Email CREDIT_CARD SSN _EMAIL EMAIL2")).toEqual([]);
    expect(piiEntityTypesIn("")).toEqual([]);
    expect(piiEntityTypesIn(`${"A".repeat(8000)} EMAIL`)).toEqual(["EMAIL"]);
  });
});

describe("bedrock.tighten-sensitive-information", () => {
  it("adds the leaked type on responses only, writing every other policy back exactly as the draft had it", async () => {
    const { standin, context } = await bedrock();
    const before = draft(standin);
    const result = await runAction(
      tightenSensitiveInformation,
      input('[{"type":"CREDIT_DEBIT_CARD_NUMBER","masked":"4111…1111"}]'),
      { dryRun: false, context },
    );
    expect(standin.operations()).toEqual(["GetGuardrail", "UpdateGuardrail", "GetGuardrail"]);
    // The stand-in validated the body (independently of the action) and accepted it.
    expect(standin.answered.map((answer) => answer.status)).toEqual([200, 202, 200]);
    const body = standin.updates[0]?.body as Json;
    expect(body).toEqual(bodyKeeping(before, [{ type: "EMAIL", action: "ANONYMIZE" }, NEW_CARD_ENTITY]));
    const entities = (body.sensitiveInformationPolicyConfig as Json).piiEntitiesConfig as Json[];
    expect(entities.map(documentedEntityProblem)).toEqual([undefined, undefined]);

    const after = draft(standin);
    expect(withoutEntities(after)).toEqual(withoutEntities(before));
    expect(byType(entitiesOf(after))).toEqual({
      EMAIL: { type: "EMAIL", action: "ANONYMIZE" },
      [CARD]: NEW_CARD_ENTITY,
    });
    expect(result).toMatchObject({
      mode: "applied",
      output: {
        guardrailId: GUARDRAIL_ID,
        guardrailArn: ARN,
        name: "support-chat-guardrail",
        changed: [{ type: CARD, previous: null, written: NEW_CARD_ENTITY }],
        alreadyStrict: [],
      },
      verified: `guardrail ${ARN} DRAFT, on responses: ${CARD} ANONYMIZE`,
    });
  });

  it("blocks an entity it already masks on responses, keeping its input side", async () => {
    const { standin, context } = await bedrock([
      { type: "EMAIL", action: "ANONYMIZE", inputAction: "BLOCK", inputEnabled: true },
      { type: "PHONE", action: "NONE" },
    ]);
    const result = await runAction(tightenSensitiveInformation, input("EMAIL <!channel> NAME-ish", "BLOCK"), {
      dryRun: false,
      context,
    });
    // NAME-ish is read as NAME: a Bedrock type name, so it is tightened too (the alert said it).
    expect(result.output).toMatchObject({
      changed: [
        {
          type: "EMAIL",
          previous: { type: "EMAIL", action: "ANONYMIZE", inputAction: "BLOCK", inputEnabled: true },
          written: {
            type: "EMAIL",
            action: "ANONYMIZE",
            inputAction: "BLOCK",
            inputEnabled: true,
            outputAction: "BLOCK",
            outputEnabled: true,
          },
        },
        { type: "NAME", previous: null },
      ],
      alreadyStrict: [],
    });
    expect(byType(entitiesOf(draft(standin)))).toEqual({
      EMAIL: {
        type: "EMAIL",
        action: "ANONYMIZE",
        inputAction: "BLOCK",
        inputEnabled: true,
        outputAction: "BLOCK",
        outputEnabled: true,
      },
      PHONE: { type: "PHONE", action: "NONE" },
      NAME: {
        type: "NAME",
        action: "BLOCK",
        inputAction: "NONE",
        inputEnabled: false,
        outputAction: "BLOCK",
        outputEnabled: true,
      },
    });
  });

  it("never loosens: an entity blocked on responses stays blocked when masking is asked, and nothing is sent", async () => {
    const { standin, context } = await bedrock([
      { type: "EMAIL", action: "ANONYMIZE", outputAction: "BLOCK", outputEnabled: true },
      { type: CARD, action: "BLOCK" },
    ]);
    const result = await runAction(tightenSensitiveInformation, input(`EMAIL ${CARD}`), {
      dryRun: false,
      context,
    });
    expect(result).toMatchObject({
      mode: "applied",
      writes: [],
      verified: null,
      output: { changed: [], alreadyStrict: [CARD, "EMAIL"] },
    });
    expect(standin.operations()).toEqual(["GetGuardrail"]);
  });

  it("tightens an entity whose responses are screened but disabled", async () => {
    const { standin, context } = await bedrock([
      { type: "EMAIL", action: "BLOCK", outputAction: "BLOCK", outputEnabled: false },
    ]);
    await runAction(tightenSensitiveInformation, input("EMAIL"), { dryRun: false, context });
    expect(entitiesOf(draft(standin))).toEqual([
      { type: "EMAIL", action: "BLOCK", outputAction: "ANONYMIZE", outputEnabled: true },
    ]);
  });

  it("refuses, sending nothing, when the alert names no Bedrock PII type", async () => {
    const { standin, context } = await bedrock();
    for (const leakedTypes of ["email, credit card", "REGEX:order-id", "<!channel>", ""]) {
      const run = runAction(tightenSensitiveInformation, input(leakedTypes), { dryRun: false, context });
      await expect(run).rejects.toBeInstanceOf(ValidationError);
      await expect(run).rejects.toThrow("the alert names no Amazon Bedrock PII entity type");
    }
    expect(standin.requests).toEqual([]);
  });

  it("in dry run records the UpdateGuardrail it would send, and sends only the read", async () => {
    const { standin, context, journal } = await bedrock();
    const before = draft(standin);
    const result = await runAction(tightenSensitiveInformation, input(CARD), { dryRun: true, context });
    expect(result.mode).toBe("planned");
    expect(result.writes).toEqual([
      {
        kind: "aws",
        service: "bedrock",
        operation: "UpdateGuardrail",
        input: expect.objectContaining({ guardrailIdentifier: ARN }),
      },
    ]);
    const { guardrailIdentifier: _id, ...planned } = (result.writes[0] as { input: Json }).input;
    expect(planned).toEqual(bodyKeeping(before, [{ type: "EMAIL", action: "ANONYMIZE" }, NEW_CARD_ENTITY]));
    expect(standin.operations()).toEqual(["GetGuardrail"]);
    expect(journal).toEqual([]);
  });

  it("fails the step when the read-back does not find the entity tightened (the update did not hold)", async () => {
    const { standin, context } = await bedrock();
    standin.faults.next({
      method: "PUT",
      path: `/guardrails/${encodeURIComponent(ARN)}`,
      status: 202,
      applied: false,
      body: {
        guardrailId: GUARDRAIL_ID,
        guardrailArn: ARN,
        version: "DRAFT",
        updatedAt: new Date().toISOString(),
      },
    });
    const run = runAction(tightenSensitiveInformation, input(`EMAIL ${CARD}`, "BLOCK"), {
      dryRun: false,
      context,
    });
    await expect(run).rejects.toBeInstanceOf(VerificationFailed);
    await expect(run).rejects.toThrow(
      `read-back found: guardrail ${ARN} DRAFT, on responses: ${CARD} NONE, EMAIL ANONYMIZE`,
    );
    expect(standin.faults.fired).toHaveLength(1);
  });

  describe("undo (given the output the applied run recorded)", () => {
    it("puts the previous entity configurations back exactly, and removes the ones it added", async () => {
      const { standin, context } = await bedrock([
        { type: "EMAIL", action: "ANONYMIZE", inputAction: "BLOCK", inputEnabled: true },
        { type: "PHONE", action: "ANONYMIZE" },
      ]);
      const before = draft(standin);
      const applied = await runAction(tightenSensitiveInformation, input(`EMAIL,${CARD}`, "BLOCK"), {
        dryRun: false,
        context,
      });
      expect(applied.output).toMatchObject({ changed: [{ type: CARD }, { type: "EMAIL" }] });
      const result = await runUndo(
        tightenSensitiveInformation,
        { input: applied.input, output: applied.output },
        { dryRun: false, context },
      );
      expect(result.writes).toHaveLength(1);
      expect(standin.updates).toHaveLength(2);
      const after = draft(standin);
      expect(byType(entitiesOf(after))).toEqual(byType(entitiesOf(before)));
      expect(entitiesOf(after)).toHaveLength(2);
      expect(withoutEntities(after)).toEqual(withoutEntities(before));
    });

    it("removes the whole policy when it had none before", async () => {
      const seed = guardrailSeed();
      delete seed.policies.sensitiveInformationPolicy;
      standin = await startBedrockStandin({
        accountId: "111122223333",
        region: "us-east-1",
        guardrails: [seed],
      });
      client = new BedrockClient({
        endpoint: standin.url,
        region: "us-east-1",
        credentials: { accessKeyId: "local", secretAccessKey: "local" },
        maxAttempts: 1,
      });
      const context = contextWith({ bedrock: client });
      const applied = await runAction(tightenSensitiveInformation, input(CARD), { dryRun: false, context });
      expect(entitiesOf(draft(standin))).toEqual([NEW_CARD_ENTITY]);
      expect(draft(standin).sensitiveInformationPolicy).toEqual({ piiEntities: [NEW_CARD_ENTITY] });
      await runUndo(
        tightenSensitiveInformation,
        { input: applied.input, output: applied.output },
        { dryRun: false, context },
      );
      expect(draft(standin)).not.toHaveProperty("sensitiveInformationPolicy");
      expect(standin.updates.at(-1)?.body).not.toHaveProperty("sensitiveInformationPolicyConfig");
    });

    it("refuses, writing nothing, when a human changed one of those entities since", async () => {
      const { standin, client, context, journal } = await bedrock();
      const applied = await runAction(tightenSensitiveInformation, input(`EMAIL ${CARD}`, "BLOCK"), {
        dryRun: false,
        context,
      });
      // A human masks card numbers instead of blocking them (UpdateGuardrail is the console's call too).
      const request = structuredClone(standin.updates[0]?.body ?? {}) as unknown as UpdateGuardrailRequest;
      for (const entity of request.sensitiveInformationPolicyConfig?.piiEntitiesConfig ?? [])
        if (entity.type === CARD) entity.outputAction = "ANONYMIZE";
      await client.send(new UpdateGuardrailCommand({ ...request, guardrailIdentifier: GUARDRAIL_ID }));
      const updates = standin.updates.length;
      const entries = journal.length;
      const run = runUndo(
        tightenSensitiveInformation,
        { input: applied.input, output: applied.output },
        { dryRun: false, context },
      );
      await expect(run).rejects.toBeInstanceOf(TargetChanged);
      await expect(run).rejects.toThrow(
        `guardrail ${ARN} DRAFT: ${CARD} is not as Quell set it (outputs ANONYMIZE): someone changed it since`,
      );
      expect(standin.updates).toHaveLength(updates);
      expect(journal).toHaveLength(entries);
    });

    it("writes nothing when the previous configurations are already back", async () => {
      const { standin, context } = await bedrock();
      const before = draft(standin);
      const applied = await runAction(tightenSensitiveInformation, input(CARD), { dryRun: false, context });
      await runUndo(
        tightenSensitiveInformation,
        { input: applied.input, output: applied.output },
        { dryRun: false, context },
      );
      const again = await runUndo(
        tightenSensitiveInformation,
        { input: applied.input, output: applied.output },
        { dryRun: false, context },
      );
      expect(again.writes).toEqual([]);
      expect(standin.updates).toHaveLength(2);
      expect(entitiesOf(draft(standin))).toEqual(entitiesOf(before));
    });
  });
});
