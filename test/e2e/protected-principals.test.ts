import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROTECTED_PRINCIPALS_ENV } from "../../functions/shared/protected-principals.js";
import { LEAKED_AWS_USER, LLMJACKED_USER } from "../../infra/local/standins/scenario.js";
import { ANOMALOUS_INVOCATION, awsSample, postEvents } from "./aws-events.js";
import { approvalCardAfter, approvalIdIn, type Harness, startHarness } from "./harness.js";

const awsKeyAlert = readFileSync(
  new URL("../fixtures/github/secret-scanning-alert-created-aws-access-key.json", import.meta.url),
  "utf8",
);

describe("protected principals: never contained, automatically or by approval (live mode)", () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({
      dryRun: false,
      env: {
        [PROTECTED_PRINCIPALS_ENV]: `arn:aws:iam::111122223333:user/${LLMJACKED_USER},svc-eval-*`,
      },
    });
  });
  afterAll(async () => harness?.stop());

  const writesToIam = () =>
    harness.standins.iam.actions().filter((action) => /^(Update|Put|Delete)/.test(action));

  it("LLMjacking by a protected user: the card says it is protected and asks a human; IAM is never written", async () => {
    const cards = harness.standins.slack.messages.length;
    expect((await postEvents(harness, JSON.stringify(awsSample(ANOMALOUS_INVOCATION)))).status).toBe(202);
    const card = await approvalCardAfter(harness, cards);
    const shown = JSON.stringify(card.blocks);
    const approvalId = approvalIdIn(card.blocks);
    expect(approvalId).toMatch(/\.confirmProtectedByHand$/);
    expect(shown).toContain("is protected");
    expect(shown).toContain(`arn:aws:iam::111122223333:user/${LLMJACKED_USER}`);
    const incident = await harness.approveAndSettle(approvalId);
    expect(incident.timeline.at(-1)?.summary).toContain("by hand");
    expect(writesToIam()).toEqual([]);
  });

  it("a leaked AWS key of a protected user (by pattern): found, then a by-hand card; no UpdateAccessKey", async () => {
    const cards = harness.standins.slack.messages.length;
    expect((await harness.postGitHub(awsKeyAlert)).status).toBe(202);
    const card = await approvalCardAfter(harness, cards);
    const shown = JSON.stringify(card.blocks);
    expect(approvalIdIn(card.blocks)).toMatch(/\.confirmProtectedAwsKeyByHand$/);
    expect(shown).toContain("A protected key leaked");
    expect(shown).toContain(LEAKED_AWS_USER);
    expect(shown).toContain("svc-eval-*");
    expect(harness.standins.iam.actions()).toContain("GetAccessKeyLastUsed");
    await harness.approveAndSettle(approvalIdIn(card.blocks));
    expect(writesToIam()).toEqual([]);
  });
});
