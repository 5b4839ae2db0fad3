import { describe, expect, it } from "vitest";
import type { ActionRun } from "../../functions/shared/action-runs.js";
import type { Approval } from "../../functions/shared/incident.js";
import { autoApprovalCard } from "../../functions/slack/auto-card.js";

const incident = {
  id: "inc_autocard000001",
  title: "Leaked key <!channel> already inactive",
  severity: "medium",
  type: "leaked_api_key",
  playbook: "leaked-ai-key",
  status: "running",
} as const;

const approval: Approval = {
  approvalId: "inc_autocard000001.closeAlert",
  incidentId: "inc_autocard000001",
  step: "closeAlert",
  status: "approved",
  policy: "auto",
  actionStep: "resolveAlert",
  approvedBy: [],
  dryRun: false,
  title: "Close the alert",
  plan: ["Resolve the alert."],
  facts: { Repository: "<https://evil.example|example-corp/app>" },
  approvers: [],
  requestedAt: "2026-11-26T03:00:00.000Z",
  timeoutAt: "2026-11-26T03:00:00.000Z",
  decidedBy: "quell:auto",
  decidedAt: "2026-11-26T03:00:00.000Z",
};

const run = (changes: Partial<ActionRun>): ActionRun => ({
  runId: "inc_autocard000001.resolveAlert",
  incidentId: "inc_autocard000001",
  step: "resolveAlert",
  action: "github.resolve-secret-scanning-alert",
  status: "applied",
  undoable: true,
  input: {},
  output: {},
  writes: [{}],
  at: "2026-11-26T03:00:01.000Z",
  ...changes,
});

const render = (changes: { run?: ActionRun; approval?: Partial<Approval> }) =>
  JSON.stringify(
    autoApprovalCard({ incident, approval: { ...approval, ...changes.approval }, run: changes.run }).blocks,
  );

describe("the auto approval card", () => {
  it("offers Undo, carrying the run id, only once the action applied something it can undo", () => {
    expect(render({})).not.toContain("quell.undo");
    expect(render({})).toContain("Running");
    const applied = render({ run: run({}) });
    expect(applied).toContain('"action_id":"quell.undo"');
    expect(applied).toContain('"value":"inc_autocard000001.resolveAlert"');
    expect(applied).toContain("Approved by policy");
    expect(render({ run: run({ undoable: false }) })).not.toContain("quell.undo");
    expect(render({ run: run({ undoable: false }) })).toContain("cannot be undone");
    expect(render({ run: run({ undoable: false, writes: [] }) })).toContain("Nothing needed changing");
  });

  it("never offers Undo in dry run, while an undo runs, or after it", () => {
    expect(render({ run: run({ status: "planned" }), approval: { dryRun: true } })).not.toContain(
      "quell.undo",
    );
    for (const status of ["undo_requested", "undone", "undo_failed"] as const) {
      expect(render({ run: run({ status, undoRequestedBy: "U0APPROVER" }) })).not.toContain("quell.undo");
    }
    expect(render({ run: run({ status: "undone", undoRequestedBy: "U0APPROVER" }) })).toContain(
      "*Undone* by <@U0APPROVER>",
    );
  });

  it("escapes alert-derived text and an undo error (no mentions, no disguised links)", () => {
    const shown = render({
      run: run({
        status: "undo_failed",
        undoRequestedBy: "U0APPROVER",
        undoError: "ProviderError: <!here> <http://x|y>",
      }),
    });
    expect(shown).not.toContain("<!channel>");
    expect(shown).not.toContain("<!here>");
    expect(shown).not.toContain("<https://evil.example|");
    expect(shown).not.toContain("<http://x|y>");
    expect(shown).toContain("Undo failed");
  });

  it("says when the action never completed", () => {
    expect(render({ approval: {} }).includes("did not complete")).toBe(false);
    const ended = JSON.stringify(
      autoApprovalCard({ incident: { ...incident, status: "failed" }, approval, run: undefined }).blocks,
    );
    expect(ended).toContain("did not complete");
  });
});
