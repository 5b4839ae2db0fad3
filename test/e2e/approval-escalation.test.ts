import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mentionOf } from "../../functions/approval-request/escalation.js";
import { newId } from "../../functions/shared/ids.js";
import { githubAlertSeed } from "../../infra/local/standins/scenario.js";
import type { SlackMessage } from "../../infra/local/standins/slack.js";
import { compilePlaybook } from "../../playbooks/compile.js";
import { escalatingPlaybook } from "../fixtures/playbooks/escalating-approval.js";
import { APPROVER, approvalIdIn, CHANNEL, type Harness, startHarness } from "./harness.js";

/** The fixture's approval: 3,600 s, escalating at 1,800 s; locally 4 s, escalating after 2 s. */
const APPROVAL_TIMEOUT_SECONDS = 4;
const GROUP = "S0ONCALL";
const ONCALL_USER = "U0ONCALL";
const ESCALATION_CHANNEL = "C0ESCALATE";
const STEP = "approveResolve";

describe("approval escalation (test-only playbooks on the local runtime)", () => {
  let harness: Harness;
  let toGroupInThread: string;
  let toUserInChannel: string;
  let withOnTimeout: string;

  beforeAll(async () => {
    harness = await startHarness({
      dryRun: true,
      approvalTimeoutSeconds: APPROVAL_TIMEOUT_SECONDS,
      alerts: [githubAlertSeed()],
    });
    const register = (playbook: ReturnType<typeof escalatingPlaybook>) =>
      harness.runtime.stepFunctions.register(compilePlaybook(playbook));
    toGroupInThread = register(escalatingPlaybook({ name: "fixture-escalate-group" }));
    toUserInChannel = register(
      escalatingPlaybook({
        name: "fixture-escalate-user",
        escalation: { afterSeconds: 1800, to: ONCALL_USER, channel: ESCALATION_CHANNEL },
      }),
    );
    withOnTimeout = register(escalatingPlaybook({ name: "fixture-escalate-on-timeout", onTimeout: true }));
  });
  afterAll(async () => harness?.stop());

  /** Open an incident and start a fixture playbook on it, as triage would. */
  async function run(stateMachineArn: string, playbook: string): Promise<string> {
    const incidentId = newId("inc");
    const now = new Date().toISOString();
    await harness.runtime.store.createIncident({
      id: incidentId,
      status: "running",
      type: "leaked_api_key",
      severity: "high",
      title: "OpenAI API Key leaked in example-corp/support-chat-service",
      source: "github",
      dedupKey: `test:${incidentId}`,
      playbook,
      executionName: incidentId,
      alertCount: 1,
      createdAt: now,
      updatedAt: now,
    });
    harness.runtime.stepFunctions.startExecution({
      stateMachineArn,
      name: incidentId,
      input: JSON.stringify({
        incidentId,
        alert: { details: { repository: "example-corp/support-chat-service", alertNumber: 42 } },
        dryRun: false,
      }),
    });
    return incidentId;
  }

  const slack = () => harness.standins.slack;
  const cardOf = (incidentId: string) =>
    slack().waitForMessage(
      (message) => message.threadTs === undefined && approvalIdIn(message.blocks) === `${incidentId}.${STEP}`,
      15_000,
    );
  const expectedText = (to: string, timeoutAt: string) =>
    `:rotating_light: ${to} escalation: nobody has decided *Resolve the GitHub alert* yet. ` +
    `It expires ${timeoutAt} if nobody decides (expired is not denied).`;

  it("re-posts the card in its thread mentioning the group, and the original card's Approve still works", async () => {
    const incidentId = await run(toGroupInThread, "fixture-escalate-group");
    const card = await cardOf(incidentId);
    expect(card.channel).toBe(CHANNEL);
    const approvalId = approvalIdIn(card.blocks);

    const escalation: SlackMessage = await slack().waitForMessage(
      (message) => message.threadTs === card.ts && (message.text ?? "").includes("escalation"),
      15_000,
    );
    const { approvals } = await harness.incident(incidentId);
    const timeoutAt = (approvals[0] as unknown as { timeoutAt: string }).timeoutAt;
    expect(mentionOf(GROUP)).toBe(`<!subteam^${GROUP}>`);
    expect({ channel: escalation.channel, threadTs: escalation.threadTs, text: escalation.text }).toEqual({
      channel: CHANNEL,
      threadTs: card.ts,
      text: expectedText(`<!subteam^${GROUP}>`, timeoutAt),
    });
    expect(escalation.blocks?.[0]).toEqual({
      type: "section",
      text: { type: "mrkdwn", text: expectedText(`<!subteam^${GROUP}>`, timeoutAt) },
    });
    // The re-posted card decides the same approval: the same id on its buttons.
    expect(approvalIdIn(escalation.blocks)).toBe(approvalId);

    // Once the escalated wait holds its token, click Approve on the ORIGINAL card.
    const deadline = Date.now() + 10_000;
    while (!(await harness.runtime.store.getApproval(incidentId, STEP))?.escalatedAt) {
      if (Date.now() > deadline) throw new Error("the escalated wait never started");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect((await harness.click(approvalId, "approve")).status).toBe(200);

    const incident = await harness.incident(incidentId, (view) => view.status === "resolved");
    expect(incident.approvals).toHaveLength(1);
    expect(incident.approvals[0]).toMatchObject({ approvalId, status: "approved", decidedBy: APPROVER });
    const kinds = incident.timeline.map((event) => event.kind);
    expect(kinds.indexOf("escalated")).toBeGreaterThan(kinds.indexOf("approval_requested"));
    expect(kinds.indexOf("approval_decided")).toBeGreaterThan(kinds.indexOf("escalated"));
    expect(kinds).not.toContain("approval_refused");
    expect(incident.timeline.find((event) => event.kind === "escalated")).toMatchObject({
      summary: `escalated to ${GROUP}: Resolve the GitHub alert`,
      detail: { approvalId, to: GROUP, channel: CHANNEL, messageTs: escalation.ts, threadTs: card.ts },
    });
    expect(incident.timeline.at(-1)).toMatchObject({
      kind: "closed",
      summary: expect.stringContaining("resolved"),
    });
    await harness.runtime.idle();
    expect(JSON.stringify(slack().find(card.channel, card.ts)?.blocks)).toContain(
      `*Approved* by <@${APPROVER}>`,
    );
    // The escalation's copy shows the decision too, and keeps no buttons to click.
    const copy = slack().find(escalation.channel, escalation.ts);
    expect(JSON.stringify(copy?.blocks)).toContain(`*Approved* by <@${APPROVER}>`);
    expect(approvalIdIn(copy?.blocks)).toBeUndefined();
  });

  it("mentions a user in the escalation channel, then ends expired (not denied) when nobody decides", async () => {
    const incidentId = await run(toUserInChannel, "fixture-escalate-user");
    const card = await cardOf(incidentId);
    const escalation = await slack().waitForMessage(
      (message) =>
        message.channel === ESCALATION_CHANNEL && approvalIdIn(message.blocks) === `${incidentId}.${STEP}`,
      15_000,
    );
    const { approvals } = await harness.incident(incidentId);
    const timeoutAt = (approvals[0] as unknown as { timeoutAt: string }).timeoutAt;
    expect({ channel: escalation.channel, threadTs: escalation.threadTs, text: escalation.text }).toEqual({
      channel: ESCALATION_CHANNEL,
      threadTs: undefined,
      text: expectedText(`<@${ONCALL_USER}>`, timeoutAt),
    });

    const incident = await harness.incident(incidentId, (view) => view.status === "expired");
    expect(incident.approvals[0]?.status).toBe("expired");
    const kinds = incident.timeline.map((event) => event.kind);
    expect(kinds).toContain("escalated");
    expect(kinds).not.toContain("approval_decided");
    expect(incident.timeline.at(-1)).toMatchObject({
      kind: "closed",
      summary: "expired: Resolve the GitHub alert: no decision in time",
      detail: { step: STEP, outcome: "expired" },
    });
    await harness.runtime.idle();
    expect(JSON.stringify(slack().find(card.channel, card.ts)?.blocks)).toContain("*Expired*");
  });

  it("with onTimeout, records the approval expired and runs the playbook's own timeout step", async () => {
    const incidentId = await run(withOnTimeout, "fixture-escalate-on-timeout");
    const card = await cardOf(incidentId);
    const incident = await harness.incident(incidentId, (view) => view.status === "expired");
    expect(incident.approvals[0]?.status).toBe("expired");
    const kinds = incident.timeline.map((event) => event.kind);
    expect(
      kinds.filter((kind) => kind === "escalated" || kind === "approval_expired" || kind === "closed"),
    ).toEqual(["escalated", "approval_expired", "closed"]);
    expect(incident.timeline.at(-1)).toMatchObject({
      kind: "closed",
      summary: "expired: Nobody decided; the GitHub alert stays open.",
      detail: { step: "leaveOpen", outcome: "expired" },
    });
    await harness.runtime.idle();
    expect(JSON.stringify(slack().find(card.channel, card.ts)?.blocks)).toContain("*Expired*");
  });
});
