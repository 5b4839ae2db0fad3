import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webhookBody } from "../../infra/local/standins/scenario.js";
import { approvalCardAfter, approvalIdIn, type Harness, startHarness } from "./harness.js";

const KEY_PATH = "/v1/organization/projects/proj_support_chat/api_keys/key_support_prod";

describe("a provider that applies a write but answers 500 (live mode, loopback stand-ins)", () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({ dryRun: false });
  });
  afterAll(async () => harness?.stop());

  it("keeps Quell's first write on the timeline: attempted, failed with 500, then the retry's replan", async () => {
    // The key is deleted, and OpenAI's answer is lost to a 500.
    harness.standins.openai.faults.next({ method: "DELETE", path: KEY_PATH, status: 500, applied: true });
    expect((await harness.postGitHub(webhookBody())).status).toBe(202);
    const approvalId = approvalIdIn((await approvalCardAfter(harness, 0)).blocks);

    const incident = await harness.approveAndSettle(approvalId);
    expect(harness.standins.openai.requests.filter((request) => request.method === "DELETE")).toHaveLength(1);
    expect(harness.standins.openai.faults.fired).toHaveLength(1);

    const revoke = incident.timeline.filter((event) => event.detail?.step === "revokeKey");
    expect(revoke.map(({ kind, summary }) => ({ kind, summary }))).toEqual([
      {
        kind: "write_attempted",
        summary: `openai.revoke-project-key: sending DELETE ${harness.standins.openai.url}${KEY_PATH}`,
      },
      {
        kind: "write_settled",
        summary: expect.stringContaining(`DELETE ${harness.standins.openai.url}${KEY_PATH} failed (500)`),
      },
      // Step Functions retried the TransientError: the key was gone, so the replan had nothing to write.
      { kind: "action_applied", summary: "openai.revoke-project-key: done, nothing to write" },
    ]);
    expect(revoke[1]?.detail?.outcome).toEqual({
      ok: false,
      error: "TransientError",
      message: `DELETE ${KEY_PATH} answered 500`,
      status: 500,
    });
    const kinds = incident.timeline.map((event) => event.kind);
    expect(kinds.indexOf("approval_decided")).toBeLessThan(kinds.indexOf("write_attempted"));
    expect(kinds.at(-1)).toBe("closed");
  });
});
