import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type NotifierDeps, notify } from "../../functions/notifier/core.js";
import type { IncidentStore } from "../../functions/shared/store.js";
import { type LocalStore, startLocalStore } from "./local-store.js";
import { CARD_CHANNEL, CARD_TS, STEP, seedPendingApproval } from "./pending-approval.js";

const NOW = new Date("2026-11-25T00:00:00.000Z");
const CHANNEL = CARD_CHANNEL;

describe("notifier against DynamoDB Local", () => {
  let local: LocalStore;
  let store: IncidentStore;
  beforeAll(async () => {
    local = await startLocalStore();
    store = local.store(() => NOW);
  });
  afterAll(async () => local?.stop());

  /** A leaked-key incident awaiting approval; with a card, that card also opened its thread. */
  async function incident(options: { withCard: boolean; title?: string }) {
    const { incidentId } = await seedPendingApproval(store, NOW, {
      ...(options.title ? { title: options.title } : {}),
      card: options.withCard,
      taskToken: "token",
      approval: { plan: ["Delete the key."], approvers: ["U0APPROVER"], timeoutAt: NOW.toISOString() },
    });
    if (options.withCard) await store.setSlackThread(incidentId, CHANNEL, CARD_TS);
    return incidentId;
  }

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

  it("re-renders a decided card without buttons, saying who decided", async () => {
    const id = await incident({ withCard: true });
    await store.decideApproval(id, STEP, { status: "approved", by: "U0APPROVER" });
    const { updates, deps } = fakeSlack();
    await notify(
      { incidentId: id, kind: "approval_decided", summary: "approved by U0APPROVER", approvalStep: STEP },
      deps,
    );

    expect(updates).toHaveLength(1);
    expect(updates[0]).toMatchObject({ channel: CHANNEL, ts: CARD_TS });
    expect(updates[0]?.blocks).not.toContain('"type":"actions"');
    expect(updates[0]?.blocks).toContain("*Approved* by <@U0APPROVER>");
  });

  it("keeps a step that came before the card off its thread, even when the notifier sees it later", async () => {
    // The card opened its thread at NOW (the store's clock); Quell events reach the notifier in any order.
    const id = await incident({ withCard: true });
    const { posts, deps } = fakeSlack();
    const at = (offsetMs: number) => new Date(NOW.getTime() + offsetMs).toISOString();
    await notify(
      { incidentId: id, kind: "action_applied", summary: "openai.find-leaked-key: done", at: at(-250) },
      deps,
    );
    await notify(
      { incidentId: id, kind: "action_applied", summary: "openai.revoke-project-key: applied", at: at(250) },
      deps,
    );
    // From a publisher that does not say when: posted, as before.
    await notify({ incidentId: id, kind: "action_verified", summary: "verified" }, deps);

    expect(posts.map((post) => post.text)).toEqual([
      ":white_check_mark: openai.revoke-project-key: applied",
      ":mag: verified",
    ]);
    expect((await store.getIncident(id))?.slackThread).toEqual({
      channel: CHANNEL,
      ts: CARD_TS,
      openedAt: NOW.toISOString(),
    });
  });

  it("posts actions and the closing summary in the card's thread, and marks an expired card", async () => {
    const id = await incident({ withCard: true });
    const { updates, posts, deps } = fakeSlack();
    await notify(
      { incidentId: id, kind: "action_applied", summary: "openai.revoke-project-key: 1 write(s) applied" },
      deps,
    );
    await store.decideApproval(id, STEP, { status: "expired", by: "quell:timeout" });
    await notify(
      {
        incidentId: id,
        kind: "closed",
        summary: "expired: no decision",
        outcome: "expired",
        approvalStep: STEP,
      },
      deps,
    );

    expect(posts.map((post) => [post.channel, post.threadTs])).toEqual([
      [CHANNEL, CARD_TS],
      [CHANNEL, CARD_TS],
    ]);
    expect(posts[1]?.text).toContain("expired: no decision");
    expect(updates).toHaveLength(1);
    expect(updates[0]?.blocks).toContain("*Expired*");
    expect(updates[0]?.blocks).not.toContain("quell.approve");
  });

  it("without a card, keeps early steps off Slack and posts the closing summary with the title escaped", async () => {
    const id = await incident({ withCard: false, title: "<!channel> leak <https://evil.example|click>" });
    const { posts, deps } = fakeSlack();
    await notify({ incidentId: id, kind: "action_planned", summary: "planned <@U0EVIL>" }, deps);
    await notify(
      { incidentId: id, kind: "closed", summary: "mitigated <@U0EVIL>", outcome: "mitigated" },
      deps,
    );

    expect(posts).toHaveLength(1);
    expect(posts[0]).toMatchObject({ channel: "C0DEFAULT" });
    expect(posts[0]?.threadTs).toBeUndefined();
    expect(posts[0]?.text).not.toMatch(/<!channel>|<https:|<@U0EVIL>/);
    expect(posts[0]?.text).toContain("&lt;!channel&gt;");
  });
});
