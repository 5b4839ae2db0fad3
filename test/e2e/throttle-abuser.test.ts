import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ABUSIVE_END_USER, PROBING_GATEWAY_KEY } from "../../infra/local/standins/scenario.js";
import { approvalCardAfter, approvalIdIn, type Harness, startHarness } from "./harness.js";
import { freshSample, postSigned, type SignedRoute } from "./webhook-samples.js";

/** A title an attacker controls: a channel-wide mention and a fake link, which must reach Slack inert. */
const HOSTILE_TITLE = "Jailbreak <!channel> see <https://evil.example/x|the HR policy> *now*";

describe("throttle-abuser end to end (live, against the LiteLLM stand-in)", () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({ dryRun: false });
  });
  afterAll(async () => harness?.stop());

  const gatewayCalls = (from = 0) =>
    harness.standins.litellm.requests.slice(from).map(({ method, path, body }) => ({ method, path, body }));
  const writes = (from = 0) => gatewayCalls(from).filter((call) => call.method === "POST");

  /** Post a signed fixture (generic unless said), and answer the approval card it leads to with Approve. */
  async function approveCardFor(
    fixture: string,
    edit: (alert: Record<string, unknown>) => void = () => {},
    route: SignedRoute = "generic",
  ) {
    const cards = harness.standins.slack.messages.length;
    const gatewayBefore = harness.standins.litellm.requests.length;
    const body = JSON.parse(freshSample(route, fixture));
    edit(body);
    expect((await postSigned(harness, route, JSON.stringify(body))).status).toBe(202);
    const card = await approvalCardAfter(harness, cards);
    // Nothing reaches the gateway before a human decides.
    expect(writes(gatewayBefore)).toEqual([]);
    const approvalId = approvalIdIn(card.blocks);
    const incident = await harness.approveAndSettle(approvalId);
    return { card: JSON.stringify(card.blocks), approvalId, incident };
  }

  /** `/quell undo <run>` as the approver, once the run can be undone; the incident after the undo. */
  async function undo(runId: string) {
    expect(await harness.quell(`undo ${runId}`)).toContain("Undoing");
    return harness.incident(runId.split(".")[0] as string, (view) =>
      view.timeline.some((event) => event.kind === "action_undone"),
    );
  }

  it("a jailbreak by an end user: card, Approve, exactly one POST /customer/block, verified; `/quell undo` unblocks once", async () => {
    const { card, approvalId, incident } = await approveCardFor(
      "jailbreak-roleplay-repeated-attempts.json",
      (alert) => Object.assign(alert, { title: HOSTILE_TITLE }),
    );
    expect(approvalId).toMatch(/\.genericApproveBlock$/);
    for (const fact of [
      "Block the end user at the LLM gateway",
      ABUSIVE_END_USER,
      "hr-assistant",
      "jailbreak",
      "Reversible",
    ])
      expect(card).toContain(fact);
    // Alert text is shown, never interpreted: no live mention or link survives into the card.
    expect(card).not.toContain("<!channel>");
    expect(card).not.toContain("<https://evil.example");

    expect(incident.playbook).toBe("throttle-abuser");
    expect(writes()).toEqual([
      { method: "POST", path: "/customer/block", body: { user_ids: [ABUSIVE_END_USER] } },
    ]);
    expect(harness.standins.litellm.requests.map((request) => request.authorization)).toEqual(
      harness.standins.litellm.requests.map(() => `Bearer ${harness.standins.credentials.litellmMasterKey}`),
    );
    expect(harness.standins.litellm.isBlocked(ABUSIVE_END_USER)).toBe(true);
    expect(incident.timeline.filter((event) => event.kind === "action_verified")).toEqual([
      expect.objectContaining({
        summary: expect.stringContaining(`end user ${ABUSIVE_END_USER} is blocked`),
      }),
    ]);
    expect(JSON.stringify(incident)).not.toContain(harness.standins.credentials.litellmMasterKey);

    const before = harness.standins.litellm.requests.length;
    const undone = await undo(`${incident.id}.genericBlockEndUser`);
    expect(writes(before)).toEqual([
      { method: "POST", path: "/customer/update", body: { user_id: ABUSIVE_END_USER, blocked: false } },
    ]);
    expect(harness.standins.litellm.isBlocked(ABUSIVE_END_USER)).toBe(false);
    expect(undone.status).toBe("mitigated");
  });

  it("model extraction from a gateway key: card, Approve, one POST /key/update lowering its limits; `/quell undo` restores them", async () => {
    const before = harness.standins.litellm.requests.length;
    const { card, approvalId, incident } = await approveCardFor(
      "model-extraction-embedding-api-probing.json",
    );
    expect(approvalId).toMatch(/\.genericApproveThrottle$/);
    for (const fact of [
      "Throttle the LLM gateway key",
      PROBING_GATEWAY_KEY,
      "10 requests and 20,000 tokens per minute",
    ])
      expect(card).toContain(fact);

    expect(writes(before)).toEqual([
      {
        method: "POST",
        path: "/key/update",
        body: { key: PROBING_GATEWAY_KEY, rpm_limit: 10, tpm_limit: 20_000 },
      },
    ]);
    expect(harness.standins.litellm.limitsOf(PROBING_GATEWAY_KEY)).toEqual({ rpm: 10, tpm: 20_000 });
    expect(incident.timeline.filter((event) => event.kind === "action_verified")).toEqual([
      expect.objectContaining({ summary: expect.stringContaining("rpm_limit 10, tpm_limit 20000") }),
    ]);

    const beforeUndo = harness.standins.litellm.requests.length;
    await undo(`${incident.id}.genericThrottleKey`);
    expect(writes(beforeUndo)).toEqual([
      {
        method: "POST",
        path: "/key/update",
        body: { key: PROBING_GATEWAY_KEY, rpm_limit: 600, tpm_limit: 2_000_000 },
      },
    ]);
    expect(harness.standins.litellm.limitsOf(PROBING_GATEWAY_KEY)).toEqual({ rpm: 600, tpm: 2_000_000 });
  });
  it("a Prompt Shields user-prompt attack forwarded by the app names the end user: the detector branch blocks them once", async () => {
    const before = harness.standins.litellm.requests.length;
    const { card, approvalId, incident } = await approveCardFor(
      "user-prompt-attack-detected.json",
      () => {},
      "prompt-shields",
    );
    expect(approvalId).toMatch(/\.detectorApproveBlock$/);
    for (const fact of [ABUSIVE_END_USER, "hr-assistant", "*Detector*\\nprompt-shields"])
      expect(card).toContain(fact);
    expect(incident.playbook).toBe("throttle-abuser");
    expect(writes(before)).toEqual([
      { method: "POST", path: "/customer/block", body: { user_ids: [ABUSIVE_END_USER] } },
    ]);
    expect(harness.standins.litellm.isBlocked(ABUSIVE_END_USER)).toBe(true);
  });
});
