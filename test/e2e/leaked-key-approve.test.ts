import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LEAKED_SECRET, webhookBody } from "../../infra/local/standins/scenario.js";
import { APPROVED_RUN_TIMELINE, APPROVER, type Harness, startHarness } from "./harness.js";

describe("leaked OpenAI key, approved (live mode against the loopback stand-ins)", () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({ dryRun: false });
  });
  afterAll(async () => harness?.stop());

  it("travels webhook → triage → approval card → click → revoke → GitHub resolved → mitigated", async () => {
    const accepted = await harness.postGitHub(webhookBody());
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({ status: "accepted", alertId: expect.stringMatching(/^alr_/) });

    const card = await harness.standins.slack.waitForMessage(undefined, 15_000);
    const button = JSON.stringify(card.blocks).match(/"value":"(inc_[a-z0-9]+\.approveRevoke)"/);
    expect(button?.[1]).toBeDefined();
    const approvalId = button?.[1] as string;

    const incident = await harness.approveAndSettle(approvalId);
    expect(incident.playbook).toBe("leaked-ai-key");
    expect(incident.timeline.map((event) => event.kind)).toEqual([...APPROVED_RUN_TIMELINE]);
    expect(JSON.stringify(incident)).not.toContain(LEAKED_SECRET);

    await harness.runtime.idle();
    const thread = harness.standins.slack.messages.filter((message) => message.threadTs === card.ts);
    // Quell events reach Slack asynchronously and, as on EventBridge, unordered; each is posted once.
    expect(thread).toHaveLength(5);
    expect(thread.map((message) => message.text)).toEqual(
      expect.arrayContaining([
        expect.stringContaining("openai.revoke-project-key: 1 write(s) applied"),
        expect.stringContaining("openai.revoke-project-key: verified, key key_support_prod no longer exists"),
        expect.stringContaining("github.resolve-secret-scanning-alert: 1 write(s) applied"),
        expect.stringContaining(
          "github.resolve-secret-scanning-alert: verified, alert #42 is resolved (revoked)",
        ),
        expect.stringContaining("mitigated: Leaked key revoked and GitHub alert resolved."),
      ]),
    );
    const decided = JSON.stringify(harness.standins.slack.find(card.channel, card.ts)?.blocks);
    expect(decided).toContain(`*Approved* by <@${APPROVER}>`);
    // A deleted OpenAI key cannot be restored: the card says so and offers no Undo.
    expect(decided).toContain("This action cannot be undone.");
    expect(decided).not.toContain("quell.undo");

    const deletions = harness.standins.openai.requests.filter((request) => request.method === "DELETE");
    expect(deletions).toHaveLength(1);
    expect(deletions[0]).toMatchObject({
      path: "/v1/organization/projects/proj_support_chat/api_keys/key_support_prod",
      authorization: `Bearer ${harness.standins.credentials.openaiAdminKey}`,
    });
    const patches = harness.standins.github.requests.filter((request) => request.method === "PATCH");
    expect(patches).toHaveLength(1);
    expect(patches[0]).toMatchObject({
      path: "/repos/example-corp/support-chat-service/secret-scanning/alerts/42",
      authorization: `Bearer ${harness.standins.credentials.githubToken}`,
      body: {
        state: "resolved",
        resolution: "revoked",
        resolution_comment: "Key revoked by Quell after approval.",
      },
    });
  });
});
