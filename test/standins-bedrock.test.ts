import {
  BedrockClient,
  GetGuardrailCommand,
  UpdateGuardrailCommand,
  type UpdateGuardrailRequest,
} from "@aws-sdk/client-bedrock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type BedrockStandin, startBedrockStandin } from "../infra/local/standins/bedrock.js";
import {
  GUARDRAIL_ACCOUNT,
  GUARDRAIL_ID,
  GUARDRAIL_REGION,
  guardrailSeed,
} from "../infra/local/standins/scenario.js";

const ARN = `arn:aws:bedrock:${GUARDRAIL_REGION}:${GUARDRAIL_ACCOUNT}:guardrail/${GUARDRAIL_ID}`;

/** The smallest valid UpdateGuardrail: a name, the blocked messages and one content filter. */
const minimalUpdate = (changes: Partial<UpdateGuardrailRequest> = {}): UpdateGuardrailRequest => ({
  guardrailIdentifier: GUARDRAIL_ID,
  name: "support-chat-guardrail",
  blockedInputMessaging: "Blocked.",
  blockedOutputsMessaging: "Blocked.",
  contentPolicyConfig: {
    filtersConfig: [{ type: "PROMPT_ATTACK", inputStrength: "HIGH", outputStrength: "NONE" }],
  },
  ...changes,
});

describe("Bedrock stand-in, through the AWS SDK's Bedrock client", () => {
  let standin: BedrockStandin;
  let bedrock: BedrockClient;
  beforeEach(async () => {
    standin = await startBedrockStandin({
      accountId: GUARDRAIL_ACCOUNT,
      region: GUARDRAIL_REGION,
      guardrails: [guardrailSeed()],
    });
    bedrock = new BedrockClient({
      endpoint: standin.url,
      region: GUARDRAIL_REGION,
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
  });
  afterEach(async () => {
    bedrock.destroy();
    await standin.close();
  });

  it("GetGuardrail answers the seeded DRAFT by id and by ARN", async () => {
    for (const guardrailIdentifier of [GUARDRAIL_ID, ARN]) {
      const guardrail = await bedrock.send(
        new GetGuardrailCommand({ guardrailIdentifier, guardrailVersion: "DRAFT" }),
      );
      const { policies, kmsKeyArn, ...named } = guardrailSeed();
      expect(guardrail).toMatchObject({
        ...named,
        ...policies,
        kmsKeyArn,
        guardrailArn: ARN,
        version: "DRAFT",
      });
      expect(guardrail.status).toBe("READY");
      expect(guardrail.updatedAt).toBeInstanceOf(Date);
    }
    expect(standin.operations()).toEqual(["GetGuardrail", "GetGuardrail"]);
    expect(standin.requests[1]).toMatchObject({
      method: "GET",
      path: `/guardrails/${encodeURIComponent(ARN)}`,
      query: { guardrailVersion: "DRAFT" },
      authorization: expect.stringMatching(
        /^AWS4-HMAC-SHA256 Credential=local\/\d{8}\/us-east-1\/bedrock\/aws4_request, /,
      ),
    });
  });

  it("UpdateGuardrail replaces the whole DRAFT: a policy the body leaves out is gone", async () => {
    const answer = await bedrock.send(
      new UpdateGuardrailCommand(minimalUpdate({ guardrailIdentifier: ARN })),
    );
    expect(answer).toMatchObject({ guardrailId: GUARDRAIL_ID, guardrailArn: ARN, version: "DRAFT" });
    const guardrail = standin.guardrail(GUARDRAIL_ID);
    expect(guardrail).toMatchObject({
      name: "support-chat-guardrail",
      contentPolicy: { filters: [{ type: "PROMPT_ATTACK", inputStrength: "HIGH", outputStrength: "NONE" }] },
    });
    for (const gone of [
      "description",
      "topicPolicy",
      "wordPolicy",
      "sensitiveInformationPolicy",
      "kmsKeyArn",
    ])
      expect(guardrail).not.toHaveProperty(gone);
    expect(standin.updates).toEqual([
      expect.objectContaining({
        guardrailId: GUARDRAIL_ID,
        body: expect.objectContaining({ name: "support-chat-guardrail" }),
      }),
    ]);
    expect(standin.requests.at(-1)).toMatchObject({ method: "PUT", contentType: "application/json" });
  });

  it.each([
    [
      "PROMPT_ATTACK with an output strength",
      minimalUpdate({
        contentPolicyConfig: {
          filtersConfig: [{ type: "PROMPT_ATTACK", inputStrength: "HIGH", outputStrength: "LOW" }],
        },
      }),
      "The output strength of the PROMPT_ATTACK content filter must be NONE.",
    ],
    [
      "no content filter",
      minimalUpdate({ contentPolicyConfig: { filtersConfig: [] } }),
      "at 'contentPolicyConfig.filtersConfig' failed to satisfy constraint: Member must have length between 1 and 6",
    ],
    [
      "a strength that does not exist",
      minimalUpdate({
        contentPolicyConfig: {
          filtersConfig: [{ type: "HATE", inputStrength: "EXTREME" as "HIGH", outputStrength: "HIGH" }],
        },
      }),
      "Value 'EXTREME' at 'contentPolicyConfig.filtersConfig.1.member.inputStrength' failed to satisfy constraint",
    ],
    [
      "a name with spaces",
      minimalUpdate({ name: "support chat" }),
      "Value 'support chat' at 'name' failed to satisfy constraint",
    ],
  ])("refuses an update with %s (ValidationException), changing nothing", async (_name, request, message) => {
    const before = standin.guardrail(GUARDRAIL_ID);
    const refused = bedrock.send(new UpdateGuardrailCommand(request));
    await expect(refused).rejects.toMatchObject({
      name: "ValidationException",
      $metadata: { httpStatusCode: 400 },
    });
    await expect(refused).rejects.toThrow(message);
    expect(standin.guardrail(GUARDRAIL_ID)).toEqual(before);
    expect(standin.updates).toEqual([]);
  });

  it("does not find another guardrail, another account's ARN, or a numbered version", async () => {
    for (const [guardrailIdentifier, guardrailVersion] of [
      ["zz9zz9zz9zz9", "DRAFT"],
      [ARN.replace(GUARDRAIL_ACCOUNT, "444455556666"), "DRAFT"],
      [GUARDRAIL_ID, "3"],
    ]) {
      await expect(
        bedrock.send(new GetGuardrailCommand({ guardrailIdentifier, guardrailVersion })),
      ).rejects.toMatchObject({
        name: "ResourceNotFoundException",
        $metadata: { httpStatusCode: 404 },
      });
    }
  });

  it("refuses a request without a SigV4 Authorization header for bedrock (403)", async () => {
    const unsigned = await fetch(`${standin.url}/guardrails/${GUARDRAIL_ID}`);
    expect(unsigned.status).toBe(403);
    expect(unsigned.headers.get("x-amzn-errortype")).toBe("MissingAuthenticationTokenException");
    const otherService = await fetch(`${standin.url}/guardrails/${GUARDRAIL_ID}`, {
      headers: {
        authorization: `AWS4-HMAC-SHA256 Credential=local/20261126/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=${"0".repeat(64)}`,
      },
    });
    expect(otherService.status).toBe(403);
    expect(await otherService.json()).toEqual({
      message: expect.stringContaining("not a SigV4 signature for bedrock"),
    });
  });
});
