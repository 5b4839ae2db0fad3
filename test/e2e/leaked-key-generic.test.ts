import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  LEAKED_ANTHROPIC_KEY_ID,
  LEAKED_AWS_KEY,
  LEAKED_AWS_USER,
} from "../../infra/local/standins/scenario.js";
import { postGenericAlert } from "./generic-alerts.js";
import { approvalCardAfter, approvalIdIn, type Harness, startHarness } from "./harness.js";

const anthropicLeak = JSON.parse(
  readFileSync(
    new URL("../fixtures/generic/leaked-api-key-anthropic-key-in-logs.json", import.meta.url),
    "utf8",
  ),
);
/** The same emitter's alert for another provider's key, fresh (occurredAt now) and deduplicated on its own. */
const leakOf = (principal: { type: string; id: string; provider: string }, n: number) =>
  JSON.stringify({
    ...anthropicLeak,
    id: `01M82GENLEAK0000000000000${n}`,
    occurredAt: new Date(Date.now() - 60_000).toISOString(),
    principal,
    dedupKey: `leaked_api_key:${principal.provider}:${principal.id}`,
  });

describe("a generic emitter's leaked key, named by id (live mode against the loopback stand-ins)", () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({ dryRun: false });
  });
  afterAll(async () => harness?.stop());

  const cardFor = async (body: string) => {
    const since = harness.standins.slack.messages.length;
    expect((await postGenericAlert(harness.runtime.url, body)).status).toBe(202);
    const card = await approvalCardAfter(harness, since);
    return { approvalId: approvalIdIn(card.blocks), shown: JSON.stringify(card.blocks) };
  };

  it("an Anthropic key id: the key read by id, one deactivation, no GitHub call, mitigated", async () => {
    const { approvalId, shown } = await cardFor(
      leakOf({ type: "api_key", id: LEAKED_ANTHROPIC_KEY_ID, provider: "anthropic" }, 1),
    );
    expect(approvalId).toMatch(/\.approveGenericAnthropicKey$/);
    expect(shown).toContain("custom:log-secret-scanner");
    expect(shown).not.toContain("GitHub");
    const incident = await harness.approveAndSettle(approvalId);
    expect(incident.timeline.at(-1)?.summary).toContain("Leaked key disabled at its provider");
    expect(harness.standins.anthropic.updates.map(({ keyId, status }) => ({ keyId, status }))).toEqual([
      { keyId: LEAKED_ANTHROPIC_KEY_ID, status: "inactive" },
    ]);
    // Read by id, never listed; GitHub never asked.
    expect(harness.standins.anthropic.requests.some((r) => r.path === "/v1/organizations/api_keys")).toBe(
      false,
    );
    expect(harness.standins.github.requests).toHaveLength(0);
  });

  it("an AWS access key id: IAM names the user, one UpdateAccessKey", async () => {
    const { approvalId } = await cardFor(leakOf({ type: "api_key", id: LEAKED_AWS_KEY, provider: "aws" }, 2));
    expect(approvalId).toMatch(/\.approveGenericAwsKey$/);
    await harness.approveAndSettle(approvalId);
    expect(
      harness.standins.iam.updates.map(({ userName, accessKeyId, status }) => ({
        userName,
        accessKeyId,
        status,
      })),
    ).toEqual([{ userName: LEAKED_AWS_USER, accessKeyId: LEAKED_AWS_KEY, status: "Inactive" }]);
  });

  it("an unknown Anthropic key id: nothing matches, a human is asked; another provider: a human is asked", async () => {
    const unknown = await cardFor(
      leakOf({ type: "api_key", id: "apikey_01NoSuchKeyAnywhere00", provider: "anthropic" }, 3),
    );
    expect(unknown.approvalId).toMatch(/\.confirmGenericAnthropicKeyByHand$/);
    expect(unknown.shown).toContain("*Matches*\\n0");
    await harness.approveAndSettle(unknown.approvalId);

    const other = await cardFor(
      leakOf({ type: "api_key", id: "hf_fakefakefake", provider: "huggingface" }, 4),
    );
    expect(other.approvalId).toMatch(/\.confirmOtherSourceByHand$/);
    await harness.approveAndSettle(other.approvalId);
    expect(harness.standins.anthropic.updates).toHaveLength(1);
    expect(harness.standins.github.requests).toHaveLength(0);
  });
});
