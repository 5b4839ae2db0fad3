import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LLMJACKED_KEY, LLMJACKED_USER } from "../../infra/local/standins/scenario.js";
import { ANOMALOUS_INVOCATION, awsSample, postEvents } from "./aws-events.js";
import { approvalCardAfter, approvalIdIn, type Harness, startHarness } from "./harness.js";

const OUTSIDER = "U0OUTSIDER";

describe("the kill switch: /quell pause holds every write, /quell resume lets it go on (live mode)", () => {
  let harness: Harness;
  beforeAll(async () => {
    // A paused step checks again every second here (every 5 minutes in the compiled playbook).
    harness = await startHarness({ dryRun: false, retrySeconds: 1 });
  });
  afterAll(async () => harness?.stop());

  const updates = () =>
    harness.standins.iam.updates.filter((update) => update.accessKeyId === LLMJACKED_KEY).length;

  it("only approvers pause; pausing twice keeps the first pause", async () => {
    expect(await harness.quell("pause", OUTSIDER)).toContain("not authorised");
    expect(await harness.quell("pause LLM gateway migration tonight")).toContain("Quell is paused");
    expect(await harness.quell("pause again")).toContain("already paused");
  });

  it("asks for approval while paused, says so on the card, and writes nothing after Approve", async () => {
    const cards = harness.standins.slack.messages.length;
    expect((await postEvents(harness, JSON.stringify(awsSample(ANOMALOUS_INVOCATION)))).status).toBe(202);
    const card = await approvalCardAfter(harness, cards);
    expect(JSON.stringify(card.blocks)).toContain("Quell is paused");
    const approvalId = approvalIdIn(card.blocks);
    const incidentId = approvalId.split(".")[0] as string;
    expect((await harness.click(approvalId, "approve")).status).toBe(200);

    const held = await harness.incident(incidentId, (view) =>
      view.timeline.some((event) => event.kind === "action_paused"),
    );
    expect(held.status).toBe("running");
    // Several checks pass while paused: still nothing written, and the hold is on the timeline once.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const still = await harness.incident(incidentId);
    expect(still.status).toBe("running");
    expect(still.timeline.filter((event) => event.kind === "action_paused")).toHaveLength(1);
    expect(still.timeline.find((event) => event.kind === "action_paused")?.summary).toContain(
      "LLM gateway migration tonight",
    );
    expect(updates()).toBe(0);
    expect(harness.standins.iam.keyStatus(LLMJACKED_USER, LLMJACKED_KEY)).toBe("Active");

    expect(await harness.quell("resume", OUTSIDER)).toContain("not authorised");
    expect(await harness.quell("resume")).toContain("Quell is resumed");
    const done = await harness.incident(incidentId, (view) => view.status === "mitigated");
    expect(done.timeline.filter((event) => event.kind === "action_paused")).toHaveLength(1);
    expect(updates()).toBe(1);
    expect(harness.standins.iam.keyStatus(LLMJACKED_USER, LLMJACKED_KEY)).toBe("Inactive");
    expect(await harness.quell("resume")).toContain("was not paused");
  });
});
