import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DeadLettersClient } from "../../infra/local/dead-letters-client.js";
import { webhookBody } from "../../infra/local/standins/scenario.js";
import { approvalCardAfter, approvalIdIn, type Harness, SECRETS, startHarness } from "./harness.js";

/** A thread post (the notifier's), as the Slack stand-in recorded it. */
const isThreadPost = (request: { path: string; body?: unknown }) =>
  request.path === "/api/chat.postMessage" && JSON.stringify(request.body ?? {}).includes("thread_ts");

describe("dead letters: durable, listed, redriven", () => {
  let harness: Harness;
  beforeAll(async () => {
    // Four quick attempts: the default retries for about two minutes before a dead letter.
    harness = await startHarness({ dryRun: true, busRetries: { attempts: 4, backoffMs: 200 } });
  });
  afterAll(async () => harness?.stop());

  it("an event its target still refuses after the retries is listed with its error, and a redrive delivers it", async () => {
    const slack = harness.standins.slack;
    // Slack refuses every thread post: the notifier's deliveries fail, whatever the number of attempts.
    slack.faults.next({
      path: "/api/chat.postMessage",
      where: isThreadPost,
      status: 200,
      applied: false,
      body: { ok: false, error: "not_in_channel" },
      times: 1000,
    });
    expect((await harness.postGitHub(webhookBody())).status).toBe(202);
    const card = await approvalCardAfter(harness, 0);
    const approvalId = approvalIdIn(card.blocks);
    const incidentId = approvalId.split(".")[0] as string;
    await harness.approveAndSettle(approvalId);
    await harness.runtime.idle();

    const deadLetters = new DeadLettersClient(harness.runtime.url, SECRETS.read);
    const listed = await deadLetters.list();
    expect(listed.deadLetters.length).toBeGreaterThan(0);
    expect(listed.deadLetters[0]).toMatchObject({
      source: "quell.incident",
      detailType: "Incident Timeline Event",
      rule: "notifier",
      attempts: 4,
      incidentId,
      error: expect.stringContaining("not_in_channel"),
    });
    const threadBefore = slack.messages.filter((message) => message.threadTs === card.ts).length;
    expect(threadBefore).toBe(0);

    // Paged with a cursor; the list says when there is more.
    const first = await deadLetters.list({ limit: 1 });
    expect(first.deadLetters).toHaveLength(1);
    expect(first.more).toBe(listed.deadLetters.length > 1);

    // Reading needs the read token; so does a redrive, which changes what the runtime does.
    expect((await fetch(`${harness.runtime.url}/dead-letters`)).status).toBe(401);
    const anonymous = await fetch(`${harness.runtime.url}/dead-letters/redrive`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ all: true }),
    });
    expect(anonymous.status).toBe(401);
    const bad = await fetch(`${harness.runtime.url}/dead-letters/redrive`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${SECRETS.read}` },
      body: JSON.stringify({ ids: ["../../etc/passwd"] }),
    });
    expect(bad.status).toBe(400);

    slack.faults.clear();
    const one = listed.deadLetters[0]?.id as string;
    expect(await deadLetters.redrive([one])).toEqual({ redriven: [one], unknown: [] });
    await harness.runtime.idle();
    expect((await deadLetters.list()).deadLetters.map((letter) => letter.id)).not.toContain(one);
    const rest = await deadLetters.redrive("all");
    expect(rest.redriven).toHaveLength(listed.deadLetters.length - 1);
    await harness.runtime.idle();
    expect((await deadLetters.list()).deadLetters).toEqual([]);
    const thread = slack.messages
      .filter((message) => message.threadTs === card.ts)
      .map((message) => message.text);
    expect(thread).toEqual(expect.arrayContaining([expect.stringContaining("mitigated")]));
  });
});
