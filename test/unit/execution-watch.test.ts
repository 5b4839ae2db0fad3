import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { timelineJournal } from "../../functions/actions/journal.js";
import { type WatchDeps, watchExecution } from "../../functions/execution-watch/core.js";
import { ValidationError } from "../../functions/shared/errors.js";
import { newId, systemClock } from "../../functions/shared/ids.js";
import { INTERRUPTED_BY } from "../../functions/shared/incident.js";
import type { MachineStarter } from "../../functions/shared/machine-starter.js";
import type { IncidentStore } from "../../functions/shared/store.js";
import { UNDO_MACHINE, undoExecutionName } from "../../functions/shared/undo-machine.js";
import { type CommandDeps, runCommand } from "../../functions/slack/commands.js";
import { fixture } from "../fixtures/aws/support.js";
import { type LocalStore, startLocalStore } from "./local-store.js";
import { RecordingEvents, STEP, seedPendingApproval } from "./pending-approval.js";

/**
 * The AWS execution watch (functions/execution-watch) on DynamoDB Local, fed Step Functions' own "Execution Status
 * Change" event (test/fixtures/aws/stepfunctions, shaped as the AWS Step Functions Developer Guide shows it).
 */

const FIXTURE = "stepfunctions/execution-failed-recorder.json";
const APPROVER = "U0APPROVER";
const PLAYBOOK = "leaked-ai-key";
const fixtureDetail = () => fixture(FIXTURE).detail as Record<string, string>;
const PLAYBOOK_ARN = fixtureDetail().stateMachineArn as string;
const UNDO_ARN = PLAYBOOK_ARN.replace(
  /stateMachine:.*$/,
  "stateMachine:PlaybooksUndoActionMachine9F8E7D6C-a1B2c3D4e5F6",
);
const executionArnOf = (machineArn: string, name: string) =>
  `${machineArn.replace(":stateMachine:", ":execution:")}:${name}`;

class RecordingStarter implements MachineStarter {
  readonly started: { machine: string; name: string; input: object }[] = [];
  async start(machine: string, name: string, input: object) {
    this.started.push({ machine, name, input });
  }
}

/** The fixture's event for execution `name` of incident `incidentId`, with `detail` overrides. */
function failedEvent(incidentId: string, name = incidentId, detail: Record<string, unknown> = {}) {
  const event = fixture(FIXTURE);
  const input = JSON.stringify({
    incidentId,
    alert: { id: "alr_0example000000000000000000" },
    dryRun: false,
  });
  const executionArn = executionArnOf(PLAYBOOK_ARN, name);
  return {
    ...event,
    resources: [executionArn],
    detail: { ...(event.detail as object), executionArn, name, input, ...detail },
  };
}

describe("execution watch: an execution that ended outside its own failure handling (DynamoDB Local)", () => {
  let local: LocalStore;
  let store: IncidentStore;
  let events: RecordingEvents;
  let described: string[];
  let inputs: Map<string, string>;
  let deps: WatchDeps;
  let machines: RecordingStarter;
  let commands: CommandDeps;

  beforeAll(async () => {
    local = await startLocalStore();
    store = local.store(systemClock);
  });
  afterAll(async () => local?.stop());
  beforeEach(() => {
    events = new RecordingEvents();
    described = [];
    inputs = new Map();
    deps = {
      store,
      events,
      machines: { [PLAYBOOK]: PLAYBOOK_ARN, [UNDO_MACHINE]: UNDO_ARN },
      async describeInput(executionArn) {
        described.push(executionArn);
        const input = inputs.get(executionArn);
        if (input === undefined) throw new Error(`ExecutionDoesNotExist: ${executionArn}`);
        return input;
      },
    };
    machines = new RecordingStarter();
    commands = {
      store,
      isResponder: async (userId) => userId === APPROVER,
      machines,
      playbooks: [PLAYBOOK],
      events: new RecordingEvents(),
      clock: systemClock,
      newId,
    };
  });

  /** A leaked-key incident awaiting its approval, whose first step revoked one key and was sending a second. */
  async function awaitingApproval() {
    const seeded = await seedPendingApproval(store, new Date());
    const { incidentId } = seeded;
    await store.appendTimeline(incidentId, {
      kind: "playbook_started",
      summary: `playbook ${PLAYBOOK} started`,
      detail: { playbook: PLAYBOOK, executionName: incidentId },
    });
    const journal = timelineJournal(
      store,
      { incidentId, step: "revokeKey", action: "openai.revoke-project-key", mode: "apply" },
      { clock: systemClock, onUnrecorded: () => undefined },
    );
    const first = { kind: "http", method: "DELETE", url: "https://api.openai.com/v1/keys/key_1" } as const;
    const second = { kind: "http", method: "DELETE", url: "https://api.openai.com/v1/keys/key_2" } as const;
    await journal.attempted(first);
    await journal.settled(first, { ok: true });
    await journal.attempted(second);
    return seeded;
  }

  /** Everything the incident holds, to show an event changed nothing. */
  const snapshot = async (incidentId: string) => ({
    detail: await store.getIncidentDetail(incidentId),
    interruptions: await store.interruptions.list(incidentId),
  });

  it("marks a running incident interrupted, expires its approval, says what was sent, tells Slack; /quell rerun starts it again", async () => {
    const { incidentId } = await awaitingApproval();
    const event = failedEvent(incidentId);

    expect(await watchExecution(event, deps)).toEqual({
      kind: "interrupted",
      incidentId,
      expiredApprovals: [STEP],
    });

    const detail = await store.getIncidentDetail(incidentId);
    expect(detail?.status).toBe("interrupted");
    expect(detail?.approvals).toEqual([
      expect.objectContaining({ step: STEP, status: "expired", decidedBy: INTERRUPTED_BY }),
    ]);
    const entry = detail?.timeline.find((candidate) => candidate.kind === "interrupted");
    expect(entry?.summary).toBe(
      `interrupted: the playbook's execution ${incidentId} failed outside its own failure handling ` +
        "(TransientError: ProvisionedThroughputExceededException: The level of configured provisioned throughput " +
        "for the table was exceeded); it will not go on. " +
        "Sent: openai.revoke-project-key at revokeKey: DELETE https://api.openai.com/v1/keys/key_1 sent. " +
        "Unknown: openai.revoke-project-key at revokeKey: DELETE https://api.openai.com/v1/keys/key_2 was being " +
        "sent: it may or may not have reached the provider: check the target before rerunning. " +
        "Nothing else was sent: every write is journaled before it is sent. " +
        `\`/quell rerun ${incidentId}\` starts the playbook again (its approvals ask again); ` +
        `\`/quell resolve ${incidentId} <reason>\` closes it.`,
    );
    expect(entry?.detail).toMatchObject({
      executionName: incidentId,
      playbook: PLAYBOOK,
      status: "FAILED",
      error: "TransientError",
      cause:
        "ProvisionedThroughputExceededException: The level of configured provisioned throughput for the table was exceeded",
      expiredApprovals: [STEP],
    });
    expect(events.published).toEqual([
      { incidentId, kind: "approval_expired", summary: "interrupted", approvalStep: STEP },
      { incidentId, kind: "interrupted", summary: entry?.summary, at: entry?.at },
    ]);
    // The input came with the event: no DescribeExecution.
    expect(described).toEqual([]);

    expect(await runCommand(`rerun ${incidentId}`, APPROVER, commands)).toContain(
      `Rerun \`${incidentId}-rerun-1\``,
    );
    expect(machines.started).toEqual([
      { machine: PLAYBOOK, name: `${incidentId}-rerun-1`, input: JSON.parse(event.detail.input) },
    ]);
  });

  it("does nothing twice: a redelivered event records and tells nothing new", async () => {
    const { incidentId } = await awaitingApproval();
    await watchExecution(failedEvent(incidentId), deps);
    const before = await snapshot(incidentId);
    const told = events.published.length;

    expect(await watchExecution(failedEvent(incidentId), deps)).toEqual({
      kind: "ignored",
      incidentId,
      reason: "already recorded as interrupted",
    });
    expect(await snapshot(incidentId)).toEqual(before);
    expect(events.published).toHaveLength(told);
  });

  it("does nothing for an incident that already ended (its playbook recorded the failure, then ended in a Fail state)", async () => {
    const { incidentId } = await awaitingApproval();
    await store.updateIncident(incidentId, { status: "failed", outcome: "revoke failed" });
    const before = await snapshot(incidentId);

    expect(
      await watchExecution(failedEvent(incidentId, incidentId, { error: "PlaybookFailed" }), deps),
    ).toEqual({
      kind: "ignored",
      incidentId,
      reason: "the incident is already failed",
    });
    expect(await snapshot(incidentId)).toEqual(before);
    expect(events.published).toEqual([]);
  });

  it("does nothing for an older execution once the incident was rerun; the rerun's own failure interrupts it again", async () => {
    const { incidentId } = await awaitingApproval();
    await watchExecution(failedEvent(incidentId), deps);
    await runCommand(`rerun ${incidentId}`, APPROVER, commands);
    const before = await snapshot(incidentId);
    const told = events.published.length;

    // The first execution's event, late (or redelivered after the rerun started).
    expect(await watchExecution(failedEvent(incidentId), deps)).toEqual({
      kind: "ignored",
      incidentId,
      reason: `the incident's execution is now ${incidentId}-rerun-1`,
    });
    expect(await snapshot(incidentId)).toEqual(before);
    expect(events.published).toHaveLength(told);

    const rerun = `${incidentId}-rerun-1`;
    const longCause = `<!channel> ${"x".repeat(500)}`;
    const timedOut = failedEvent(incidentId, rerun, {
      status: "TIMED_OUT",
      error: "States.Timeout",
      cause: longCause,
    });
    expect(await watchExecution(timedOut, deps)).toMatchObject({ kind: "interrupted" });
    expect(
      (await store.interruptions.list(incidentId)).map((kept) => [kept.executionName, kept.attempt]),
    ).toEqual([
      [incidentId, 1],
      [rerun, 2],
    ]);
    const entry = (await store.getIncidentDetail(incidentId))?.timeline.findLast(
      (e) => e.kind === "interrupted",
    );
    expect(entry?.summary).toContain(
      `the playbook's execution ${rerun} timed out outside its own failure handling ` +
        `(States.Timeout: ${longCause.slice(0, 120)}…)`,
    );
    // The detail keeps more of the cause, never all of it (Slack escapes what it shows: notifier/core.ts).
    expect(entry?.detail?.cause).toBe(`${longCause.slice(0, 300)}…`);
    // The first run's journal is not the rerun's: the rerun sent nothing.
    expect(entry?.summary).toContain("Sent: nothing.");
  });

  it("reads the input with DescribeExecution when the event left it out (too large for EventBridge)", async () => {
    const { incidentId } = await awaitingApproval();
    const event = failedEvent(incidentId, incidentId, { input: null, inputDetails: { included: false } });
    const executionArn = event.detail.executionArn;
    const input = JSON.stringify({ incidentId, alert: { id: "alr_big" }, dryRun: false });
    inputs.set(executionArn, input);

    expect(await watchExecution(event, deps)).toMatchObject({ kind: "interrupted", incidentId });
    expect(described).toEqual([executionArn]);
    expect((await store.interruptions.list(incidentId))[0]?.input).toBe(input);
  });

  it("records an undo that ended so as a failed undo, once", async () => {
    const { incidentId } = await awaitingApproval();
    const step = "revokeKey";
    await store.actionRuns.record({
      incidentId,
      step,
      action: "openai.revoke-project-key",
      status: "applied",
      undoable: true,
      input: {},
      output: {},
      writes: [{ kind: "http" }],
    });
    await store.actionRuns.requestUndo(incidentId, step, APPROVER);
    const name = undoExecutionName(incidentId, step);
    const event = failedEvent(incidentId, name, {
      stateMachineArn: UNDO_ARN,
      executionArn: executionArnOf(UNDO_ARN, name),
      input: JSON.stringify({ incidentId, step, action: "openai.revoke-project-key", dryRun: false }),
      status: "ABORTED",
      error: null,
      cause: "aborted in the console",
    });

    expect(await watchExecution(event, deps)).toEqual({ kind: "undo_failed", incidentId, step });
    expect(await store.actionRuns.get(incidentId, step)).toMatchObject({
      status: "undo_failed",
      undoError: expect.stringContaining(
        "was aborted outside its own failure handling (aborted in the console)",
      ),
    });
    expect(events.published.map((published) => published.kind)).toEqual(["undo_failed"]);
    await watchExecution(event, deps);
    expect(events.published).toHaveLength(1);
    // The incident itself is left as it was: the undo machine is not its playbook.
    expect((await store.getIncident(incidentId))?.status).toBe("awaiting_approval");
  });

  describe("refuses a hostile or malformed event with a clear error, writing nothing", () => {
    const refusals: [string, (incidentId: string) => unknown, RegExp][] = [
      ["not an object", () => "FAILED", /not a Step Functions execution status change/],
      [
        "another source (a forged event)",
        (id) => ({ ...failedEvent(id), source: "quell.ingest" }),
        /source: Invalid input: expected "aws.states"/,
      ],
      [
        "a status the watch does not take",
        (id) => failedEvent(id, id, { status: "SUCCEEDED" }),
        /detail\.status: Invalid option/,
      ],
      [
        "a state machine that is not Quell's",
        (id) => {
          const other = "arn:aws:states:us-east-1:123456789012:stateMachine:SomeoneElses";
          return failedEvent(id, id, { stateMachineArn: other, executionArn: executionArnOf(other, id) });
        },
        /SomeoneElses is not one of Quell's state machines/,
      ],
      [
        "an execution ARN of another execution than the name",
        (id) => failedEvent(id, id, { executionArn: executionArnOf(PLAYBOOK_ARN, `${id}-rerun-9`) }),
        /is not inc_\w+ of its state machine/,
      ],
      [
        "an execution name with mrkdwn in it",
        (id) => failedEvent(id, "<!channel>"),
        /detail\.name: an execution name of 1 to 80 letters/,
      ],
      [
        "an execution that is not a run of the incident its input names",
        (id) => failedEvent(id, "inc_someoneelse"),
        /execution inc_someoneelse is not a run of incident/,
      ],
      [
        "an input that is not JSON (and DescribeExecution says the same)",
        (id) => {
          inputs.set(executionArnOf(PLAYBOOK_ARN, id), "{not json");
          return failedEvent(id, id, { input: "{not json" });
        },
        /the execution's input is not JSON/,
      ],
      [
        "an input that names no incident",
        (id) => failedEvent(id, id, { input: JSON.stringify({ alert: {} }) }),
        /the execution's input names no incident: input\.incidentId/,
      ],
    ];

    it.each(refusals)("%s", async (_what, build, message) => {
      const { incidentId } = await awaitingApproval();
      const before = await snapshot(incidentId);
      const refused = watchExecution(build(incidentId), deps);
      await expect(refused).rejects.toThrow(message);
      await expect(refused).rejects.toBeInstanceOf(ValidationError);
      expect(await snapshot(incidentId)).toEqual(before);
      expect(events.published).toEqual([]);
    });
  });
});
