import { describe, expect, it } from "vitest";
import { escapeMrkdwn } from "../../functions/shared/mrkdwn.js";
import { type ApprovalCardInput, pendingApprovalCard } from "../../functions/slack/cards.js";

// What Slack would turn into a ping, a disguised link or a mention if it reached mrkdwn raw.
const RAW_CONTROL_SEQUENCES = ["<!channel>", "<!here", "<!everyone", "<!subteam", "<http", "<@U", "<#C"];

describe("escapeMrkdwn", () => {
  it("folds a lone carriage return into a space instead of gluing words", () => {
    expect(escapeMrkdwn("three\rfour")).toBe("three four");
  });

  it.each([
    ["a channel ping", "<!channel> approve now", "&lt;!channel&gt; approve now"],
    ["a disguised link", "<https://evil.example|click>", "&lt;https://evil.example|click&gt;"],
    ["a user mention", "ask <@U123>", "ask &lt;@U123&gt;"],
    ["an existing entity", "a &amp; b", "a &amp;amp; b"],
  ])("neutralises %s", (_name, input, expected) => {
    expect(escapeMrkdwn(input)).toBe(expected);
  });

  it("removes NUL, ESC, C1 controls and bidi overrides", () => {
    expect(escapeMrkdwn("a\u0000b\u001b[31mc\u202Ed\u0085e\u200Bf\uFEFF")).toBe("ab[31mcdef");
  });

  it("folds line breaks into single spaces", () => {
    expect(escapeMrkdwn("one\r\ntwo\n\nthree\nfour")).toBe("one two three four");
  });

  it("bounds the length, marking the cut with an ellipsis", () => {
    const out = escapeMrkdwn("x".repeat(1000), 40);
    expect(out).toHaveLength(40);
    expect(out.endsWith("…")).toBe(true);
    expect(escapeMrkdwn("x".repeat(40), 40)).toBe("x".repeat(40));
  });

  it("cuts before escaping, so a cut never splits an entity", () => {
    const out = escapeMrkdwn("<".repeat(100), 10);
    expect(out).toBe(`${"&lt;".repeat(9)}…`);
  });

  it("renders non-strings as JSON and null as a dash, escaped the same way", () => {
    expect(escapeMrkdwn({ note: "<!here>" })).toBe('{"note":"&lt;!here&gt;"}');
    expect(escapeMrkdwn(null)).toBe("—");
    expect(escapeMrkdwn(3)).toBe("3");
  });
});

describe("pendingApprovalCard with hostile alert text", () => {
  const approvalId = "inc_0123456789abcdefghjkmnpqrs.approveRevoke";
  const input: ApprovalCardInput = {
    incident: {
      id: "inc_0123456789abcdefghjkmnpqrs",
      title: "<!channel> OpenAI API Key leaked in <https://evil.example/approve|example-corp/support-chat>",
      severity: "high",
      type: "leaked_api_key",
      playbook: "leaked-ai-key",
      // Unknown asset ids come from the alert, and the risk reasons name them.
      risk: {
        score: 78,
        reasons: ["severity high: 65", "not in the AI asset inventory (app <!subteam^S0ALL>): +10"],
      },
      ownerTeams: ["support-platform"],
      unknownAssets: [{ kind: "app", id: "<!subteam^S0ALL> <https://evil.example|shadow-ai>" }],
    },
    approval: {
      approvalId,
      title: "Revoke the leaked OpenAI key",
      timeoutAt: "2026-11-26T00:00:00.000Z",
      status: "pending",
      policy: "one",
      approvedBy: [],
    },
    plan: ["Delete the OpenAI project API key shown below."],
    facts: {
      Repository: "example-corp/support-chat-service",
      "Key name": "<!here> prod\nkey <@U0123ABCD>",
      "<!everyone>": "label is hostile too",
      "OpenAI project": "<https://evil.example|Open approval>\u202E",
      Extra: { nested: "<#C0SECRET> <!channel>" },
    },
    dryRun: false,
  };
  const card = pendingApprovalCard(input);
  const json = JSON.stringify(card.blocks);

  it("lets no raw ping, link or mention through anywhere in the blocks", () => {
    for (const sequence of RAW_CONTROL_SEQUENCES) expect(json).not.toContain(sequence);
    expect(json).not.toContain("\u202E");
  });

  it("still shows the hostile text, escaped, rather than dropping it", () => {
    expect(json).toContain("&lt;!channel&gt; OpenAI API Key leaked in &lt;https://evil.example/approve|");
    expect(json).toContain("&lt;!here&gt; prod key &lt;@U0123ABCD&gt;");
    expect(json).toContain("*&lt;!everyone&gt;*");
  });

  it("shows what triage learnt: risk with its reasons, owners, and unknown AI assets, escaped", () => {
    expect(json).toContain(
      "*Risk:* 78/100 (severity high: 65; not in the AI asset inventory (app &lt;!subteam^S0ALL&gt;): +10)",
    );
    expect(json).toContain("*Owners:* support-platform");
    expect(json).toContain(
      "*Not in the AI asset inventory:* app &lt;!subteam^S0ALL&gt; &lt;https://evil.example|shadow-ai&gt;",
    );
  });

  it("keeps the Approve, Approve with comment and Deny buttons carrying the approval id", () => {
    const actions = card.blocks.find((block) => block.type === "actions");
    expect(actions?.elements).toEqual([
      expect.objectContaining({ action_id: "quell.approve", value: approvalId }),
      expect.objectContaining({ action_id: "quell.approve_comment", value: approvalId }),
      expect.objectContaining({ action_id: "quell.deny", value: approvalId }),
    ]);
  });
});
