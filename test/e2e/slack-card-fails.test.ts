import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webhookBody } from "../../infra/local/standins/scenario.js";
import { type Harness, POST_APPROVAL_CARD, SLACK_INTERNAL_ERROR, startHarness } from "./harness.js";

interface ListedIncident {
  readonly id: string;
  readonly status: string;
}

describe("Slack failing on its side for longer than the playbook retries a card (live mode, loopback stand-ins)", () => {
  let harness: Harness | undefined;
  beforeAll(async () => {
    // The playbook's six retries 0.2 s apart: "past the retries" within the test's patience.
    harness = await startHarness({ dryRun: false, retrySeconds: 0.2 });
  });
  afterAll(async () => harness?.stop());

  async function settledIncident(running: Harness, done: (status: string) => boolean) {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const list = (await (await running.read("/incidents")).json()) as { incidents: ListedIncident[] };
      const incident = list.incidents.find((candidate) => done(candidate.status));
      if (incident) return running.incident(incident.id);
      if (Date.now() > deadline) throw new Error(`no settled incident: ${JSON.stringify(list)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it("when Slack keeps failing past the retries, the incident fails and its approval is expired, not left pending", async () => {
    const running = harness as Harness;
    running.standins.slack.faults.next({ ...POST_APPROVAL_CARD, ...SLACK_INTERNAL_ERROR, times: 20 });
    expect((await running.postGitHub(webhookBody())).status).toBe(202);

    const incident = await settledIncident(running, (status) => status === "failed");
    // The first attempt and the playbook's six retries, then nothing more.
    expect(running.standins.slack.faults.fired).toHaveLength(7);
    expect(incident.approvals).toEqual([
      expect.objectContaining({ status: "expired", decidedBy: "quell:playbook-ended" }),
    ]);
    expect(incident.timeline.at(-1)).toMatchObject({ kind: "closed" });
  }, 90_000);
});
