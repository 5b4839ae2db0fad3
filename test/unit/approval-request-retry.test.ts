import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApprovalRequestDeps, requestApproval } from "../../functions/approval-request/core.js";
import type { IncidentStore } from "../../functions/shared/store.js";
import { type LocalStore, startLocalStore } from "./local-store.js";
import { STEP, seedPendingApproval } from "./pending-approval.js";

const NOW = new Date("2026-12-06T20:00:00Z");

describe("an approval request Step Functions retries (a new task token), against DynamoDB Local", () => {
  let local: LocalStore;
  let store: IncidentStore;
  beforeAll(async () => {
    local = await startLocalStore();
    store = local.store(() => NOW);
  });
  afterAll(async () => local?.stop());

  it("keeps the card already posted and the one `approval_requested`, and waits on the new token", async () => {
    const { incidentId } = await seedPendingApproval(store, NOW, {
      card: false,
      incident: { status: "running" },
    });
    const posted: unknown[] = [];
    const deps: ApprovalRequestDeps = {
      store,
      slack: {
        async postMessage(message) {
          posted.push(message);
          return { channel: message.channel, ts: `1796500000.00000${posted.length}` };
        },
      },
      channel: "C0INCIDENTS",
      defaultApprovers: ["U0APPROVER"],
      dryRun: false,
      clock: () => NOW,
    };
    const request = (taskToken: string) => ({
      taskToken,
      incidentId,
      executionId: "exec",
      playbook: "leaked-ai-key",
      step: STEP,
      policy: "one" as const,
      title: "Revoke the leaked key",
      plan: ["Delete the key."],
      facts: {},
      timeoutSeconds: 3600,
      dryRun: false,
    });

    const first = await requestApproval(request("token-first"), deps);
    const retried = await requestApproval(request("token-retry"), deps);

    expect(posted).toHaveLength(1);
    expect(retried).toEqual(first);
    const stored = await store.getApproval(incidentId, STEP);
    expect(stored).toMatchObject({ taskToken: "token-retry", messageTs: first.messageTs, status: "pending" });
    const detail = await store.getIncidentDetail(incidentId);
    expect(detail?.timeline.filter((event) => event.kind === "approval_requested")).toHaveLength(1);
    expect(detail?.status).toBe("awaiting_approval");
  });
});
