import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type EscalationDeps,
  escalateApproval,
  extendApproval,
  mentionOf,
  type ThreadedSlackPoster,
} from "../../functions/approval-request/escalation.js";
import { ApprovalModes } from "../../functions/approval-request/events.js";
import type { Approval } from "../../functions/shared/incident.js";
import type { IncidentStore } from "../../functions/shared/store.js";
import type { TaskSettler } from "../../functions/shared/task-settler.js";
import { decide } from "../../functions/slack/decide.js";
import { type LocalStore, startLocalStore } from "./local-store.js";
import { CARD_CHANNEL, CARD_TS, STEP, seedPendingApproval } from "./pending-approval.js";

const NOW = new Date("2026-11-25T00:00:00Z");
const APPROVER = "U0APPROVER";
const CHANNEL = CARD_CHANNEL;
const MESSAGE_TS = CARD_TS;

/** Settles tokens; a token in `gone` answers TaskTimedOut, as a callback task whose wait ended does. */
class Tasks implements TaskSettler {
  readonly succeeded: { token: string; output: Record<string, unknown> }[] = [];
  readonly failed: { token: string; error: string; cause: string }[] = [];
  readonly gone = new Set<string>();
  private check(token: string) {
    if (!this.gone.has(token)) return;
    const error = new Error("Task Timed Out");
    error.name = "TaskTimedOut";
    throw error;
  }
  async succeed(token: string, output: Record<string, unknown>) {
    this.check(token);
    this.succeeded.push({ token, output });
  }
  async fail(token: string, error: string, cause: string) {
    this.check(token);
    this.failed.push({ token, error, cause });
  }
}

class Slack implements ThreadedSlackPoster {
  readonly posted: Parameters<ThreadedSlackPoster["postMessage"]>[0][] = [];
  async postMessage(message: Parameters<ThreadedSlackPoster["postMessage"]>[0]) {
    this.posted.push(message);
    return { channel: message.channel, ts: `17955648${String(this.posted.length).padStart(2, "0")}.000200` };
  }
}

describe("an escalating approval against DynamoDB Local", () => {
  let local: LocalStore;
  let store: IncidentStore;
  beforeAll(async () => {
    local = await startLocalStore();
    store = local.store(() => NOW);
  });
  afterAll(async () => local?.stop());

  /** An incident awaiting an escalating approval whose first card was posted, on its first task token. */
  async function pending(escalation: Approval["escalation"] | null = { afterSeconds: 1800, to: "S0ONCALL" }) {
    const { incidentId, approvalId } = await seedPendingApproval(store, NOW, {
      title: "OpenAI API Key leaked <!channel>",
      taskToken: "token-first",
      approval: {
        approvers: [APPROVER],
        timeoutAt: new Date(NOW.getTime() + 3_600_000).toISOString(),
        ...(escalation ? { escalation } : {}),
      },
    });
    const tasks = new Tasks();
    const slack = new Slack();
    const deps: EscalationDeps = { store, tasks, slack, channel: CHANNEL };
    return { incidentId, approvalId, tasks, slack, deps };
  }

  const click = (approvalId: string, decision: "approved" | "denied", tasks: Tasks) =>
    decide(
      { approvalId, decision, userId: APPROVER, ...(decision === "denied" ? { reason: "not ours" } : {}) },
      {
        store,
        tasks,
        events: { publish: async () => {} },
        clock: () => NOW,
        isAuthorised: async () => true,
      },
    );
  const extend = (incidentId: string, deps: EscalationDeps) =>
    extendApproval(
      { mode: ApprovalModes.extend, taskToken: "token-final", incidentId, step: STEP, timeoutSeconds: 3600 },
      deps,
    );

  it("mentions a user group or a user the way Slack notifies them", () => {
    expect(mentionOf("S0ONCALL")).toBe("<!subteam^S0ONCALL>");
    expect(mentionOf("U0ONCALL")).toBe("<@U0ONCALL>");
    expect(mentionOf("W0ONCALL")).toBe("<@W0ONCALL>");
  });

  it("escalates in the first card's thread, with the same buttons, and records `escalated`", async () => {
    const { incidentId, approvalId, slack, deps } = await pending();
    const result = await escalateApproval(
      { mode: ApprovalModes.escalate, incidentId, step: STEP, to: "S0ONCALL" },
      deps,
    );
    expect(result).toMatchObject({ escalated: true, channel: CHANNEL });
    expect(slack.posted).toHaveLength(1);
    const [message] = slack.posted;
    expect(message).toMatchObject({ channel: CHANNEL, thread_ts: MESSAGE_TS });
    expect(message?.text).toContain("<!subteam^S0ONCALL> escalation");
    expect(JSON.stringify(message?.blocks)).toContain(`"value":"${approvalId}"`);
    // Alert text in the card stays escaped: no broadcast mention sneaks in.
    expect(JSON.stringify(message?.blocks)).not.toContain("<!channel>");
    const timeline = (await store.getIncidentDetail(incidentId))?.timeline ?? [];
    expect(timeline.at(-1)).toMatchObject({
      kind: "escalated",
      detail: { to: "S0ONCALL", threadTs: MESSAGE_TS },
    });
  });

  it("escalates in the playbook's channel when it names one, and not at all once decided", async () => {
    const first = await pending();
    await escalateApproval(
      {
        mode: ApprovalModes.escalate,
        incidentId: first.incidentId,
        step: STEP,
        to: "U0ONCALL",
        channel: "C0ESC",
      },
      first.deps,
    );
    expect(first.slack.posted[0]).toMatchObject({ channel: "C0ESC" });
    expect(first.slack.posted[0]?.thread_ts).toBeUndefined();
    expect(first.slack.posted[0]?.text).toContain("<@U0ONCALL> escalation");

    const decided = await pending();
    await click(decided.approvalId, "approved", decided.tasks);
    expect(
      await escalateApproval(
        { mode: ApprovalModes.escalate, incidentId: decided.incidentId, step: STEP, to: "S0ONCALL" },
        decided.deps,
      ),
    ).toEqual({ escalated: false, status: "approved" });
    expect(decided.slack.posted).toEqual([]);
  });

  it("the escalated wait takes the new token on the same pending approval; a later click settles it", async () => {
    const { incidentId, approvalId, tasks, deps } = await pending();
    expect(await extend(incidentId, deps)).toEqual({ extended: true });
    const approval = await store.getApproval(incidentId, STEP);
    expect(approval).toMatchObject({ approvalId, status: "pending", taskToken: "token-final" });
    expect(approval?.escalatedAt).toBe(NOW.toISOString());
    expect((await click(approvalId, "approved", tasks)).kind).toBe("decided");
    expect(tasks.succeeded.map((settled) => settled.token)).toEqual(["token-final"]);
  });

  it("keeps an approval decided between the two waits, and delivers it to the escalated wait", async () => {
    const { incidentId, approvalId, tasks, deps } = await pending();
    tasks.gone.add("token-first");
    // The clicker is told it counted, and nothing records it as arriving too late.
    expect(await click(approvalId, "approved", tasks)).toMatchObject({ kind: "decided" });
    const timeline = (await store.getIncidentDetail(incidentId))?.timeline ?? [];
    expect(timeline.filter((event) => event.kind === "approval_refused")).toEqual([]);
    // The first task was gone, but a second wait is coming: the decision is not turned into `expired`.
    expect(await store.getApproval(incidentId, STEP)).toMatchObject({
      status: "approved",
      decidedBy: APPROVER,
    });

    expect(await extend(incidentId, deps)).toEqual({ extended: false, status: "approved" });
    expect(tasks.succeeded).toEqual([
      {
        token: "token-final",
        output: { decision: "approved", by: APPROVER, teamId: null, at: NOW.toISOString() },
      },
    ]);
    expect((await store.getApproval(incidentId, STEP))?.status).toBe("approved");
  });

  it("delivers a denial made between the two waits as ApprovalDenied", async () => {
    const { incidentId, approvalId, tasks, deps } = await pending();
    tasks.gone.add("token-first");
    await click(approvalId, "denied", tasks);
    expect(await extend(incidentId, deps)).toEqual({ extended: false, status: "denied" });
    expect(tasks.failed).toEqual([
      { token: "token-final", error: "ApprovalDenied", cause: `denied by ${APPROVER}` },
    ]);
  });

  it("still expires a decision whose final task is gone (after the escalated wait, or without escalation)", async () => {
    const escalated = await pending();
    await extend(escalated.incidentId, escalated.deps);
    escalated.tasks.gone.add("token-final");
    expect(await click(escalated.approvalId, "approved", escalated.tasks)).toMatchObject({
      kind: "already_final",
    });
    expect((await store.getApproval(escalated.incidentId, STEP))?.status).toBe("expired");

    const plain = await pending(null);
    plain.tasks.gone.add("token-first");
    await click(plain.approvalId, "approved", plain.tasks);
    expect((await store.getApproval(plain.incidentId, STEP))?.status).toBe("expired");
  });
});
