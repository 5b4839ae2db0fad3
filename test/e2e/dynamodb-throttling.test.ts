import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webhookBody } from "../../infra/local/standins/scenario.js";
import { genericAlert, postGenericAlert, storedAlertIds } from "./generic-alerts.js";
import { approvalCardAfter, approvalIdIn, type Harness, SECRETS, startHarness } from "./harness.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * DynamoDB throttling (injected: DynamoDB Local never throttles) on every request the handlers make. What a sender
 * and a person see, and that nothing answered 202 is lost and no decision is half taken.
 */
describe("DynamoDB throttles: refusals say retry, accepted alerts are kept, a decision that did not get through asks again", () => {
  let harness: Harness;
  const dir = mkdtempSync(join(tmpdir(), "quell-throttle-"));
  const throttleFile = join(dir, "throttle");
  const throttle = () => writeFileSync(throttleFile, "1");
  const stopThrottling = () => rmSync(throttleFile, { force: true });
  beforeAll(async () => {
    harness = await startHarness({
      dryRun: true,
      env: { QUELL_FAULT_DYNAMODB_THROTTLE_FILE: throttleFile },
      // The jailbreak alerts are only kept (no run waits on their cards); the leaked key runs its playbook.
      triageConfig: { routes: [{ id: "jailbreak-kept", match: { types: ["jailbreak"] }, playbook: null }] },
    });
  });
  afterAll(async () => {
    stopThrottling();
    await harness?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers reads 503 with Retry-After, and keeps every alert it answered 202 once the throttling stops", {
    timeout: 90_000,
  }, async () => {
    throttle();
    const read = await harness.read("/incidents");
    expect(read.status).toBe(503);
    expect(read.headers.get("retry-after")).toBe("1");
    expect(await read.json()).toEqual({
      error: { code: "unavailable", message: "the database is busy or restarting; retry shortly" },
    });
    const bodies = Array.from({ length: 6 }, (_, n) => genericAlert(9000 + n, 3));
    const first = await Promise.all(bodies.map((body) => postGenericAlert(harness.runtime.url, body)));
    for (const answer of first) expect([202, 503]).toContain(answer.status);
    await sleep(1500);
    stopThrottling();
    // A sender retries what was refused; what was accepted is triaged by the bus's retries.
    const retried = await Promise.all(
      bodies.map((body, i) =>
        first[i]?.status === 202 ? first[i] : postGenericAlert(harness.runtime.url, body),
      ),
    );
    const accepted = retried.flatMap((answer) =>
      answer.status === 202 && answer.alertId ? [answer.alertId] : [],
    );
    expect(accepted.length).toBe(bodies.length);
    // The bus retries what triage could not finish while throttled, with backoff: wait until each is stored.
    const deadline = Date.now() + 40_000;
    let stored = await storedAlertIds(harness.runtime.url, SECRETS.read);
    while (accepted.some((id) => !stored.has(id)) && Date.now() < deadline) {
      await sleep(500);
      stored = await storedAlertIds(harness.runtime.url, SECRETS.read);
    }
    expect(accepted.filter((id) => !stored.has(id))).toEqual([]);
    expect(harness.runtime.bus.deadLetters).toEqual([]);
  });

  it("keeps the deny modal open saying 'submit again' while its decision cannot be recorded; a later Submit decides once", {
    timeout: 120_000,
  }, async () => {
    const since = harness.standins.slack.messages.length;
    expect((await harness.postGitHub(webhookBody())).status).toBe(202);
    const card = await approvalCardAfter(harness, since);
    const approvalId = approvalIdIn(card.blocks);
    const incidentId = approvalId.split(".")[0] as string;

    throttle();
    const refused = await harness.submitDenyReason(approvalId, "Not now: the owner rotates it today");
    expect(refused.status).toBe(200);
    const answer = (await refused.json()) as { response_action?: string; errors?: Record<string, string> };
    expect(answer.response_action).toBe("errors");
    expect(Object.values(answer.errors ?? {}).join(" ")).toContain("Submit again");
    stopThrottling();

    // A person submits again until Quell takes it: the approval request that was cut short by the throttling is
    // retried by Step Functions with a new token meanwhile, and until then a Submit is asked for again, never lost.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const again = await harness.submitDenyReason(approvalId, "Not now: the owner rotates it today");
      expect(again.status).toBe(200);
      const body = (await again.json().catch(() => ({}))) as { response_action?: string };
      if (body.response_action !== "errors") break;
      expect(Date.now()).toBeLessThan(deadline);
      await sleep(1000);
    }
    const denied = await harness.incident(incidentId, (incident) => incident.status === "denied");
    expect(denied.timeline.filter((event) => event.kind === "approval_decided")).toHaveLength(1);
  });
});
