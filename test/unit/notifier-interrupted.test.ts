import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type NotifierDeps, notify } from "../../functions/notifier/core.js";
import { INTERRUPTED_BY } from "../../functions/shared/incident.js";
import type { IncidentStore } from "../../functions/shared/store.js";
import { type LocalStore, startLocalStore } from "./local-store.js";
import { CARD_CHANNEL, CARD_TS, STEP, seedPendingApproval } from "./pending-approval.js";

const NOW = new Date("2026-11-25T00:00:00.000Z");
const LATER = new Date(NOW.getTime() + 1000).toISOString();

describe("an interrupted incident in Slack (notifier against DynamoDB Local)", () => {
  let local: LocalStore;
  let store: IncidentStore;
  beforeAll(async () => {
    local = await startLocalStore();
    store = local.store(() => NOW);
  });
  afterAll(async () => local?.stop());

  function fakeSlack() {
    const updates: { channel: string; ts: string; blocks: string }[] = [];
    const posts: { channel: string; text: string; threadTs?: string }[] = [];
    const deps: NotifierDeps = {
      store,
      channel: "C0DEFAULT",
      cards: {
        async update(channel, ts, card) {
          updates.push({ channel, ts, blocks: JSON.stringify(card.blocks) });
        },
      },
      threads: {
        async post(message) {
          posts.push(message);
          return { channel: message.channel, ts: `1764028900.00${posts.length}` };
        },
      },
    };
    return { updates, posts, deps };
  }

  it("says so in the card's thread, and the approved card no longer says its action runs", async () => {
    const { incidentId } = await seedPendingApproval(store, NOW, { approval: { actionStep: "revokeKey" } });
    await store.setSlackThread(incidentId, CARD_CHANNEL, CARD_TS);
    await store.decideApproval(incidentId, STEP, { status: "approved", by: "U0APPROVER" });
    await store.updateIncident(incidentId, { status: "interrupted" });
    const { updates, posts, deps } = fakeSlack();
    const summary =
      "interrupted: the local runtime stopped while action openai.revoke-project-key ran <!channel>";
    await notify({ incidentId, kind: "interrupted", summary, at: LATER }, deps);
    expect(posts).toEqual([
      expect.objectContaining({
        channel: CARD_CHANNEL,
        threadTs: CARD_TS,
        text: expect.stringContaining(":warning:"),
      }),
    ]);
    // Escaped like every summary: the thread never carries a live mention from stored text.
    expect(posts[0]?.text).not.toContain("<!channel>");
    expect(updates).toHaveLength(1);
    expect(updates[0]?.blocks).toContain("did not complete");
  });

  it("an incident interrupted before any card gets the news in the channel", async () => {
    const { incidentId } = await seedPendingApproval(store, NOW, { card: false });
    await store.updateIncident(incidentId, { status: "interrupted" });
    const { posts, deps } = fakeSlack();
    await notify({ incidentId, kind: "interrupted", summary: "interrupted: between steps", at: LATER }, deps);
    expect(posts).toEqual([
      expect.objectContaining({ channel: "C0DEFAULT", text: expect.stringContaining(incidentId) }),
    ]);
  });

  it("a pending card whose wait was lost says interrupted, not that nobody decided in time, and has no buttons", async () => {
    const { incidentId } = await seedPendingApproval(store, NOW);
    await store.decideApproval(incidentId, STEP, { status: "expired", by: INTERRUPTED_BY });
    const { updates, deps } = fakeSlack();
    await notify({ incidentId, kind: "approval_expired", summary: "interrupted", approvalStep: STEP }, deps);
    expect(updates).toHaveLength(1);
    expect(updates[0]?.blocks).toContain("*Interrupted*");
    expect(updates[0]?.blocks).not.toContain("nobody decided in time");
    expect(updates[0]?.blocks).not.toContain("quell.approve");
  });
});
