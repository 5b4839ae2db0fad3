import { describe, expect, it } from "vitest";
import {
  countsTowardsMetrics,
  formatDuration,
  incidentTimes,
  type ListedIncident,
  parseStatsDays,
  percentile,
  type ResponseIncident,
  responseMetricsEmf,
  summarize,
  type TimelineEntry,
  withTimelines,
} from "../../functions/shared/response-metrics.js";

const OPENED = Date.parse("2026-12-01T10:00:00.000Z");
/** The time `seconds` after the incident opened. */
const at = (seconds: number) => new Date(OPENED + seconds * 1000).toISOString();

const requested = (s: number, policy = "one"): TimelineEntry => ({
  at: at(s),
  kind: "approval_requested",
  detail: { approvalId: "inc_x.approve", step: "approve", channel: "C1", policy },
});
const decided = (s: number, decision: string, actor: string): TimelineEntry => ({
  at: at(s),
  kind: "approval_decided",
  actor,
  detail: { approvalId: "inc_x.approve", decision, approvedBy: [actor], reason: null, comment: null },
});
const applied = (s: number, step: string, writes: unknown[]): TimelineEntry => ({
  at: at(s),
  kind: "action_applied",
  detail: { step, action: "openai.revoke-project-key", writes, output: {}, undoable: false },
});
const planned = (s: number, step: string): TimelineEntry => ({
  at: at(s),
  kind: "action_planned",
  detail: { step, action: "openai.revoke-project-key", writes: [{ method: "DELETE" }], undoable: false },
});
const verified = (s: number, step: string): TimelineEntry => ({
  at: at(s),
  kind: "action_verified",
  detail: { step, action: "openai.revoke-project-key" },
});
const closed = (s: number, outcome: string): TimelineEntry => ({
  at: at(s),
  kind: "closed",
  detail: { step: "end", outcome },
});
const opening: TimelineEntry[] = [
  { at: at(-2), kind: "received", detail: { alertId: "alr_1" } },
  { at: at(0), kind: "triaged" },
  { at: at(1), kind: "playbook_started", detail: { playbook: "leaked-ai-key" } },
];
const WRITE = { method: "DELETE", url: "https://api.openai.com/v1/organization/projects/p/api_keys/k" };

const incident = (timeline: TimelineEntry[], extra: Partial<ResponseIncident> = {}): ResponseIncident => ({
  id: "inc_x",
  playbook: "leaked-ai-key",
  type: "leaked_api_key",
  status: "mitigated",
  createdAt: at(0),
  timeline: [...opening, ...timeline],
  ...extra,
});

describe("incidentTimes", () => {
  it("approved: asked → approved, opened → verified write, opened → closed", () => {
    const times = incidentTimes(
      incident([
        requested(60),
        decided(312, "approved", "U0ALICE"),
        applied(320, "revoke", [WRITE]),
        verified(321, "revoke"),
        closed(330, "mitigated"),
      ]),
    );
    expect(times).toEqual({
      id: "inc_x",
      playbook: "leaked-ai-key",
      alertType: "leaked_api_key",
      acknowledge: { kind: "reached", ms: 252_000, at: at(312) },
      contain: { kind: "reached", ms: 321_000, at: at(321) },
      resolve: { kind: "reached", ms: 330_000, at: at(330) },
      outcome: "mitigated",
    });
  });

  it("denied: a deny acknowledges; nothing is contained; closed denied resolves", () => {
    const times = incidentTimes(
      incident([requested(30), decided(90, "denied", "U0BOB"), closed(91, "denied")], { status: "denied" }),
    );
    expect(times.acknowledge).toEqual({ kind: "reached", ms: 60_000, at: at(90) });
    expect(times.contain).toEqual({ kind: "missing" });
    expect(times.resolve).toEqual({ kind: "reached", ms: 91_000, at: at(91) });
    expect(times.outcome).toBe("denied");
  });

  it("expired: an expiry, a click too late and an escalation are not acknowledgements", () => {
    const times = incidentTimes(
      incident(
        [
          requested(10),
          { at: at(600), kind: "escalated", detail: { to: "S0ONCALL" } },
          { at: at(3610), kind: "approval_expired", detail: { step: "approve", outcome: "expired" } },
          decided(3610, "expired", "quell:timeout"),
          {
            at: at(3700),
            kind: "approval_refused",
            actor: "U0LATE",
            detail: { attempted: "approved", error: "TaskTimedOut" },
          },
          closed(3611, "expired"),
        ],
        { status: "expired" },
      ),
    );
    expect(times.acknowledge).toEqual({ kind: "missing" });
    expect(times.contain).toEqual({ kind: "missing" });
    expect(times.resolve).toEqual({ kind: "reached", ms: 3_611_000, at: at(3611) });
  });

  it("auto: nobody is asked, so acknowledge does not apply; the verified write contains", () => {
    const times = incidentTimes(
      incident([
        {
          at: at(4),
          kind: "approval_decided",
          actor: "quell:auto",
          detail: { approvalId: "inc_x.auto", step: "auto", policy: "auto", actionStep: "revoke" },
        },
        applied(5, "revoke", [WRITE]),
        verified(6, "revoke"),
        closed(7, "mitigated"),
      ]),
    );
    expect(times.acknowledge).toEqual({ kind: "not_applicable" });
    expect(times.contain).toEqual({ kind: "reached", ms: 6000, at: at(6) });
  });

  it("dry run: planned writes never contain", () => {
    const times = incidentTimes(
      incident([
        requested(10),
        decided(20, "approved", "U0ALICE"),
        planned(21, "revoke"),
        closed(22, "mitigated"),
      ]),
    );
    expect(times.acknowledge).toEqual({ kind: "reached", ms: 10_000, at: at(20) });
    expect(times.contain).toEqual({ kind: "missing" });
  });

  it("failed: a four-eyes first vote acknowledges; a write whose read-back failed does not contain", () => {
    const times = incidentTimes(
      incident(
        [
          requested(10),
          {
            at: at(40),
            kind: "approval_vote",
            actor: "U0ALICE",
            detail: { approvalId: "inc_x.approve", approvedBy: ["U0ALICE"] },
          },
          decided(100, "approved", "U0BOB"),
          applied(110, "revoke", [WRITE]),
          {
            at: at(111),
            kind: "action_failed",
            detail: { step: "revoke", error: { Error: "VerificationFailed" } },
          },
          closed(112, "failed"),
        ],
        { status: "failed" },
      ),
    );
    expect(times.acknowledge).toEqual({ kind: "reached", ms: 30_000, at: at(40) });
    expect(times.contain).toEqual({ kind: "missing" });
    expect(times.resolve).toEqual({ kind: "reached", ms: 112_000, at: at(112) });
    expect(times.outcome).toBe("failed");
  });

  it("still open: asked, nothing answered, contained or closed", () => {
    const times = incidentTimes(incident([requested(10)], { status: "awaiting_approval" }));
    expect(times).toMatchObject({
      acknowledge: { kind: "missing" },
      contain: { kind: "missing" },
      resolve: { kind: "missing" },
      outcome: null,
    });
  });

  it("an explicit /quell ack acknowledges, and one before the request counts as 0", () => {
    const ack = (s: number): TimelineEntry => ({ at: at(s), kind: "acknowledged", actor: "U0CAROL" });
    expect(
      incidentTimes(incident([requested(10), ack(25), decided(90, "approved", "U0A")])).acknowledge,
    ).toEqual({ kind: "reached", ms: 15_000, at: at(25) });
    expect(incidentTimes(incident([ack(5), requested(10)])).acknowledge).toEqual({
      kind: "reached",
      ms: 0,
      at: at(5),
    });
    // An ack with nobody asked: acknowledge does not apply.
    expect(incidentTimes(incident([ack(5)])).acknowledge).toEqual({ kind: "not_applicable" });
  });

  it("counts only a step that sent writes, in whatever order same-time entries come", () => {
    const times = incidentTimes(
      incident([
        // A step that found nothing to change sends nothing (even if an entry said verified).
        applied(10, "findKey", []),
        verified(10, "findKey"),
        // Verified listed before its applied entry (the same millisecond: the sort key's suffix is random).
        verified(50, "revoke"),
        applied(50, "revoke", [WRITE]),
      ]),
    );
    expect(times.contain).toEqual({ kind: "reached", ms: 50_000, at: at(50) });
  });

  it("takes the earliest entry, not the first listed, and skips entries with an unreadable time", () => {
    const times = incidentTimes(
      incident([
        closed(90, "failed"),
        { at: "not a time", kind: "closed", detail: { outcome: "x" } },
        closed(40, "resolved"),
        decided(30, "approved", "U0BOB"),
        requested(10),
        { at: at(20), kind: "approval_vote", actor: "U0ALICE", detail: { approvedBy: ["U0ALICE"] } },
      ]),
    );
    expect(times.resolve).toEqual({ kind: "reached", ms: 40_000, at: at(40) });
    expect(times.outcome).toBe("resolved");
    expect(times.acknowledge).toEqual({ kind: "reached", ms: 10_000, at: at(20) });
  });

  it("takes neither a decision by Quell itself nor an expiry for a person's answer", () => {
    const times = incidentTimes(
      incident([
        requested(10),
        decided(20, "approved", "quell:auto"),
        decided(30, "denied", "quell:interrupted"),
        // A decision whose delivery found the task gone is corrected to expired, keeping who clicked.
        decided(40, "expired", "U0BOB"),
      ]),
    );
    expect(times.acknowledge).toEqual({ kind: "missing" });
  });
});

describe("percentile (nearest rank)", () => {
  const upTo = (n: number) => Array.from({ length: n }, (_, index) => index + 1);
  it("is always one of the values: the smallest that p% are at or under", () => {
    expect(percentile(upTo(10), 90)).toBe(9);
    expect(percentile(upTo(11), 90)).toBe(10);
    expect(percentile(upTo(30), 90)).toBe(27);
    expect(percentile(upTo(4), 50)).toBe(2);
    expect(percentile(upTo(5), 50)).toBe(3);
    // 90% of 6 is 5.4: the 6th value, not the 5th (rounded) nor an interpolation.
    expect(percentile(upTo(6), 90)).toBe(6);
    expect(percentile(upTo(16), 90)).toBe(15);
    expect(percentile([7], 90)).toBe(7);
    expect(percentile([7], 50)).toBe(7);
    expect(percentile(upTo(10), 100)).toBe(10);
    expect(percentile([], 50)).toBeUndefined();
  });
});

describe("summarize", () => {
  const since = new Date(at(-3600));
  const until = new Date(at(1000));
  const leaked = (id: string, createdAt: number, timeline: TimelineEntry[]): ResponseIncident => ({
    id,
    playbook: "leaked-ai-key",
    type: "leaked_api_key",
    status: "mitigated",
    createdAt: at(createdAt),
    timeline,
  });
  const rel = (base: number) => ({
    requested: (s: number) => requested(base + s),
    decided: (s: number, who: string) => decided(base + s, "approved", who),
    applied: (s: number) => applied(base + s, "revoke", [WRITE]),
    verified: (s: number) => verified(base + s, "revoke"),
    closed: (s: number) => closed(base + s, "mitigated"),
  });
  const a = rel(0);
  const b = rel(100);
  const c = rel(200);
  const incidents: ResponseIncident[] = [
    // Acknowledged in 60 s, contained in 70 s, resolved in 80 s.
    leaked("inc_a", 0, [a.requested(0), a.decided(60, "U1"), a.applied(69), a.verified(70), a.closed(80)]),
    // Acknowledged in 120 s, contained in 130 s, resolved in 140 s.
    leaked("inc_b", 100, [
      b.requested(0),
      b.decided(120, "U1"),
      b.applied(129),
      b.verified(130),
      b.closed(140),
    ]),
    // Asked and never answered; open.
    { ...leaked("inc_c", 200, [c.requested(5)]), status: "awaiting_approval" },
    // Another playbook and type, auto: resolved in 30 s, contained in 20 s.
    {
      id: "inc_d",
      playbook: "throttle-abuser",
      type: "token_spend_anomaly",
      status: "mitigated",
      createdAt: at(300),
      timeline: [applied(310, "throttle", [WRITE]), verified(320, "throttle"), closed(330, "mitigated")],
    },
    // Left out: a rehearsal, nothing started, and one opened before the window.
    {
      ...leaked("inc_r", 10, [a.closed(5)]),
      rehearsal: { of: "inc_a", alertId: "alr_1", requestedBy: "U1" },
    },
    { ...leaked("inc_n", 20, []), playbook: null, status: "no_playbook" },
    { ...leaked("inc_l", 30, []), status: "rate_limited" },
    leaked("inc_old", -3601, [closed(-3000, "mitigated")]),
    leaked("inc_after", 1001, [closed(1002, "mitigated")]),
  ];

  it("counts per playbook and alert type, in the window: reached, median, p90, max, not reached, not asked", () => {
    const leakedGroup = {
      incidents: 3,
      acknowledge: {
        count: 2,
        medianMs: 60_000,
        p90Ms: 120_000,
        maxMs: 120_000,
        missing: 1,
        notApplicable: 0,
      },
      contain: { count: 2, medianMs: 70_000, p90Ms: 130_000, maxMs: 130_000, missing: 1, notApplicable: 0 },
      resolve: { count: 2, medianMs: 80_000, p90Ms: 140_000, maxMs: 140_000, missing: 1, notApplicable: 0 },
    };
    const throttleGroup = {
      incidents: 1,
      acknowledge: { count: 0, medianMs: null, p90Ms: null, maxMs: null, missing: 0, notApplicable: 1 },
      contain: { count: 1, medianMs: 20_000, p90Ms: 20_000, maxMs: 20_000, missing: 0, notApplicable: 0 },
      resolve: { count: 1, medianMs: 30_000, p90Ms: 30_000, maxMs: 30_000, missing: 0, notApplicable: 0 },
    };
    expect(summarize(incidents, since, until)).toEqual({
      since: at(-3600),
      incidents: 4,
      rehearsals: 1,
      shadows: 0,
      notStarted: 2,
      overall: {
        key: "all",
        incidents: 4,
        acknowledge: {
          count: 2,
          medianMs: 60_000,
          p90Ms: 120_000,
          maxMs: 120_000,
          missing: 1,
          notApplicable: 1,
        },
        contain: { count: 3, medianMs: 70_000, p90Ms: 130_000, maxMs: 130_000, missing: 1, notApplicable: 0 },
        resolve: { count: 3, medianMs: 80_000, p90Ms: 140_000, maxMs: 140_000, missing: 1, notApplicable: 0 },
      },
      byPlaybook: [
        { key: "leaked-ai-key", ...leakedGroup },
        { key: "throttle-abuser", ...throttleGroup },
      ],
      byAlertType: [
        { key: "leaked_api_key", ...leakedGroup },
        { key: "token_spend_anomaly", ...throttleGroup },
      ],
    });
  });

  it("counts nothing when the window is empty", () => {
    const report = summarize(incidents, new Date(at(10_000)), new Date(at(20_000)));
    expect(report).toMatchObject({
      incidents: 0,
      rehearsals: 0,
      shadows: 0,
      notStarted: 0,
      byPlaybook: [],
      byAlertType: [],
    });
    expect(report.overall.resolve).toEqual({
      count: 0,
      medianMs: null,
      p90Ms: null,
      maxMs: null,
      missing: 0,
      notApplicable: 0,
    });
  });
});

describe("countsTowardsMetrics and withTimelines", () => {
  const listed = (id: string, extra: Partial<ListedIncident> = {}): ListedIncident => ({
    id,
    playbook: "leaked-ai-key",
    type: "leaked_api_key",
    status: "running",
    createdAt: at(0),
    ...extra,
  });

  it("leaves out rehearsals and incidents where nothing started", () => {
    expect(countsTowardsMetrics(listed("a"))).toBe(true);
    expect(countsTowardsMetrics(listed("b", { rehearsal: { of: "a" } }))).toBe(false);
    expect(countsTowardsMetrics(listed("c", { playbook: null }))).toBe(false);
    for (const status of ["no_playbook", "suppressed", "rate_limited"])
      expect(countsTowardsMetrics(listed("d", { status }))).toBe(false);
  });

  it("reads the timeline of each counted incident only, a few at a time, and drops incidents that are gone", async () => {
    const ids = Array.from({ length: 10 }, (_, index) => `inc_${index}`);
    const reads: string[] = [];
    let running = 0;
    let most = 0;
    const result = await withTimelines(
      [...ids.map((id) => listed(id)), listed("inc_rehearsal", { rehearsal: { of: "x" } })],
      async (id) => {
        reads.push(id);
        running++;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 1));
        running--;
        return id === "inc_3" ? undefined : [closed(5, "mitigated")];
      },
      3,
    );
    expect(reads).toEqual(ids);
    expect(most).toBe(3);
    expect(result.map((one) => one.id)).toEqual([...ids.filter((id) => id !== "inc_3"), "inc_rehearsal"]);
    expect(result.find((one) => one.id === "inc_rehearsal")?.timeline).toEqual([]);
    expect(result[0]?.timeline).toEqual([closed(5, "mitigated")]);
  });
});

describe("formatDuration and parseStatsDays", () => {
  it("reads like 4m 12s, rounded down", () => {
    expect(formatDuration(850)).toBe("850ms");
    expect(formatDuration(42_000)).toBe("42s");
    expect(formatDuration(59_999)).toBe("59s");
    expect(formatDuration(60_000)).toBe("1m 0s");
    expect(formatDuration(252_000)).toBe("4m 12s");
    expect(formatDuration((2 * 3600 + 5 * 60 + 59) * 1000)).toBe("2h 5m");
    expect(formatDuration((3 * 86_400 + 4 * 3600) * 1000)).toBe("3d 4h");
  });

  it("takes 1 to 90 days, 7 by default", () => {
    expect(parseStatsDays(undefined)).toBe(7);
    expect(parseStatsDays(" ")).toBe(7);
    expect(parseStatsDays("30")).toBe(30);
    expect(parseStatsDays("90")).toBe(90);
    for (const bad of ["0", "91", "7d", "-1", "1.5", "abc", "1e2"])
      expect(parseStatsDays(bad)).toBeUndefined();
  });
});

describe("responseMetricsEmf", () => {
  const base = {
    id: "inc_x",
    playbook: "leaked-ai-key",
    alertType: "leaked_api_key",
    outcome: "mitigated",
  } as const;

  it("is one EMF line: namespace Quell, dimensions Playbook and AlertType, each reached milestone in ms", () => {
    const line = responseMetricsEmf(
      {
        ...base,
        acknowledge: { kind: "reached", ms: 252_000, at: at(312) },
        contain: { kind: "reached", ms: 321_000, at: at(321) },
        resolve: { kind: "reached", ms: 330_000, at: at(330) },
      },
      OPENED + 330_000,
    );
    expect(line).toBe(
      '{"_aws":{"Timestamp":1796119530000,"CloudWatchMetrics":[{"Namespace":"Quell","Dimensions":[["Playbook","AlertType"]],' +
        '"Metrics":[{"Name":"TimeToAcknowledge","Unit":"Milliseconds"},{"Name":"TimeToContain","Unit":"Milliseconds"},' +
        '{"Name":"TimeToResolve","Unit":"Milliseconds"}]}]},"Playbook":"leaked-ai-key","AlertType":"leaked_api_key",' +
        '"TimeToAcknowledge":252000,"TimeToContain":321000,"TimeToResolve":330000}',
    );
  });

  it("carries only the milestones reached", () => {
    const line = responseMetricsEmf(
      {
        ...base,
        acknowledge: { kind: "not_applicable" },
        contain: { kind: "missing" },
        resolve: { kind: "reached", ms: 91_000, at: at(91) },
      },
      OPENED + 91_000,
    );
    expect(line).toBe(
      '{"_aws":{"Timestamp":1796119291000,"CloudWatchMetrics":[{"Namespace":"Quell","Dimensions":[["Playbook","AlertType"]],' +
        '"Metrics":[{"Name":"TimeToResolve","Unit":"Milliseconds"}]}]},"Playbook":"leaked-ai-key",' +
        '"AlertType":"leaked_api_key","TimeToResolve":91000}',
    );
    expect(
      responseMetricsEmf(
        {
          ...base,
          acknowledge: { kind: "missing" },
          contain: { kind: "missing" },
          resolve: { kind: "missing" },
        },
        0,
      ),
    ).toBeUndefined();
  });
});
