import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { anthropicKeysSeed, LEAKED_ANTHROPIC_SECRET } from "../../infra/local/standins/scenario.js";
import { approvalCardAfter, approvalIdIn, type Harness, startHarness } from "./harness.js";

const webhook = readFileSync(
  new URL("../fixtures/github/secret-scanning-alert-publicly-leaked-anthropic-key.json", import.meta.url),
  "utf8",
);

describe("an Anthropic secret whose hint matches two keys (live mode)", () => {
  let harness: Harness;
  beforeAll(async () => {
    const twin = `${LEAKED_ANTHROPIC_SECRET.slice(0, 16)}TWINtwinTWIN${LEAKED_ANTHROPIC_SECRET.slice(-60)}`;
    harness = await startHarness({
      dryRun: false,
      anthropicKeys: [
        ...anthropicKeysSeed(),
        { id: "apikey_01EvalNotebooksTwin9", name: "twin", secret: twin },
      ],
    });
  });
  afterAll(async () => harness?.stop());

  it("does not guess: a human deactivates it by hand, Deny leaves every key and the GitHub alert as they were", async () => {
    expect((await harness.postGitHub(webhook)).status).toBe(202);
    const card = await approvalCardAfter(harness, 0);
    const approvalId = approvalIdIn(card.blocks);
    const shown = JSON.stringify(card.blocks);
    expect(approvalId).toMatch(/\.confirmAnthropicKeyByHand$/);
    expect(shown).toContain("No single Anthropic key matches");
    expect(shown).toContain("*Matches*\\n2");
    expect((await harness.submitDenyReason(approvalId, "already rotated by the owner")).status).toBe(200);
    await harness.incident(approvalId.split(".")[0] as string, (view) => view.status === "denied");
    expect(harness.standins.anthropic.updates).toHaveLength(0);
    expect(harness.standins.github.requests.filter((request) => request.method === "PATCH")).toHaveLength(0);
  });
});
