import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { slackSignatureHeaders } from "../../infra/local/signing.js";
import { webhookBody } from "../../infra/local/standins/scenario.js";
import { APPROVER, approvalCardAfter, approvalIdIn, type Harness, SECRETS, startHarness } from "./harness.js";

describe("POST /slack/events: what Slack sends, and what it must not cost", () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({ dryRun: true });
  });
  afterAll(async () => harness?.stop());

  /** POST a body signed with the app's signing secret, with `contentType` (Slack's form type by default). */
  const signed = (body: string, contentType?: string) =>
    fetch(`${harness.runtime.url}/slack/events`, {
      method: "POST",
      headers: {
        ...slackSignatureHeaders(body, SECRETS.slackSigning),
        ...(contentType ? { "content-type": contentType } : {}),
      },
      body,
    });
  const authTests = () =>
    harness.standins.slack.requests.filter((request) => request.path === "/api/auth.test");

  it.each([
    { what: "a payload that is not JSON", body: "payload=%7Bnot-json", code: "invalid_payload" },
    {
      what: "a payload that is JSON but not an object",
      body: "payload=%5B1%2C2%5D",
      code: "invalid_payload",
    },
    { what: "two payloads", body: "payload=%7B%7D&payload=%7B%7D", code: "invalid_payload" },
    {
      what: "a JSON body that is not JSON",
      body: "{not json",
      type: "application/json",
      code: "invalid_json",
    },
  ])("answers a signed request with $what 400 $code, never a 500", async ({ body, type, code }) => {
    const response = await signed(body, type);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: { code, message: expect.stringMatching(/\S/) } });
  });

  it("still answers an unsigned malformed request 401 before looking at it", async () => {
    const response = await fetch(`${harness.runtime.url}/slack/events`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "payload=%7Bnot-json",
    });
    expect(response.status).toBe(401);
  });

  it("calls auth.test for no click and no command: Bolt is given the bot token, not asked to look it up", async () => {
    expect((await harness.postGitHub(webhookBody())).status).toBe(202);
    const approvalId = approvalIdIn((await approvalCardAfter(harness, 0)).blocks);
    const before = authTests().length;

    for (const unknown of ["inc_0123456789abcdefghjkmnpqrs.approveRevoke", "not-an-approval"]) {
      expect((await harness.click(unknown, "approve")).status).toBe(200);
    }
    expect((await harness.click(approvalId, "deny")).status).toBe(200);
    expect(await harness.quell("help")).toContain("/quell");
    await harness.approveAndSettle(approvalId);
    expect((await harness.click(approvalId, "approve")).status).toBe(200);
    await harness.runtime.idle();

    // Every interaction was served: the modal opened, the clicker was answered, the card re-rendered.
    const slackCalls = harness.standins.slack.requests.map((request) => request.path);
    expect(slackCalls).toContain("/api/views.open");
    expect(
      harness.standins.slack.ephemerals.filter((message) => message.user === APPROVER).length,
    ).toBeGreaterThan(0);
    expect(authTests().length - before).toBe(0);
    expect(authTests()).toEqual([]);
  });
});
