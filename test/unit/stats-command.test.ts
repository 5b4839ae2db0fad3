import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { record } from "../../functions/recorder/core.js";
import { newId } from "../../functions/shared/ids.js";
import type { Incident, TimelineEvent } from "../../functions/shared/incident.js";
import type { MachineStarter } from "../../functions/shared/machine-starter.js";
import type { IncidentStore } from "../../functions/shared/store.js";
import { type CommandDeps, HELP, runCommand } from "../../functions/slack/commands.js";
import { statsCommand } from "../../functions/slack/stats.js";
import { type LocalStore, startLocalStore } from "./local-store.js";
import { RecordingEvents } from "./pending-approval.js";

const NOW = new Date("2026-12-08T12:00:00.000Z");
const APPROVER = "U0APPROVER";
/** Not an approver: /quell stats is a read, like list and status. */
const ANYONE = "U0ANYONE";
const WRITE = { method: "DELETE", url: "https://api.openai.com/v1/organization/projects/p/api_keys/k" };

const never: MachineStarter = {
  async start() {
    throw new Error("stats starts nothing");
  },
};

type Entry = Omit<TimelineEvent, "summary"> & { summary?: string };

/**
 * /quell stats and the recorder's response metrics, on DynamoDB Local (as the other slash-command tests run). Each
 * test has a table of its own in the sense that it reads only incidents it opened: the window is measured from a
 * clock that starts far from the others'.
 */
describe("response metrics on the store (DynamoDB Local)", () => {
  let local: LocalStore;
  let store: IncidentStore;
  beforeAll(async () => {
    local = await startLocalStore();
    store = local.store(() => NOW);
  });
  afterAll(async () => local?.stop());

  /** An incident opened at `opened`, with its timeline (`seconds` after it opened). */
  async function open(
    opened: Date,
    timeline: (at: (seconds: number) => string) => Entry[],
    extra: Partial<Incident> = {},
  ): Promise<string> {
    const id = newId("inc");
    await store.createIncident({
      id,
      status: "mitigated",
      type: "leaked_api_key",
      severity: "high",
      title: "OpenAI API Key leaked",
      source: "github",
      dedupKey: `github:${id}`,
      playbook: "leaked-ai-key",
      executionName: id,
      alertCount: 1,
      createdAt: opened.toISOString(),
      updatedAt: opened.toISOString(),
      ...extra,
    });
    const at = (seconds: number) => new Date(opened.getTime() + seconds * 1000).toISOString();
    for (const entry of timeline(at)) await store.appendTimeline(id, { summary: entry.kind, ...entry });
    return id;
  }

  const approved = (ack: number, contain: number, close: number) => (at: (seconds: number) => string) => [
    { at: at(10), kind: "approval_requested" as const, detail: { policy: "one", step: "approveRevoke" } },
    {
      at: at(10 + ack),
      kind: "approval_decided" as const,
      actor: APPROVER,
      detail: { decision: "approved" },
    },
    { at: at(contain - 1), kind: "action_applied" as const, detail: { step: "revoke", writes: [WRITE] } },
    { at: at(contain), kind: "action_verified" as const, detail: { step: "revoke" } },
    { at: at(close), kind: "closed" as const, detail: { outcome: "mitigated" } },
  ];

  describe("/quell stats", () => {
    const clock = new Date("2026-06-15T12:00:00.000Z");
    const hoursBefore = (hours: number) => new Date(clock.getTime() - hours * 3_600_000);
    let deps: CommandDeps;

    beforeAll(async () => {
      deps = {
        store,
        isResponder: async (userId) => userId === APPROVER,
        machines: never,
        playbooks: ["leaked-ai-key"],
        events: new RecordingEvents(),
        clock: () => clock,
        newId,
      };
      await open(hoursBefore(1), approved(252, 300, 330));
      await open(hoursBefore(2), approved(60, 90, 100));
      await open(
        hoursBefore(3),
        (at) => [{ at: at(5), kind: "approval_requested", detail: { policy: "one" } }],
        {
          status: "awaiting_approval",
        },
      );
      await open(hoursBefore(4), approved(1, 2, 3), {
        rehearsal: { of: "inc_x", alertId: "alr_1", requestedBy: APPROVER },
      });
      await open(
        hoursBefore(5),
        (at) => [{ at: at(7500), kind: "closed", detail: { outcome: "resolved" } }],
        {
          playbook: "throttle-abuser",
          type: "token_spend_anomaly",
          status: "resolved",
        },
      );
      await open(hoursBefore(6), () => [], { playbook: null, status: "no_playbook" });
      // Before a 7-day window: not counted.
      await open(hoursBefore(24 * 8), approved(1, 2, 3));
    });

    it("answers anyone who may use /quell with the times of the last 7 days, per playbook and per alert type", async () => {
      const answer = await runCommand("stats", ANYONE, deps);
      expect(answer).toBe(
        [
          "*Response times, last 7 day(s)* (incidents opened since 2026-06-08T12:00:00.000Z): 4 counted; left out: 1 rehearsal(s), 1 where no playbook started.",
          "_median / p90 / max (how many reached it)._ ack: first approval asked → first human answer; contain: opened → first verified step that applied writes; resolve: opened → closed.",
          "*All*: ack 1m 0s / 4m 12s / 4m 12s (2 of 3 asked) · contain 1m 30s / 5m 0s / 5m 0s (2 of 4) · resolve 5m 30s / 2h 5m / 2h 5m (3 of 4)",
          "*By playbook*",
          "• `leaked-ai-key` (3): ack 1m 0s / 4m 12s / 4m 12s (2 of 3 asked) · contain 1m 30s / 5m 0s / 5m 0s (2 of 3) · resolve 1m 40s / 5m 30s / 5m 30s (2 of 3)",
          "• `throttle-abuser` (1): ack — (none asked) · contain — (0 of 1) · resolve 2h 5m / 2h 5m / 2h 5m (1 of 1)",
          "*By alert type*",
          "• `leaked_api_key` (3): ack 1m 0s / 4m 12s / 4m 12s (2 of 3 asked) · contain 1m 30s / 5m 0s / 5m 0s (2 of 3) · resolve 1m 40s / 5m 30s / 5m 30s (2 of 3)",
          "• `token_spend_anomaly` (1): ack — (none asked) · contain — (0 of 1) · resolve 2h 5m / 2h 5m / 2h 5m (1 of 1)",
        ].join("\n"),
      );
      expect(await runCommand("stats 7", APPROVER, deps)).toBe(answer);
      expect(HELP).toContain("`stats [days]`");
    });

    it("takes the days, and refuses a number it does not take", async () => {
      const lastHours = await runCommand("stats 1", ANYONE, deps);
      expect(lastHours.split("\n")[0]).toBe(
        "*Response times, last 1 day(s)* (incidents opened since 2026-06-14T12:00:00.000Z): 4 counted; left out: 1 rehearsal(s), 1 where no playbook started.",
      );
      expect(await runCommand("stats 91", ANYONE, deps)).toBe(
        "Usage: `/quell stats [days]`, days a whole number from 1 to 90 (default 7).",
      );
    });

    it("reads at most N incidents, newest first, and says the window was cut", async () => {
      const answer = await statsCommand("7", deps, 2);
      expect(answer.split("\n")[0]).toBe(
        "*Response times, last 7 day(s)* (incidents opened since 2026-06-08T12:00:00.000Z): 2 counted.",
      );
      expect(answer.split("\n").at(-1)).toBe(
        `:warning: Only the newest 2 incidents were read (back to ${hoursBefore(2).toISOString()}); older ones of the window are not counted. CloudWatch's \`Quell\` metrics TimeToAcknowledge, TimeToContain and TimeToResolve count every closed incident.`,
      );
      // Exactly N in the window (six, the rehearsal and the one where nothing started among them) is not cut.
      const all = await statsCommand("7", deps, 6);
      expect(all).not.toContain(":warning:");
      expect(all).toBe(await runCommand("stats", ANYONE, deps));
    });

    it("escapes what it shows", async () => {
      const later = new Date("2026-03-01T12:00:00.000Z");
      await open(new Date(later.getTime() - 60_000), approved(1, 2, 3), {
        playbook: "<!channel> & <http://x|y>",
      });
      const answer = await runCommand("stats 1", ANYONE, { ...deps, clock: () => later });
      expect(answer).toContain("• `&lt;!channel&gt; &amp; &lt;http://x|y&gt;` (1):");
      expect(answer).not.toContain("<!channel>");
    });

    it("says so when nothing was opened in the window", async () => {
      expect(
        await runCommand("stats", ANYONE, { ...deps, clock: () => new Date("2020-01-01T00:00:00.000Z") }),
      ).toBe("*Response times, last 7 day(s)* (incidents opened since 2019-12-25T00:00:00.000Z): 0 counted.");
    });
  });

  describe("the recorder's response metrics line", () => {
    const closedEvent = (incidentId: string) =>
      ({
        kind: "closed",
        incidentId,
        step: "revoked",
        outcome: "mitigated",
        summary: "key revoked",
      }) as const;

    it("logs one EMF line when it closes an incident, from the timeline that holds the closed entry", async () => {
      // NOW is the store's clock: the closed entry is written at NOW.
      const opened = new Date(NOW.getTime() - 600_000);
      const id = await open(
        opened,
        (at) => [
          { at: at(10), kind: "approval_requested", detail: { policy: "one" } },
          { at: at(70), kind: "approval_decided", actor: APPROVER, detail: { decision: "approved" } },
          { at: at(80), kind: "action_applied", detail: { step: "revoke", writes: [WRITE] } },
          { at: at(81), kind: "action_verified", detail: { step: "revoke" } },
        ],
        { status: "running" },
      );
      const lines: string[] = [];
      await record(closedEvent(id), {
        store,
        events: new RecordingEvents(),
        emitMetrics: (line) => lines.push(line),
      });
      expect(lines).toEqual([
        `{"_aws":{"Timestamp":${NOW.getTime()},"CloudWatchMetrics":[{"Namespace":"Quell","Dimensions":[["Playbook","AlertType"]],` +
          '"Metrics":[{"Name":"TimeToAcknowledge","Unit":"Milliseconds"},{"Name":"TimeToContain","Unit":"Milliseconds"},' +
          '{"Name":"TimeToResolve","Unit":"Milliseconds"}]}]},"Playbook":"leaked-ai-key","AlertType":"leaked_api_key",' +
          '"TimeToAcknowledge":60000,"TimeToContain":81000,"TimeToResolve":600000}',
      ]);
      expect((await store.getIncident(id))?.status).toBe("mitigated");
    });

    it("logs nothing for a rehearsal, nor for steps that do not close", async () => {
      const lines: string[] = [];
      const deps = { store, events: new RecordingEvents(), emitMetrics: (line: string) => lines.push(line) };
      const rehearsal = await open(new Date(NOW.getTime() - 60_000), () => [], {
        status: "running",
        rehearsal: { of: "inc_x", alertId: "alr_1", requestedBy: APPROVER },
      });
      await record(closedEvent(rehearsal), deps);
      const running = await open(new Date(NOW.getTime() - 60_000), () => [], { status: "running" });
      await record(
        {
          kind: "action",
          incidentId: running,
          step: "revoke",
          undoable: false,
          result: {
            action: "openai.revoke-project-key",
            mode: "applied",
            input: {},
            output: {},
            writes: [WRITE],
            verified: "gone",
          },
        },
        deps,
      );
      expect(lines).toEqual([]);
      // Without an emitter the recorder closes as before.
      const plain = await open(new Date(NOW.getTime() - 60_000), () => [], { status: "running" });
      await record(closedEvent(plain), { store, events: new RecordingEvents() });
      expect((await store.getIncident(plain))?.status).toBe("mitigated");
    });
  });
});
