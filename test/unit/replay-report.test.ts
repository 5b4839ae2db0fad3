import { describe, expect, it } from "vitest";
import type { IncidentPage, RehearsalAnswer } from "../../infra/local/client.js";
import { type ReplaySource, replayCommand } from "../../infra/local/replay.js";
import {
  diffFacts,
  formatReplayedAlert,
  type ReplayIncident,
  runFacts,
  writeLine,
} from "../../infra/local/replay-report.js";

const OPENAI = "http://127.0.0.1:42837";
const GITHUB = "http://127.0.0.1:35271";
const DELETE = {
  kind: "http",
  method: "DELETE",
  url: `${OPENAI}/v1/organization/projects/proj_support_chat/api_keys/key_support_prod`,
};
const PATCH = (number: number, comment: string) => ({
  kind: "http",
  method: "PATCH",
  url: `${GITHUB}/repos/example-corp/support-chat-service/secret-scanning/alerts/${number}`,
  body: { state: "resolved", resolution: "revoked", resolution_comment: comment },
});
const ALERT = {
  id: "alr_01m97f61emt8x47v47kf01rt3w",
  type: "leaked_api_key",
  source: "github",
  title: "OpenAI API Key leaked in example-corp/support-chat-service",
  receivedAt: "2026-12-07T05:20:01.000Z",
};
const START = Date.parse("2026-12-07T05:20:00.000Z");
let entries = 0;
/** A timeline entry, 10 ms after the one made before it. */
const entry = (kind: string, summary: string, detail?: Record<string, unknown>) => ({
  at: new Date(START + 10 * ++entries).toISOString(),
  kind,
  summary,
  ...(detail ? { detail } : {}),
});

/** What the deployed leaked-ai-key run recorded: a human approved, the DELETE and PATCH were applied. */
const DEPLOYED: ReplayIncident = {
  id: "inc_01m97f624nfn6m1d9f12b6xex4",
  status: "mitigated",
  severity: "critical",
  type: "leaked_api_key",
  title: ALERT.title,
  playbook: "leaked-ai-key",
  alertCount: 1,
  createdAt: "2026-12-07T05:20:00.500Z",
  route: { playbook: "leaked-ai-key", rule: "default" },
  approvals: [],
  alerts: [ALERT],
  timeline: [
    entry("received", `alert ${ALERT.id} received from github`),
    entry("triaged", "leaked_api_key, severity critical, risk 80"),
    entry("playbook_started", "playbook leaked-ai-key started"),
    entry("action_applied", "openai.find-leaked-key: done, nothing to write", {
      step: "locateKey",
      action: "openai.find-leaked-key",
      writes: [],
    }),
    entry("approval_requested", "approval requested: Revoke the leaked OpenAI key", {
      approvalId: "inc_x.approveRevoke",
      step: "approveRevoke",
      channel: "C0INCIDENTS",
      policy: "one",
    }),
    entry("approval_decided", "approved by U0APPROVER", {
      approvalId: "inc_x.approveRevoke",
      step: "approveRevoke",
      policy: "one",
    }),
    entry("write_attempted", "openai.revoke-project-key: sending DELETE", {
      step: "revokeKey",
      write: DELETE,
    }),
    entry("write_settled", "openai.revoke-project-key: sent DELETE", { step: "revokeKey", write: DELETE }),
    entry("action_applied", "openai.revoke-project-key: 1 write(s) applied", {
      step: "revokeKey",
      action: "openai.revoke-project-key",
      writes: [DELETE],
      undoable: false,
    }),
    entry("action_verified", "openai.revoke-project-key: verified, the key is gone", {
      step: "revokeKey",
      action: "openai.revoke-project-key",
    }),
    entry("action_applied", "github.resolve-secret-scanning-alert: 1 write(s) applied", {
      step: "resolveAlert",
      action: "github.resolve-secret-scanning-alert",
      writes: [PATCH(42, "Key revoked by Quell after approval.")],
    }),
    entry("closed", "mitigated: key revoked and alert resolved", { step: "done", outcome: "mitigated" }),
  ],
};

/** Its replay: the key is gone now, so the playbook asks (would ask) for the by-hand revoke and plans the PATCH. */
const REHEARSAL: ReplayIncident = {
  ...DEPLOYED,
  id: "inc_01m97f67rmkw41arxmy41pd7e9",
  title: `Replay of leaked-ai-key: ${ALERT.title}`,
  rehearsal: { of: DEPLOYED.id, alertId: ALERT.id, requestedBy: "quell replay", quiet: true },
  timeline: [
    entry("playbook_started", "replay of leaked-ai-key on alert …", {
      playbook: "leaked-ai-key",
      dryRun: true,
      quiet: true,
    }),
    entry("action_planned", "openai.find-leaked-key: dry run, 0 write(s) planned and not sent", {
      step: "locateKey",
      action: "openai.find-leaked-key",
      writes: [],
    }),
    entry("approval_would_ask", "shadow: would ask one of U0APPROVER in C0INCIDENTS: …; nobody was asked", {
      approvalId: "inc_y.confirmManualRevoke",
      step: "confirmManualRevoke",
      title: "No single OpenAI key matches: revoke it by hand",
      channel: "C0INCIDENTS",
      policy: "one",
      approvers: ["U0APPROVER"],
    }),
    entry(
      "action_planned",
      "github.resolve-secret-scanning-alert: dry run, 1 write(s) planned and not sent",
      {
        step: "resolveAlertAfterManualRevoke",
        action: "github.resolve-secret-scanning-alert",
        writes: [PATCH(42, "Key revoked by hand; confirmed in Quell.")],
      },
    ),
    entry("closed", "mitigated: alert resolved after the key was revoked by hand", {
      step: "done",
      outcome: "mitigated",
    }),
  ],
};

const ANSWER: RehearsalAnswer = {
  started: true,
  incidentId: REHEARSAL.id,
  route: { playbook: "leaked-ai-key", rule: "default" },
  original: {
    incidentId: DEPLOYED.id,
    status: "mitigated",
    playbook: "leaked-ai-key",
    route: { playbook: "leaked-ai-key", rule: "default" },
  },
};

describe("replay report", () => {
  it("reads a run's steps, writes, approvals and outcome from its timeline", () => {
    const facts = runFacts(DEPLOYED);
    expect(facts.steps).toEqual([
      "locateKey  openai.find-leaked-key: nothing to write",
      "approveRevoke  approval (one): asked",
      "revokeKey  openai.revoke-project-key: 1 write(s) applied",
      "resolveAlert  github.resolve-secret-scanning-alert: 1 write(s) applied",
    ]);
    expect(facts.writes[0]).toBe(`revokeKey  openai.revoke-project-key  DELETE ${DELETE.url}`);
    expect(facts.outcome).toBe("mitigated");
    expect(runFacts(REHEARSAL).approvals).toEqual([
      "confirmManualRevoke: would ask one of U0APPROVER in C0INCIDENTS: No single OpenAI key matches: revoke it by hand",
    ]);
  });

  it("prints writes on one line each, AWS ones with their input", () => {
    expect(
      writeLine({
        kind: "aws",
        service: "iam",
        operation: "UpdateAccessKey",
        input: { AccessKeyId: "AKIA1", Status: "Inactive" },
      }),
    ).toBe('iam UpdateAccessKey {"AccessKeyId":"AKIA1","Status":"Inactive"}');
    expect(writeLine({ kind: "http", method: "DELETE", url: "https://x/\u001b[31mred" })).toBe(
      "DELETE https://x/[31mred",
    );
  });

  it("diffs as - for the deployed run only and + for the rehearsal only; nothing when the same", () => {
    expect(diffFacts(["a", "b", "b"], ["b", "a", "b"])).toEqual([]);
    expect(diffFacts(["a", "b", "b"], ["b", "c"])).toEqual(["- a", "- b", "+ c"]);
  });

  it("prints one alert: route now and then, steps, planned writes, would-ask approvals and the diff", () => {
    const printed = formatReplayedAlert(
      { alert: ALERT, answer: ANSWER, rehearsal: REHEARSAL, original: DEPLOYED },
      "leaked-ai-key",
    );
    expect(printed.split("\n")).toEqual([
      `alert ${ALERT.id}  leaked_api_key from github: ${ALERT.title}`,
      "  route now:  leaked-ai-key (rule default)",
      `  route then: leaked-ai-key (rule default); incident ${DEPLOYED.id} ran leaked-ai-key (mitigated)`,
      `  rehearsal ${REHEARSAL.id}: mitigated`,
      "  steps:",
      "    locateKey  openai.find-leaked-key: nothing to write",
      "    confirmManualRevoke  approval (one): would ask",
      "    resolveAlertAfterManualRevoke  github.resolve-secret-scanning-alert: 1 write(s) planned",
      "  writes planned (none sent):",
      `    resolveAlertAfterManualRevoke  github.resolve-secret-scanning-alert  PATCH ${PATCH(42, "").url} {"state":"resolved","resolution":"revoked","resolution_comment":"Key revoked by hand; confirmed in Quell."}`,
      "  approvals it would ask:",
      "    confirmManualRevoke: would ask one of U0APPROVER in C0INCIDENTS: No single OpenAI key matches: revoke it by hand",
      `  diff against ${DEPLOYED.id} (mitigated):`,
      "    - approval approveRevoke one",
      "    - step revokeKey openai.revoke-project-key",
      `    - write revokeKey openai.revoke-project-key DELETE ${DELETE.url}`,
      "    - step resolveAlert github.resolve-secret-scanning-alert",
      `    - write resolveAlert github.resolve-secret-scanning-alert PATCH ${PATCH(42, "").url} {"state":"resolved","resolution":"revoked","resolution_comment":"Key revoked by Quell after approval."}`,
      "    + approval confirmManualRevoke one",
      "    + step resolveAlertAfterManualRevoke github.resolve-secret-scanning-alert",
      `    + write resolveAlertAfterManualRevoke github.resolve-secret-scanning-alert PATCH ${PATCH(42, "").url} {"state":"resolved","resolution":"revoked","resolution_comment":"Key revoked by hand; confirmed in Quell."}`,
    ]);
    const same = formatReplayedAlert(
      { alert: ALERT, answer: ANSWER, rehearsal: REHEARSAL, original: { ...REHEARSAL, id: DEPLOYED.id } },
      "leaked-ai-key",
    );
    expect(same).toContain(`  diff against ${DEPLOYED.id} (mitigated): same`);
  });

  it("says why an alert was skipped, and when nothing here ran it", () => {
    const skipped = { started: false, route: { playbook: null, rule: "quiet-bots", reason: "suppressed" } };
    expect(formatReplayedAlert({ alert: ALERT, answer: skipped }, "leaked-ai-key")).toContain(
      "  route now:  no playbook (suppressed) (rule quiet-bots)",
    );
    expect(formatReplayedAlert({ alert: ALERT, answer: skipped }, "leaked-ai-key")).toContain(
      "  skipped: neither its incident nor triage now sends it to leaked-ai-key",
    );
    const exported = formatReplayedAlert(
      { alert: ALERT, answer: { ...ANSWER, original: undefined }, rehearsal: REHEARSAL },
      "leaked-ai-key",
    );
    expect(exported).toContain("  route then: not stored");
    expect(exported).toContain("  diff: nothing to compare");
  });
});

/** The local API as replay sees it, with the incidents above and rehearsals that end as `ending` says. */
function fakeSource(
  ending: string,
  rehearse?: () => Promise<RehearsalAnswer>,
): ReplaySource & { requests: unknown[] } {
  const requests: unknown[] = [];
  const listed = { ...DEPLOYED, createdAt: "2026-12-07T05:20:00.500Z" };
  return {
    requests,
    async incidents(): Promise<IncidentPage> {
      return { incidents: [listed, { ...REHEARSAL, createdAt: "2026-12-07T05:21:00.000Z" }], more: false };
    },
    async incident(id) {
      if (id === DEPLOYED.id) return DEPLOYED;
      return id === REHEARSAL.id ? { ...REHEARSAL, status: ending } : undefined;
    },
    async rehearse(request) {
      requests.push(request);
      return rehearse ? rehearse() : ANSWER;
    },
  };
}

describe("replay command", () => {
  const NOW = new Date("2026-12-07T06:00:00.000Z");

  it("rehearses each stored incident's first alert once, never a rehearsal, and exits 0", async () => {
    const source = fakeSource("mitigated");
    const result = await replayCommand(["--playbook", "leaked-ai-key", "--since", "1d"], source, {
      now: NOW,
      pollMs: 1,
    });
    expect(result.code).toBe(0);
    expect(source.requests).toEqual([{ playbook: "leaked-ai-key", alertId: ALERT.id, onlyIfRouted: true }]);
    expect(result.output).toContain(
      "replay of leaked-ai-key: 1 stored alert(s) of the last 1d, 1 rehearsed, 0 skipped",
    );
  });

  it("leaves out what was received before the window", async () => {
    const source = fakeSource("mitigated");
    const later = new Date("2026-12-09T06:00:00.000Z");
    const result = await replayCommand(["--playbook", "leaked-ai-key", "--since", "1d"], source, {
      now: later,
    });
    expect(source.requests).toEqual([]);
    expect(result.output).toContain("0 stored alert(s) of the last 1d");
  });

  it("gives up on a rehearsal that does not finish in time, saying which and how to look", async () => {
    const source = fakeSource("awaiting_approval");
    const result = await replayCommand(["--playbook", "leaked-ai-key", "--wait", "1"], source, {
      now: NOW,
      pollMs: 50,
    });
    expect(result.code).toBe(1);
    expect(result.output).toContain(
      `rehearsal ${REHEARSAL.id} did not finish in time (still awaiting_approval); raise --wait, or see npm run quell -- incident ${REHEARSAL.id}`,
    );
  });

  it("fails loudly if a rehearsal ever recorded a write as sent", async () => {
    const source = fakeSource("mitigated");
    const sentOne = {
      ...REHEARSAL,
      timeline: [...REHEARSAL.timeline, entry("write_attempted", "sending", { write: DELETE })],
    };
    source.incident = async (id) => (id === REHEARSAL.id ? sentOne : DEPLOYED);
    const result = await replayCommand(["--playbook", "leaked-ai-key"], source, { now: NOW, pollMs: 1 });
    expect(result.code).toBe(1);
    expect(result.output).toContain("recorded 1 write(s) as sent: report this as a bug");
  });

  it("reports a refused rehearsal and a bad argument with a non-zero exit", async () => {
    const refused = fakeSource("mitigated", async () => {
      throw new Error("POST /rehearsals answered 401: the bearer token is not the read token");
    });
    const result = await replayCommand(["--playbook", "leaked-ai-key"], refused, { now: NOW });
    expect(result.code).toBe(1);
    expect(result.output).toContain(`alert ${ALERT.id}: POST /rehearsals answered 401`);
    const usage = await replayCommand(["--since", "7d"], refused);
    expect(usage).toEqual({
      code: 1,
      output: expect.stringContaining("replay: --playbook <name> is required"),
    });
    const missing = await replayCommand(
      ["--playbook", "leaked-ai-key", "--from", "/nonexistent/alerts.jsonl"],
      refused,
    );
    expect(missing.code).toBe(1);
    expect(missing.output).toContain("/nonexistent/alerts.jsonl: ENOENT");
  });
});
