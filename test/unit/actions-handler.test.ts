import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { requireRecordedApproval } from "../../functions/actions/approval-gate.js";
import { defineAction } from "../../functions/actions/contract.js";
import { createActionHandler } from "../../functions/actions/handler.js";
import { timelineJournal } from "../../functions/actions/journal.js";
import { EnvNames } from "../../functions/shared/env.js";
import { TransientError } from "../../functions/shared/errors.js";
import { type Approval, SHADOW_APPROVER } from "../../functions/shared/incident.js";
import type { IncidentStore } from "../../functions/shared/store.js";
import { LOCAL_TABLES } from "../../infra/local/dynamodb.js";
import { type LocalStore, startLocalStore } from "./local-store.js";
import { STEP, seedPendingApproval } from "./pending-approval.js";

const NOW = new Date("2026-11-25T00:00:00Z");
const APPROVER = "U0APPROVER";
const SECOND = "U0SECOND";
const ACTION_STEP = "tagTarget";

/**
 * A tagging action against an in-memory target: one write per untagged target. `failNext` makes the next write
 * apply and then throw what a provider's 500 becomes (applied but answered 500).
 */
function taggingAction() {
  const tagged = new Set<string>();
  const sent: string[] = [];
  let failNext = false;
  const action = defineAction({
    name: "test.tag-target",
    description: "Tag a target (test double).",
    input: z.object({ target: z.string().min(1) }),
    output: z.object({ target: z.string() }),
    secrets: [],
    iam: [],
    reversible: true,
    blastRadius: { maxWrites: 1, low: true },
    timeoutSeconds: 5,
    async plan(input) {
      const write = {
        description: {
          kind: "http" as const,
          method: "POST" as const,
          url: `https://tags.test/${input.target}`,
        },
        send: async () => {
          sent.push(input.target);
          tagged.add(input.target);
          if (failNext) {
            failNext = false;
            throw new TransientError(`POST /${input.target} answered 500`, { status: 500 });
          }
        },
      };
      return { output: input, writes: tagged.has(input.target) ? [] : [write] };
    },
    async undo(input) {
      return [
        {
          description: {
            kind: "http" as const,
            method: "DELETE" as const,
            url: `https://tags.test/${input.target}`,
          },
          send: async () => {
            tagged.delete(input.target);
          },
        },
      ];
    },
  });
  return { action, sent, failNextWrite: () => (failNext = true) };
}

describe("action handler against DynamoDB Local", () => {
  let local: LocalStore;
  let store: IncidentStore;
  const saved: Record<string, string | undefined> = {};
  const env = {
    [EnvNames.dryRun]: "false",
    [EnvNames.tableName]: LOCAL_TABLES[0].name,
    [EnvNames.idempotencyTableName]: LOCAL_TABLES[1].name,
    // Quiet here; the log test below turns it up for the handlers it makes.
    POWERTOOLS_LOG_LEVEL: "SILENT",
  };

  beforeAll(async () => {
    local = await startLocalStore();
    store = local.store(() => NOW);
    for (const [name, value] of Object.entries(env)) {
      saved[name] = process.env[name];
      process.env[name] = value;
    }
  });
  afterAll(async () => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await local?.stop();
  });

  /** An incident whose approval STEP is stored as `approval` says, and a fresh tagging action's handler. */
  async function gatedRun(approval: Partial<Approval> | null) {
    const seeded = await seedPendingApproval(store, NOW, {
      ...(approval ? { approval } : { card: false }),
    });
    const tagging = taggingAction();
    const handler = createActionHandler(tagging.action);
    const event = { incidentId: seeded.incidentId, step: ACTION_STEP, input: { target: seeded.incidentId } };
    return { ...seeded, ...tagging, handler, event };
  }
  const approved = (policy: "one" | "two", approvedBy: string[] = []): Partial<Approval> => ({
    status: "approved",
    policy,
    decidedBy: approvedBy.at(-1) ?? APPROVER,
    decidedAt: NOW.toISOString(),
    approvedBy,
  });
  const timelineOf = async (incidentId: string) =>
    (await store.getIncidentDetail(incidentId))?.timeline ?? [];

  /** What the handler printed while `run` ran: Powertools' JSON log lines (stdout and, for warn/error, stderr). */
  async function logsOf(run: () => Promise<unknown>) {
    const lines: string[] = [];
    const capture = (chunk: unknown) => {
      lines.push(String(chunk));
      return true;
    };
    const spies = [
      vi.spyOn(process.stdout, "write").mockImplementation(capture),
      vi.spyOn(process.stderr, "write").mockImplementation(capture),
    ];
    try {
      await run().catch(() => undefined);
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    return lines
      .join("")
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  describe("the approval in front of the step", () => {
    it("runs an action whose approval is recorded approved, and journals its write on the timeline", async () => {
      const run = await gatedRun(approved("one"));
      const result = await run.handler({ ...run.event, approvalStep: STEP });

      expect(result).toMatchObject({ mode: "applied", writes: [{ method: "POST" }] });
      expect(run.sent).toEqual([run.incidentId]);
      const journal = (await timelineOf(run.incidentId)).map(({ kind, summary, detail }) => ({
        kind,
        summary,
        outcome: detail?.outcome,
      }));
      expect(journal).toEqual([
        // The seeded decision has no `approval_decided` (its click's timeline write failed): the gate writes it.
        { kind: "approval_decided", summary: `approved by ${APPROVER}`, outcome: undefined },
        {
          kind: "write_attempted",
          summary: `test.tag-target: sending POST https://tags.test/${run.incidentId}`,
          outcome: undefined,
        },
        {
          kind: "write_settled",
          summary: `test.tag-target: POST https://tags.test/${run.incidentId} sent`,
          outcome: { ok: true },
        },
      ]);
      // Each journaled write carries the recorded decision it went ahead on.
      for (const entry of (await timelineOf(run.incidentId)).filter((e) => e.kind !== "approval_decided")) {
        expect(entry.detail?.approval).toEqual({
          approvalId: run.approvalId,
          policy: "one",
          decidedBy: APPROVER,
          approvedBy: [],
          decidedAt: NOW.toISOString(),
        });
      }
    });

    it.each([
      ["pending", { status: "pending" }, "is pending, not approved"],
      ["denied", { status: "denied", decidedBy: APPROVER }, "is denied, not approved"],
      ["expired", { status: "expired", decidedBy: "quell:timeout" }, "is expired, not approved"],
      ["approved with nobody recorded", { status: "approved" }, "records no approver"],
      [
        "approved by policy auto",
        { ...approved("one"), policy: "auto" },
        "was given by policy auto, but this step needs a human decision",
      ],
      [
        "four eyes with one approver",
        approved("two", [APPROVER]),
        "records 1 distinct approver(s); four eyes needs two",
      ],
      [
        "four eyes with one approver twice",
        approved("two", [APPROVER, APPROVER]),
        "records 1 distinct approver(s); four eyes needs two",
      ],
    ] as const)(
      "refuses to run when the approval is %s: nothing is sent",
      async (_name, approval, problem) => {
        const run = await gatedRun(approval);
        const refused = run.handler({ ...run.event, approvalStep: STEP });

        await expect(refused).rejects.toMatchObject({
          name: "ApprovalNotRecorded",
          message: expect.stringContaining(`approval ${run.approvalId} ${problem}; nothing was sent`),
        });
        expect(run.sent).toEqual([]);
        expect(await timelineOf(run.incidentId)).toEqual([]);
      },
    );

    it("refuses when no approval is stored at all", async () => {
      const run = await gatedRun(null);
      await expect(run.handler({ ...run.event, approvalStep: STEP })).rejects.toMatchObject({
        name: "ApprovalNotRecorded",
        message: expect.stringContaining("is not recorded"),
      });
      expect(run.sent).toEqual([]);
    });

    it("runs a four-eyes step once two distinct approvers are recorded", async () => {
      const run = await gatedRun(approved("two", [APPROVER, SECOND]));
      await expect(run.handler({ ...run.event, approvalStep: STEP })).resolves.toMatchObject({
        mode: "applied",
      });
      expect(run.sent).toEqual([run.incidentId]);
    });

    it("runs an `auto` step only with its stored approval by policy", async () => {
      const byPolicy = await gatedRun({ ...approved("one"), policy: "auto", decidedBy: "quell:auto" });
      await expect(
        byPolicy.handler({ ...byPolicy.event, approval: "auto", approvalStep: STEP }),
      ).resolves.toMatchObject({ mode: "applied" });

      const human = await gatedRun(approved("one"));
      await expect(
        human.handler({ ...human.event, approval: "auto", approvalStep: STEP }),
      ).rejects.toMatchObject({
        name: "ApprovalNotRecorded",
        message: expect.stringContaining("is a one approval, not policy auto"),
      });
      const unnamed = await gatedRun({ ...approved("one"), policy: "auto" });
      await expect(unnamed.handler({ ...unnamed.event, approval: "auto" })).rejects.toMatchObject({
        name: "ApprovalNotRecorded",
        message: expect.stringContaining("without naming the approval"),
      });
      expect([...human.sent, ...unnamed.sent]).toEqual([]);
    });

    it("runs a step behind no approval, and an undo (authorised by its own claim), without reading one", async () => {
      const free = await gatedRun(null);
      await expect(free.handler(free.event)).resolves.toMatchObject({ mode: "applied" });
      const journaled = await timelineOf(free.incidentId);
      expect(journaled.map((entry) => entry.kind)).toEqual(["write_attempted", "write_settled"]);
      expect(journaled.every((entry) => entry.detail?.approval === undefined)).toBe(true);

      const pending = await gatedRun({ status: "pending" });
      await expect(
        pending.handler({ ...pending.event, mode: "undo", output: pending.event.input, approvalStep: STEP }),
      ).resolves.toMatchObject({ mode: "applied", writes: [{ method: "DELETE" }] });
    });
  });

  describe("a write the provider applied but answered 500", () => {
    it("stays on the timeline as attempted and failed, and the retry (finding nothing to write) adds nothing", async () => {
      const run = await gatedRun(approved("one"));
      run.failNextWrite();
      const first = run.handler({ ...run.event, approvalStep: STEP });
      await expect(first).rejects.toMatchObject({ name: "TransientError" });
      // Step Functions retries TransientError: the provider kept the first write, so the replan finds none.
      const retried = await run.handler({ ...run.event, approvalStep: STEP });

      expect(retried).toMatchObject({ mode: "applied", writes: [] });
      expect(run.sent).toEqual([run.incidentId]);
      const url = `https://tags.test/${run.incidentId}`;
      expect(
        (await timelineOf(run.incidentId)).map(({ kind, summary, detail }) => ({
          kind,
          summary,
          outcome: detail?.outcome,
        })),
      ).toEqual([
        { kind: "approval_decided", summary: `approved by ${APPROVER}`, outcome: undefined },
        { kind: "write_attempted", summary: `test.tag-target: sending POST ${url}`, outcome: undefined },
        {
          kind: "write_settled",
          summary:
            `test.tag-target: POST ${url} failed (500); it may have been applied all the same: ` +
            "a retry reads the target again before writing",
          outcome: {
            ok: false,
            error: "TransientError",
            message: `POST /${run.incidentId} answered 500`,
            status: 500,
          },
        },
      ]);
    });
  });

  describe("the timeline journal", () => {
    const write = (target: string) => ({
      kind: "http" as const,
      method: "DELETE" as const,
      url: `https://tags.test/${target}`,
    });

    it("keeps one run's entries in order even when the clock stands still", async () => {
      const { incidentId } = await seedPendingApproval(store, NOW, { card: false });
      const run = { incidentId, step: ACTION_STEP, action: "test.tag-target", mode: "undo" } as const;
      const journal = timelineJournal(store, run, { clock: () => NOW, onUnrecorded: () => undefined });
      for (const target of ["a", "b"]) {
        await journal.attempted(write(target));
        await journal.settled(write(target), { ok: true });
      }
      expect((await timelineOf(incidentId)).map((entry) => entry.summary)).toEqual([
        "test.tag-target undo: sending DELETE https://tags.test/a",
        "test.tag-target undo: DELETE https://tags.test/a sent",
        "test.tag-target undo: sending DELETE https://tags.test/b",
        "test.tag-target undo: DELETE https://tags.test/b sent",
      ]);
    });

    it("never throws for an outcome it cannot record: it reports it, and the run goes on as it would", async () => {
      const unrecorded: unknown[] = [];
      const failing = {
        appendTimeline: async () => {
          throw new Error("ProvisionedThroughputExceededException");
        },
      };
      const run = {
        incidentId: "inc_x",
        step: ACTION_STEP,
        action: "test.tag-target",
        mode: "apply",
      } as const;
      const journal = timelineJournal(failing, run, {
        clock: () => NOW,
        onUnrecorded: (error) => unrecorded.push(error),
      });
      await expect(journal.settled(write("a"), { ok: true })).resolves.toBeUndefined();
      expect(unrecorded).toEqual([
        expect.objectContaining({ message: "ProvisionedThroughputExceededException" }),
      ]);
      // The attempt, though, must be recorded before anything is sent: that one throws, for a retry.
      await expect(journal.attempted(write("a"))).rejects.toMatchObject({
        name: "TransientError",
        message: "test.tag-target could not record DELETE https://tags.test/a before sending it",
      });
    });
  });

  it("writes the decision on the timeline once, however often the step runs, and keeps what the click wrote", async () => {
    const run = await gatedRun(approved("one"));
    await run.handler({ ...run.event, approvalStep: STEP });
    await run.handler({ ...run.event, approvalStep: STEP });
    const decisions = (await timelineOf(run.incidentId)).filter((e) => e.kind === "approval_decided");
    expect(decisions).toHaveLength(1);
    expect(decisions[0]).toMatchObject({ actor: APPROVER, at: NOW.toISOString() });
    expect(decisions[0]?.detail).toMatchObject({ approvalId: run.approvalId, decision: "approved" });

    const clicked = await gatedRun(approved("one"));
    const approval = await store.getApproval(clicked.incidentId, STEP);
    if (!approval) throw new Error("seeded approval missing");
    await store.recordDecision(approval, { comment: "from the click" });
    await clicked.handler({ ...clicked.event, approvalStep: STEP });
    const kept = (await timelineOf(clicked.incidentId)).filter((e) => e.kind === "approval_decided");
    expect(kept).toHaveLength(1);
    expect(kept[0]?.detail).toMatchObject({ comment: "from the click" });
  });

  it("retries (TransientError) when the approval cannot be read, rather than failing the step", async () => {
    const unreadable = {
      recordDecision: async () => undefined,
      getApproval: async () => {
        throw new Error("ProvisionedThroughputExceededException");
      },
    };
    await expect(
      requireRecordedApproval({ incidentId: "inc_x", approvalStep: STEP }, unreadable, "test.tag-target"),
    ).rejects.toMatchObject({
      name: "TransientError",
      message: expect.stringContaining(`test.tag-target could not read approval inc_x.${STEP}`),
    });
  });

  it("plans only for a shadow incident, even on a live deployment and an execution that says it would send", async () => {
    const shadowed = await seedPendingApproval(store, NOW, {
      incident: { shadow: true },
      approval: {
        status: "approved",
        shadow: true,
        decidedBy: SHADOW_APPROVER,
        decidedAt: NOW.toISOString(),
      },
    });
    const tagging = taggingAction();
    const handler = createActionHandler(tagging.action);
    const event = {
      incidentId: shadowed.incidentId,
      step: ACTION_STEP,
      input: { target: shadowed.incidentId },
    };
    await expect(handler({ ...event, approvalStep: STEP, dryRun: false })).resolves.toMatchObject({
      mode: "planned",
    });
    expect(tagging.sent).toEqual([]);
  });

  it("refuses a shadow run's would-ask approval to a live run of a real incident: nothing is sent", async () => {
    const run = await gatedRun({ status: "approved", shadow: true, decidedBy: SHADOW_APPROVER });
    await expect(run.handler({ ...run.event, approvalStep: STEP })).rejects.toMatchObject({
      name: "ApprovalNotRecorded",
    });
    expect(run.sent).toEqual([]);
  });

  describe("its log", () => {
    it("names the error's words, the incident and the step when an action is refused or fails", async () => {
      // Failures are logged at warn (refusals at error): a logger reads its level when the handler is made.
      process.env.POWERTOOLS_LOG_LEVEL = "WARN";
      const refused = await gatedRun({ status: "pending" });
      const failing = await gatedRun(approved("one"));
      process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
      const refusal = await logsOf(() => refused.handler({ ...refused.event, approvalStep: STEP }));
      expect(refusal).toContainEqual(
        expect.objectContaining({
          level: "ERROR",
          message: "action refused",
          incidentId: refused.incidentId,
          step: ACTION_STEP,
          error: {
            name: "ApprovalNotRecorded",
            message: expect.stringContaining(`approval ${refused.approvalId} is pending, not approved`),
          },
        }),
      );

      failing.failNextWrite();
      const failure = await logsOf(() => failing.handler({ ...failing.event, approvalStep: STEP }));
      expect(failure).toContainEqual(
        expect.objectContaining({
          level: "WARN",
          message: "action failed",
          incidentId: failing.incidentId,
          step: ACTION_STEP,
          error: { name: "TransientError", message: `POST /${failing.incidentId} answered 500` },
        }),
      );
    });
  });
});
