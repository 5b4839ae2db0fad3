import { describe, expect, it } from "vitest";
import { nextDigestAt } from "../../functions/shadow-digest/core.js";
import { shadowDigestMessage } from "../../functions/shadow-digest/digest-message.js";
import { type ShadowIncidentInput, shadowReport } from "../../functions/shadow-digest/report.js";
import { formatShadowReport } from "../../infra/local/shadow-report.js";

const SINCE = new Date("2026-12-06T09:00:00Z");
const UNTIL = new Date("2026-12-07T09:00:00Z");
const HOSTILE_TITLE = "Leaked key <!channel> <https://evil.example|click> \u001b[2J";

const incident = (changes: Partial<ShadowIncidentInput> = {}): ShadowIncidentInput => ({
  id: "inc_shadow00000001",
  title: HOSTILE_TITLE,
  type: "leaked_api_key",
  severity: "high",
  source: "github",
  status: "shadowed",
  createdAt: "2026-12-06T12:00:00.000Z",
  playbook: "leaked-ai-key",
  outcome: "shadow: would have ended mitigated: key revoked",
  shadow: true,
  timeline: [
    { kind: "playbook_started", summary: "playbook leaked-ai-key started in shadow mode" },
    {
      kind: "action_applied",
      summary: "openai.find-leaked-key: done, nothing to write",
      detail: { step: "findKey", action: "openai.find-leaked-key", writes: [] },
    },
    {
      kind: "approval_would_ask",
      summary: "shadow: would ask one of U0APPROVER in C0INCIDENTS",
      detail: {
        step: "approveRevoke",
        title: "Revoke the leaked OpenAI key",
        channel: "C0INCIDENTS",
        policy: "two",
        fourEyes: true,
        approvers: ["U0APPROVER", "U0SECOND"],
      },
    },
    {
      kind: "action_planned",
      summary: "openai.revoke-project-key: dry run, 1 write(s) planned and not sent",
      detail: {
        step: "revokeKey",
        action: "openai.revoke-project-key",
        writes: [{ kind: "http", method: "DELETE", url: "https://api.openai.test/v1/keys/key_1" }],
      },
    },
    {
      kind: "action_planned",
      summary: "iam: dry run",
      detail: {
        step: "deactivate",
        action: "aws.deactivate-access-key",
        writes: [{ kind: "aws", service: "iam", operation: "UpdateAccessKey", input: {} }],
      },
    },
  ],
  ...changes,
});

describe("the shadow report", () => {
  const report = shadowReport(
    [
      incident(),
      incident({
        id: "inc_shadow00000002",
        createdAt: "2026-12-06T13:00:00.000Z",
        timeline: [],
        outcome: undefined,
        status: "running",
      }),
      incident({ id: "inc_enforced000001", shadow: undefined }),
      incident({ id: "inc_shadowrollback", playbook: "rollback-model", timeline: [] }),
      incident({ id: "inc_shadowtooold01", createdAt: "2026-12-05T12:00:00.000Z" }),
    ],
    SINCE,
    UNTIL,
  );

  it("lists only shadow incidents opened in the window, per playbook, most incidents first, newest first", () => {
    expect(report.incidents).toBe(3);
    expect(report.playbooks.map((playbook) => playbook.playbook)).toEqual([
      "leaked-ai-key",
      "rollback-model",
    ]);
    expect(report.playbooks[0]?.incidents.map((one) => one.id)).toEqual([
      "inc_shadow00000002",
      "inc_shadow00000001",
    ]);
    expect(report.playbooks[0]).toMatchObject({ plannedWrites: 2, wouldAsk: 1 });
  });

  it("says per incident its steps, their planned writes and whom each approval would have asked", () => {
    const first = report.playbooks[0]?.incidents[1];
    expect(first?.steps).toEqual([
      { step: "findKey", action: "openai.find-leaked-key", result: "read", writes: [] },
      {
        step: "revokeKey",
        action: "openai.revoke-project-key",
        result: "planned",
        writes: ["DELETE https://api.openai.test/v1/keys/key_1"],
      },
      {
        step: "deactivate",
        action: "aws.deactivate-access-key",
        result: "planned",
        writes: ["iam UpdateAccessKey"],
      },
    ]);
    expect(first?.wouldAsk).toEqual([
      {
        step: "approveRevoke",
        title: "Revoke the leaked OpenAI key",
        channel: "C0INCIDENTS",
        policy: "two",
        fourEyes: true,
        approvers: ["U0APPROVER", "U0SECOND"],
      },
    ]);
    expect(first?.outcome).toBe("shadow: would have ended mitigated: key revoked");
  });

  it("posts a digest with the alert text escaped for mrkdwn, mentioning nobody", () => {
    const message = shadowDigestMessage(report);
    const body = JSON.stringify(message.blocks);
    expect(body).not.toContain("<!channel>");
    expect(body).not.toContain("<https://evil.example");
    expect(body).toContain("&lt;!channel&gt;");
    expect(body).not.toContain("\\u001b");
    expect(body).not.toMatch(/<@U|<!subteam/);
    expect(body).toContain("two of U0APPROVER, U0SECOND in C0INCIDENTS (four eyes)");
    expect(body).toContain("`DELETE https://api.openai.test/v1/keys/key_1`");
    expect(body).toContain("*leaked-ai-key* (shadow): 2 incident(s), 2 write(s) planned, 1 approval(s)");
    expect(message.blocks.length).toBeLessThanOrEqual(50);
  });

  it("keeps a long day within Slack's limits and says where the rest is", () => {
    const many = Array.from({ length: 400 }, (_, index) =>
      incident({ id: `inc_shadow${String(index).padStart(8, "0")}` }),
    );
    const message = shadowDigestMessage(shadowReport(many, SINCE, UNTIL));
    expect(message.blocks.length).toBeLessThanOrEqual(50);
    for (const block of message.blocks as { text?: { text: string } }[]) {
      expect((block.text?.text ?? "").length).toBeLessThanOrEqual(3000);
    }
    expect(JSON.stringify(message.blocks)).toContain("npm run quell -- shadow-report");
  });

  it("prints the same per incident in the terminal, without control characters", () => {
    const text = formatShadowReport(report, 1);
    expect(text).toContain(
      "Shadow playbooks, incidents opened since 2026-12-06T09:00:00.000Z (last 1 day(s)): 3",
    );
    expect(text).toContain("inc_shadow00000001");
    expect(text).toContain("DELETE https://api.openai.test/v1/keys/key_1");
    expect(text).toContain(
      "would ask two of U0APPROVER, U0SECOND in C0INCIDENTS (four eyes): Revoke the leaked OpenAI key",
    );
    expect(text).not.toContain("\u001b");
    expect(formatShadowReport(shadowReport([], SINCE, UNTIL), 1)).toContain("No shadow playbook matched");
  });

  it("is posted once a day at 09:00 UTC: the next time is today's if it is still ahead, else tomorrow's", () => {
    expect(nextDigestAt(new Date("2026-12-07T08:59:59Z")).toISOString()).toBe("2026-12-07T09:00:00.000Z");
    expect(nextDigestAt(new Date("2026-12-07T09:00:00Z")).toISOString()).toBe("2026-12-08T09:00:00.000Z");
    expect(nextDigestAt(new Date("2026-12-31T23:00:00Z")).toISOString()).toBe("2027-01-01T09:00:00.000Z");
  });
});
