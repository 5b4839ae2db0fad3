import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  LEAKED_ANTHROPIC_KEY_ID,
  LEAKED_ANTHROPIC_SECRET,
  LEAKED_AWS_KEY,
  LEAKED_AWS_USER,
  LEAKED_BEDROCK_CREDENTIAL,
  LEAKED_BEDROCK_SECRET,
  LEAKED_BEDROCK_USER,
} from "../../infra/local/standins/scenario.js";
import { approvalCardAfter, approvalIdIn, type Harness, startHarness } from "./harness.js";

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/github/${name}.json`, import.meta.url), "utf8");

/** Post a GitHub webhook and return the approval card it leads to, with its approval id and incident id. */
async function cardFor(harness: Harness, webhook: string) {
  const since = harness.standins.slack.messages.length;
  expect((await harness.postGitHub(webhook)).status).toBe(202);
  const card = await approvalCardAfter(harness, since);
  const approvalId = approvalIdIn(card.blocks);
  return {
    card,
    approvalId,
    incidentId: approvalId.split(".")[0] as string,
    shown: JSON.stringify(card.blocks),
  };
}

const patchesOf = (harness: Harness, alertNumber: number) =>
  harness.standins.github.requests.filter(
    (request) =>
      request.method === "PATCH" && request.path.endsWith(`/secret-scanning/alerts/${alertNumber}`),
  );

describe("leaked keys of every provider (live mode against the loopback stand-ins)", () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({ dryRun: false });
  });
  afterAll(async () => harness?.stop());

  it("Anthropic, publicly leaked: critical, the key found by its hint, one deactivation, GitHub resolved, undo", async () => {
    const { card, approvalId, incidentId, shown } = await cardFor(
      harness,
      fixture("secret-scanning-alert-publicly-leaked-anthropic-key"),
    );
    expect(approvalId).toBe(`${incidentId}.approveAnthropicKey`);
    // Publicly leaked is critical: the whole channel is notified at once.
    expect(card.text).toMatch(/^<!here> Approval needed: /);
    expect(shown).toContain("Deactivate the leaked Anthropic key");
    expect(shown).toContain("sk-ant-api03-EVA...57AA");
    expect(shown).not.toContain(LEAKED_ANTHROPIC_SECRET);

    const incident = await harness.approveAndSettle(approvalId);
    expect(incident).toMatchObject({ severity: "critical" });
    expect(JSON.stringify(incident)).not.toContain(LEAKED_ANTHROPIC_SECRET);
    const anthropic = harness.standins.anthropic;
    expect(anthropic.updates.map(({ keyId, status }) => ({ keyId, status }))).toEqual([
      { keyId: LEAKED_ANTHROPIC_KEY_ID, status: "inactive" },
    ]);
    const posts = anthropic.requests.filter((request) => request.method === "POST");
    expect(posts).toEqual([
      expect.objectContaining({
        path: `/v1/organizations/api_keys/${LEAKED_ANTHROPIC_KEY_ID}`,
        body: { status: "inactive" },
        authorization: undefined,
      }),
    ]);
    // Every key of the organisation was looked at: the listing was paged to its end, never guessed.
    expect(anthropic.requests.some((request) => request.path === "/v1/organizations/api_keys")).toBe(true);
    expect(patchesOf(harness, 57).map((request) => request.body)).toEqual([
      expect.objectContaining({ state: "resolved", resolution: "revoked" }),
    ]);
    // Never another provider's lookup.
    expect(harness.standins.openai.requests).toHaveLength(0);

    expect((await harness.click(`${incidentId}.disableAnthropicKey`, "undo")).status).toBe(200);
    await harness.incident(incidentId, (view) =>
      view.timeline.some((event) => event.kind === "action_undone"),
    );
    expect(anthropic.keyStatus(LEAKED_ANTHROPIC_KEY_ID)).toBe("active");
    expect(anthropic.updates.map(({ status }) => status)).toEqual(["inactive", "active"]);
  });

  it("an AWS access key: IAM names its user, one UpdateAccessKey to Inactive, GitHub resolved", async () => {
    const { card, approvalId, shown } = await cardFor(
      harness,
      fixture("secret-scanning-alert-created-aws-access-key"),
    );
    expect(approvalId).toMatch(/\.approveAwsKey$/);
    expect(card.text).toMatch(/^Approval needed: /);
    expect(shown).toContain(LEAKED_AWS_USER);
    expect(shown).toContain(LEAKED_AWS_KEY);

    await harness.approveAndSettle(approvalId);
    const iam = harness.standins.iam;
    expect(iam.actions()).toContain("GetAccessKeyLastUsed");
    expect(
      iam.updates.map(({ userName, accessKeyId, status }) => ({ userName, accessKeyId, status })),
    ).toEqual([{ userName: LEAKED_AWS_USER, accessKeyId: LEAKED_AWS_KEY, status: "Inactive" }]);
    expect(patchesOf(harness, 43)).toHaveLength(1);
  });

  it("an Amazon Bedrock API key: matched by its alias, one UpdateServiceSpecificCredential, undo sets it Active", async () => {
    const { approvalId, incidentId, shown } = await cardFor(
      harness,
      fixture("secret-scanning-alert-created-bedrock-api-key"),
    );
    expect(approvalId).toBe(`${incidentId}.approveBedrockKey`);
    expect(shown).toContain(LEAKED_BEDROCK_CREDENTIAL);
    expect(shown).not.toContain(LEAKED_BEDROCK_SECRET);

    await harness.approveAndSettle(approvalId);
    const iam = harness.standins.iam;
    expect(
      iam.serviceCredentialUpdates.map(({ userName, serviceSpecificCredentialId, status }) => ({
        userName,
        serviceSpecificCredentialId,
        status,
      })),
    ).toEqual([
      {
        userName: LEAKED_BEDROCK_USER,
        serviceSpecificCredentialId: LEAKED_BEDROCK_CREDENTIAL,
        status: "Inactive",
      },
    ]);
    expect(iam.serviceCredentialStatus("ACCAEXAMPLEBEDROCK0099")).toBe("Active");

    expect((await harness.click(`${incidentId}.disableBedrockKey`, "undo")).status).toBe(200);
    await harness.incident(incidentId, (view) =>
      view.timeline.some((event) => event.kind === "action_undone"),
    );
    expect(iam.serviceCredentialStatus(LEAKED_BEDROCK_CREDENTIAL)).toBe("Active");
  });

  it("a temporary AWS key: no IAM user to act on, a human contains it and the card says why", async () => {
    const writesBefore = harness.standins.iam.updates.length;
    const { approvalId, shown } = await cardFor(
      harness,
      fixture("secret-scanning-alert-created-aws-temporary-key"),
    );
    expect(approvalId).toMatch(/\.confirmAwsKeyByHand$/);
    expect(shown).toContain("temporary key (ASIA");
    await harness.approveAndSettle(approvalId);
    expect(harness.standins.iam.updates).toHaveLength(writesBefore);
    expect(patchesOf(harness, 45).map((request) => request.body)).toEqual([
      expect.objectContaining({ resolution_comment: "Key revoked by hand; confirmed in Quell." }),
    ]);
  });

  it("a provider Quell cannot reach (Azure OpenAI): a card that says so, and no provider is asked", async () => {
    const asked = () =>
      harness.standins.openai.requests.length +
      harness.standins.anthropic.requests.length +
      harness.standins.iam.requests.length;
    const before = asked();
    const { approvalId, shown } = await cardFor(
      harness,
      fixture("secret-scanning-alert-created-unsupported-provider-key"),
    );
    expect(approvalId).toMatch(/\.confirmUnsupportedKeyByHand$/);
    expect(shown).toContain("Quell cannot disable this kind of key");
    expect(shown).toContain("azure-openai");
    await harness.approveAndSettle(approvalId);
    expect(asked()).toBe(before);
  });
});
