import { describe, expect, it } from "vitest";
import type { IncidentDetail, IncidentPage, IncidentSummary } from "../../infra/local/client.js";
import { formatStatsTable, readWindow, type StatsSource, statsCommand } from "../../infra/local/stats.js";

const NOW = new Date("2026-12-08T12:00:00.000Z");
const OPENED = Date.parse("2026-12-05T09:00:00.000Z");
const at = (seconds: number, from = OPENED) => new Date(from + seconds * 1000).toISOString();
const WRITE = { method: "DELETE", url: "https://api.openai.com/v1/organization/projects/p/api_keys/k" };

type Timeline = IncidentDetail["timeline"];
type Listed = IncidentSummary & { rehearsal?: unknown };

/** An incident opened `hoursAgo` before NOW, with a timeline in seconds after it opened. */
function stored(
  id: string,
  hoursAgo: number,
  timeline: (opened: number) => Timeline,
  extra: Partial<Listed> = {},
): { listed: Listed; timeline: Timeline } {
  const opened = NOW.getTime() - hoursAgo * 3_600_000;
  return {
    listed: {
      id,
      status: "mitigated",
      severity: "high",
      type: "leaked_api_key",
      title: `incident ${id}`,
      playbook: "leaked-ai-key",
      alertCount: 1,
      createdAt: new Date(opened).toISOString(),
      ...extra,
    },
    timeline: timeline(opened),
  };
}

const approvedAndContained =
  (ackSeconds: number, containSeconds: number, closeSeconds: number) =>
  (opened: number): Timeline => [
    { at: at(10, opened), kind: "approval_requested", summary: "", detail: { policy: "one" } },
    {
      at: at(10 + ackSeconds, opened),
      kind: "approval_decided",
      summary: "",
      actor: "U0ALICE",
      detail: { decision: "approved" },
    },
    {
      at: at(containSeconds - 1, opened),
      kind: "action_applied",
      summary: "",
      detail: { step: "revoke", writes: [WRITE] },
    },
    { at: at(containSeconds, opened), kind: "action_verified", summary: "", detail: { step: "revoke" } },
    { at: at(closeSeconds, opened), kind: "closed", summary: "", detail: { outcome: "mitigated" } },
  ];

type Stored = ReturnType<typeof stored>;

/** The local API as QuellClient reads it: GET /incidents newest first, a page at a time, and GET /incidents/<id>. */
class FakeApi implements StatsSource {
  readonly pages: { limit?: number; cursor?: string }[] = [];
  readonly reads: string[] = [];
  constructor(
    private readonly stored: Stored[],
    private readonly pageSize: number,
  ) {}
  async incidents(page: { limit?: number; cursor?: string }): Promise<IncidentPage> {
    this.pages.push(page);
    const start = page.cursor ? Number(page.cursor) : 0;
    const items = this.stored.slice(start, start + this.pageSize).map((one) => one.listed);
    const next = start + this.pageSize < this.stored.length ? String(start + this.pageSize) : undefined;
    return { incidents: items, more: next !== undefined, ...(next ? { nextCursor: next } : {}) };
  }
  async incident(id: string): Promise<IncidentDetail | undefined> {
    this.reads.push(id);
    const found = this.stored.find((one) => one.listed.id === id);
    return found && { ...found.listed, approvals: [], timeline: found.timeline };
  }
}

// Newest first, as GET /incidents serves them.
const world = [
  // Opened after now (a clock behind the runtime's): skipped, and the pages go on.
  stored("inc_later", -1, approvedAndContained(1, 2, 3)),
  stored("inc_a", 1, approvedAndContained(252, 300, 330)),
  stored("inc_b", 2, approvedAndContained(60, 90, 100)),
  stored("inc_c", 3, (opened) => [{ at: at(5, opened), kind: "approval_requested", summary: "" }], {
    status: "awaiting_approval",
  }),
  stored("inc_r", 4, approvedAndContained(1, 2, 3), { rehearsal: { of: "inc_a" } }),
  stored("inc_d", 5, (opened) => [{ at: at(3600 * 2 + 300, opened), kind: "closed", summary: "" }], {
    playbook: "throttle-abuser",
    type: "token_spend_anomaly",
    status: "resolved",
  }),
  stored("inc_n", 6, () => [], { playbook: null, status: "no_playbook" }),
  // Older than 7 days: where reading stops.
  stored("inc_old", 24 * 8, approvedAndContained(1, 2, 3)),
  stored("inc_older", 24 * 9, approvedAndContained(1, 2, 3)),
];

describe("npm run quell -- stats", () => {
  it("pages through GET /incidents with its cursor until an older incident, and reads each counted incident once", async () => {
    const api = new FakeApi(world, 2);
    const since = new Date(NOW.getTime() - 7 * 86_400_000);
    const incidents = await readWindow(api, since, NOW);
    expect(api.pages).toEqual([
      { limit: 200 },
      { limit: 200, cursor: "2" },
      { limit: 200, cursor: "4" },
      { limit: 200, cursor: "6" },
    ]);
    expect(incidents.map((one) => one.id)).toEqual(["inc_a", "inc_b", "inc_c", "inc_r", "inc_d", "inc_n"]);
    // Rehearsals and incidents where nothing started are not read.
    expect(api.reads.sort()).toEqual(["inc_a", "inc_b", "inc_c", "inc_d"]);
  });

  it("prints the window as a table: all incidents, per playbook, per alert type", async () => {
    const { code, output } = await statsCommand(new FakeApi(world, 3), undefined, NOW);
    expect(code).toBe(0);
    expect(output).toBe(
      [
        "Response times of incidents opened since 2026-12-01T12:00:00.000Z (last 7 day(s)): 4 counted; left out: 1 rehearsal(s), 1 where no playbook started",
        "  acknowledge: first approval asked of a person -> first human answer (ack, vote, approve or deny)",
        "  contain:     incident opened -> first verified step that applied writes (dry runs never contain)",
        "  resolve:     incident opened -> closed (any outcome)",
        "",
        "ALL INCIDENTS  METRIC       REACHED  MEDIAN  P90     MAX     NOT REACHED  NOT ASKED",
        "all            acknowledge  2        1m 0s   4m 12s  4m 12s  1            1",
        "               contain      2        1m 30s  5m 0s   5m 0s   2",
        "               resolve      3        5m 30s  2h 5m   2h 5m   1",
        "",
        "PLAYBOOK         METRIC       REACHED  MEDIAN  P90     MAX     NOT REACHED  NOT ASKED",
        "leaked-ai-key    acknowledge  2        1m 0s   4m 12s  4m 12s  1            0",
        "                 contain      2        1m 30s  5m 0s   5m 0s   1",
        "                 resolve      2        1m 40s  5m 30s  5m 30s  1",
        "throttle-abuser  acknowledge  0        -       -       -       0            1",
        "                 contain      0        -       -       -       1",
        "                 resolve      1        2h 5m   2h 5m   2h 5m   0",
        "",
        "ALERT TYPE           METRIC       REACHED  MEDIAN  P90     MAX     NOT REACHED  NOT ASKED",
        "leaked_api_key       acknowledge  2        1m 0s   4m 12s  4m 12s  1            0",
        "                     contain      2        1m 30s  5m 0s   5m 0s   1",
        "                     resolve      2        1m 40s  5m 30s  5m 30s  1",
        "token_spend_anomaly  acknowledge  0        -       -       -       0            1",
        "                     contain      0        -       -       -       1",
        "                     resolve      1        2h 5m   2h 5m   2h 5m   0",
      ].join("\n"),
    );
  });

  it("takes the number of days, and refuses anything else", async () => {
    const api = new FakeApi(world, 50);
    const { output } = await statsCommand(api, "1", NOW);
    expect(output.split("\n")[0]).toBe(
      "Response times of incidents opened since 2026-12-07T12:00:00.000Z (last 1 day(s)): 4 counted; left out: 1 rehearsal(s), 1 where no playbook started",
    );
    const none = await statsCommand(new FakeApi([], 50), "30", NOW);
    expect(none).toEqual({
      code: 0,
      output: "Response times of incidents opened since 2026-11-08T12:00:00.000Z (last 30 day(s)): 0 counted",
    });
    const refused = await statsCommand(api, "0", NOW);
    expect(refused.code).toBe(1);
    expect(refused.output).toContain("from 1 to 90");
  });

  it("keeps control characters of a playbook name out of the terminal", () => {
    const report = {
      since: NOW.toISOString(),
      incidents: 1,
      rehearsals: 0,
      shadows: 0,
      notStarted: 0,
      overall: group("all"),
      byPlaybook: [group("evil\u001b[2Jname")],
      byAlertType: [group("leaked_api_key")],
    };
    const output = formatStatsTable(report, 7);
    expect(output).toContain("evil[2Jname");
    expect(output).not.toContain("\u001b");
  });
});

function group(key: string) {
  const metric = { count: 1, medianMs: 1000, p90Ms: 1000, maxMs: 1000, missing: 0, notApplicable: 0 };
  return { key, incidents: 1, acknowledge: metric, contain: metric, resolve: metric };
}
