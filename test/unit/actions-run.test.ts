import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineAction, type WriteDescription, type WriteOutcome } from "../../functions/actions/contract.js";
import { runAction, runUndo } from "../../functions/actions/run.js";
import {
  BlastRadiusExceeded,
  NotReversible,
  TransientError,
  ValidationError,
} from "../../functions/shared/errors.js";
import { contextWith, recordingJournal } from "./action-context-doubles.js";

/** A context whose every dependency fails loudly: the test action needs none of them. */
const context = contextWith();

/** An action that plans one write per target; `sent` and `plans` count what really happened. */
function tagAction() {
  const sent: string[] = [];
  let plans = 0;
  const action = defineAction({
    name: "test.tag-targets",
    description: "Tag each target (test double).",
    input: z.object({ targets: z.array(z.string().min(1)) }),
    output: z.object({ count: z.number() }),
    secrets: [],
    iam: [],
    reversible: false,
    blastRadius: { maxWrites: 2, low: false },
    timeoutSeconds: 5,
    async plan(input) {
      plans++;
      return {
        output: { count: input.targets.length },
        writes: input.targets.map((target) => ({
          description: { kind: "http" as const, method: "POST" as const, url: `https://tags.test/${target}` },
          send: async () => {
            sent.push(target);
          },
        })),
      };
    },
  });
  return { action, sent, plans: () => plans };
}

describe("runAction", () => {
  it("refuses invalid input with a ValidationError listing the issues, before planning", async () => {
    const { action, plans } = tagAction();
    const error = await runAction(action, { targets: "a" }, { dryRun: false, context }).catch((e) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([{ path: "targets", message: expect.any(String) }]);
    expect(plans()).toBe(0);
  });

  it("in dry run returns `planned` with the write descriptions and sends nothing", async () => {
    const { action, sent } = tagAction();
    const result = await runAction(action, { targets: ["a", "b"] }, { dryRun: true, context });
    expect(result).toEqual({
      action: "test.tag-targets",
      mode: "planned",
      input: { targets: ["a", "b"] },
      output: { count: 2 },
      writes: [
        { kind: "http", method: "POST", url: "https://tags.test/a" },
        { kind: "http", method: "POST", url: "https://tags.test/b" },
      ],
      verified: null,
    });
    expect(sent).toEqual([]);
  });

  it("live returns `applied` and sends each write once, in order", async () => {
    const { action, sent } = tagAction();
    const result = await runAction(action, { targets: ["b", "a"] }, { dryRun: false, context });
    expect(result.mode).toBe("applied");
    expect(result.writes).toHaveLength(2);
    expect(sent).toEqual(["b", "a"]);
  });

  it("refuses a plan over the blast-radius budget before sending anything", async () => {
    const { action, sent } = tagAction();
    const run = runAction(action, { targets: ["a", "b", "c"] }, { dryRun: false, context });
    await expect(run).rejects.toBeInstanceOf(BlastRadiusExceeded);
    await expect(run).rejects.toThrow("planned 3 writes; its budget is 2");
    expect(sent).toEqual([]);
  });

  it("in dry run, a plan with nothing to write is already `applied`", async () => {
    const { action, sent } = tagAction();
    const result = await runAction(action, { targets: [] }, { dryRun: true, context });
    expect(result).toEqual({
      action: "test.tag-targets",
      mode: "applied",
      input: { targets: [] },
      output: { count: 0 },
      writes: [],
      verified: null,
    });
    expect(sent).toEqual([]);
  });
});

describe("runUndo", () => {
  /** An applied run of the tagging double, as its action run record keeps it. */
  const applied = (targets: string[]) => ({ input: { targets }, output: { count: targets.length } });

  /** The tagging double, made reversible: undo removes each tag (DELETE), recorded in `removed`. */
  function reversibleTagAction() {
    const { action, sent } = tagAction();
    const removed: string[] = [];
    const reversible = defineAction({
      ...action,
      reversible: true,
      async undo(input: { targets: string[] }) {
        return input.targets.map((target) => ({
          description: {
            kind: "http" as const,
            method: "DELETE" as const,
            url: `https://tags.test/${target}`,
          },
          send: async () => {
            removed.push(target);
          },
        }));
      },
    });
    return { action: reversible, sent, removed };
  }

  it("sends the undo writes for the same input, and nothing of apply", async () => {
    const { action, sent, removed } = reversibleTagAction();
    const result = await runUndo(action, applied(["a"]), { dryRun: false, context });
    expect(result).toEqual({
      action: "test.tag-targets",
      mode: "applied",
      input: { targets: ["a"] },
      output: null,
      writes: [{ kind: "http", method: "DELETE", url: "https://tags.test/a" }],
      verified: null,
    });
    expect(removed).toEqual(["a"]);
    expect(sent).toEqual([]);
  });

  it("in dry run plans the undo and sends nothing", async () => {
    const { action, removed } = reversibleTagAction();
    const result = await runUndo(action, applied(["a", "b"]), { dryRun: true, context });
    expect(result.mode).toBe("planned");
    expect(result.writes).toHaveLength(2);
    expect(removed).toEqual([]);
  });

  it("keeps the blast-radius budget and validates input like apply", async () => {
    const { action, removed } = reversibleTagAction();
    await expect(
      runUndo(action, applied(["a", "b", "c"]), { dryRun: false, context }),
    ).rejects.toBeInstanceOf(BlastRadiusExceeded);
    await expect(
      runUndo(action, { input: { targets: "a" }, output: { count: 1 } }, { dryRun: false, context }),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(removed).toEqual([]);
  });

  it("hands undo the applied run's recorded output, and refuses one its output schema does not accept", async () => {
    const { action, removed } = reversibleTagAction();
    const seen: unknown[] = [];
    const recording = defineAction({
      ...action,
      async undo(input, undoContext, run) {
        seen.push(run.output);
        return (await action.undo?.(input, undoContext, run)) ?? [];
      },
    });
    await runUndo(recording, applied(["a"]), { dryRun: true, context });
    expect(seen).toEqual([{ count: 1 }]);
    const unreadable = runUndo(
      recording,
      { input: { targets: ["a"] }, output: null },
      { dryRun: false, context },
    );
    await expect(unreadable).rejects.toBeInstanceOf(ValidationError);
    await expect(unreadable).rejects.toThrow("recorded an output its undo cannot read");
    expect(removed).toEqual([]);
  });

  it("refuses an action that cannot be undone", async () => {
    const { action } = tagAction();
    await expect(runUndo(action, applied(["a"]), { dryRun: false, context })).rejects.toBeInstanceOf(
      NotReversible,
    );
  });
});

describe("the write journal", () => {
  const write = (url: string, send: () => Promise<unknown>) => ({
    description: { kind: "http" as const, method: "POST" as const, url },
    send,
  });
  /** An action planning the given writes, with a journal that logs into the same `log` as the sends. */
  function journaled(writes: (log: string[]) => ReturnType<typeof write>[]) {
    const log: string[] = [];
    const { journal, entries } = recordingJournal();
    const logged = {
      attempted: async (description: WriteDescription) => {
        log.push(`attempted ${description.kind === "http" ? description.url : ""}`);
        await journal.attempted(description);
      },
      settled: async (description: WriteDescription, outcome: WriteOutcome) => {
        log.push(`settled ${outcome.ok ? "ok" : outcome.status}`);
        await journal.settled(description, outcome);
      },
    };
    const action = defineAction({
      ...tagAction().action,
      async plan() {
        return { output: { count: 0 }, writes: writes(log) };
      },
    });
    return { action, log, entries, context: contextWith({}, logged) };
  }

  it("records each write as attempted before it is sent, and settled after", async () => {
    const run = journaled((log) => [
      write("https://tags.test/a", async () => log.push("sent a")),
      write("https://tags.test/b", async () => log.push("sent b")),
    ]);
    await runAction(run.action, { targets: [] }, { dryRun: false, context: run.context });
    expect(run.log).toEqual([
      "attempted https://tags.test/a",
      "sent a",
      "settled ok",
      "attempted https://tags.test/b",
      "sent b",
      "settled ok",
    ]);
  });

  it("settles a failed send with its error and status, then stops: later writes are not attempted", async () => {
    const run = journaled((log) => [
      write("https://tags.test/a", async () => {
        log.push("sent a");
        throw new TransientError("POST /a answered 503", { status: 503 });
      }),
      write("https://tags.test/b", async () => log.push("sent b")),
    ]);
    const failed = runAction(run.action, { targets: [] }, { dryRun: false, context: run.context });
    await expect(failed).rejects.toBeInstanceOf(TransientError);
    expect(run.log).toEqual(["attempted https://tags.test/a", "sent a", "settled 503"]);
    expect(run.entries.at(-1)).toEqual({
      settled: { kind: "http", method: "POST", url: "https://tags.test/a" },
      outcome: { ok: false, error: "TransientError", message: "POST /a answered 503", status: 503 },
    });
  });

  it("sends nothing it could not record as attempted", async () => {
    const sent: string[] = [];
    const { action } = journaled(() => [write("https://tags.test/a", async () => sent.push("a"))]);
    const unrecordable = contextWith(
      {},
      {
        attempted: async () => {
          throw new Error("the table is unavailable");
        },
        settled: async () => {},
      },
    );
    await expect(
      runAction(action, { targets: [] }, { dryRun: false, context: unrecordable }),
    ).rejects.toThrow("the table is unavailable");
    expect(sent).toEqual([]);
  });

  it("records nothing in a dry run, where nothing is sent", async () => {
    const run = journaled((log) => [write("https://tags.test/a", async () => log.push("sent a"))]);
    await runAction(run.action, { targets: [] }, { dryRun: true, context: run.context });
    expect(run.log).toEqual([]);
  });
});
