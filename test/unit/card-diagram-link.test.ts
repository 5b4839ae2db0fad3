import { describe, expect, it } from "vitest";
import { diagramUrlFor } from "../../functions/approval-request/core.js";
import { type ApprovalCardInput, pendingApprovalCard } from "../../functions/slack/cards.js";

const BASE = "https://github.com/example-corp/quell/blob/main/docs/playbooks";

const input = (diagramUrl?: string): ApprovalCardInput => ({
  incident: {
    id: "inc_0123456789abcdefghjkmnpqrs",
    title: "Support agent called refund tool outside policy",
    severity: "high",
    type: "agent_tool_misuse",
    playbook: "contain-agent-tool",
  },
  approval: {
    approvalId: "inc_0123456789abcdefghjkmnpqrs.approveCutTool",
    title: "Cut the tool this Bedrock agent misused",
    timeoutAt: "2026-12-08T00:00:00.000Z",
    status: "pending",
    policy: "one",
    approvedBy: [],
    ...(diagramUrl ? { diagramUrl } : {}),
  },
  plan: ["Disable the action group."],
  facts: {},
  dryRun: false,
});

const notes = (card: ReturnType<typeof pendingApprovalCard>) =>
  JSON.stringify((card.blocks as { type: string }[]).filter((block) => block.type === "context"));

describe("an approval card's link to its playbook's diagram", () => {
  it("links the published page when QUELL_PLAYBOOK_DOCS_URL is set", () => {
    const url = diagramUrlFor("contain-agent-tool", `${BASE}/`);
    expect(url).toBe(`${BASE}/contain-agent-tool.md`);
    expect(notes(pendingApprovalCard(input(url)))).toContain(
      `Playbook <${BASE}/contain-agent-tool.md|\`contain-agent-tool\`> (diagram)`,
    );
  });

  it("names the page in the repository when nothing is published", () => {
    expect(diagramUrlFor("contain-agent-tool", undefined)).toBeUndefined();
    expect(notes(pendingApprovalCard(input()))).toContain(
      "Playbook `contain-agent-tool` (diagram: docs/playbooks/contain-agent-tool.md)",
    );
  });

  it.each([
    ["not http(s)", "javascript:alert(1)"],
    ["a Slack link breaker", "https://example.com/docs|click here"],
    ["an angle bracket", "https://example.com/<!channel>"],
    ["a space", "https://example.com/a b"],
  ])("refuses a base URL with %s (it goes into a Slack link)", (_what, base) => {
    expect(diagramUrlFor("contain-agent-tool", base)).toBeUndefined();
  });

  it("refuses a playbook name that is not one", () => {
    expect(diagramUrlFor("../../etc/passwd", BASE)).toBeUndefined();
  });
});
