import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId, systemClock } from "../../functions/shared/ids.js";
import { INTERRUPTED_BY } from "../../functions/shared/incident.js";
import type { MachineStarter } from "../../functions/shared/machine-starter.js";
import type { IncidentStore } from "../../functions/shared/store.js";
import { type CommandDeps, runCommand } from "../../functions/slack/commands.js";
import { type LocalStore, startLocalStore } from "./local-store.js";
import { RecordingEvents, STEP, seedPendingApproval } from "./pending-approval.js";

const APPROVER = "U0APPROVER";

class RecordingStarter implements MachineStarter {
  readonly started: { machine: string; name: string; input: object }[] = [];
  failNext = false;
  async start(machine: string, name: string, input: object) {
    if (this.failNext) {
      this.failNext = false;
      throw new Error("Step Functions is unavailable");
    }
    this.started.push({ machine, name, input });
  }
}

describe("/quell rerun and resolve of an interrupted incident (DynamoDB Local)", () => {
  let local: LocalStore;
  let store: IncidentStore;
  let machines: RecordingStarter;
  let deps: CommandDeps;
  beforeAll(async () => {
    local = await startLocalStore();
    store = local.store(systemClock);
    machines = new RecordingStarter();
    deps = {
      store,
      isResponder: async (userId) => userId === APPROVER,
      machines,
      playbooks: ["leaked-ai-key"],
      events: new RecordingEvents(),
      clock: systemClock,
      newId,
    };
  });
  afterAll(async () => local?.stop());

  /** An incident whose execution was lost after its approval was given, as recovery leaves it. */
  async function interrupted(
    status: "approved" | "pending" = "approved",
    extra: Record<string, unknown> = {},
  ) {
    const seeded = await seedPendingApproval(store, new Date(), { incident: { status: "interrupted" } });
    if (status === "approved") await store.decideApproval(seeded.incidentId, STEP, { status, by: APPROVER });
    else await store.decideApproval(seeded.incidentId, STEP, { status: "expired", by: INTERRUPTED_BY });
    const input = { incidentId: seeded.incidentId, alert: { id: "alr_1" }, dryRun: false, ...extra };
    await store.interruptions.record({
      incidentId: seeded.incidentId,
      executionName: seeded.incidentId,
      playbook: "leaked-ai-key",
      input: JSON.stringify(input),
      state: "revokeKey",
      step: "revokeKey",
    });
    return { ...seeded, input };
  }

  it("gives a run lost before assets carried `deployments` none, so today's playbook finds every path it reads", async () => {
    const asset = {
      listed: true,
      kind: "model",
      id: "arn:aws:sagemaker:us-east-1:111122223333:endpoint/x",
      knownGood: null,
    };
    const { incidentId } = await interrupted("approved", { asset });
    expect(await runCommand(`rerun ${incidentId}`, APPROVER, deps)).toMatch(/^Rerun/);
    const started = machines.started.find((start) => start.name === `${incidentId}-rerun-1`);
    expect(started?.input).toMatchObject({ asset: { ...asset, deployments: [] } });
  });

  it("starts the playbook again as <incident>-rerun-1 with the lost input, once, for approvers only", async () => {
    const { incidentId, input } = await interrupted();
    expect(await runCommand(`rerun ${incidentId}`, "U0SOMEONE", deps)).toContain("not authorised");
    expect(await runCommand("rerun not-an-id", APPROVER, deps)).toContain("Usage");

    const answers = await Promise.all([
      runCommand(`rerun ${incidentId}`, APPROVER, deps),
      runCommand(`rerun ${incidentId}`, APPROVER, deps),
    ]);
    expect(answers.filter((answer) => answer.startsWith("Rerun"))).toHaveLength(1);
    expect(machines.started.filter((start) => start.name.startsWith(incidentId))).toEqual([
      { machine: "leaked-ai-key", name: `${incidentId}-rerun-1`, input },
    ]);
    const detail = await store.getIncidentDetail(incidentId);
    expect(detail).toMatchObject({
      status: "running",
      executionName: `${incidentId}-rerun-1`,
      // Its approvals exclude the requester under four eyes (approval-request/core.ts).
      rerun: { executionName: `${incidentId}-rerun-1`, requestedBy: APPROVER },
    });
    // The lost run's approval is kept aside: the rerun asks again, and an action runs only on the new one.
    expect(detail?.approvals).toEqual([]);
    expect(await store.getApproval(incidentId, STEP)).toBeUndefined();
    expect(detail?.timeline.at(-1)).toMatchObject({
      kind: "playbook_started",
      actor: APPROVER,
      detail: { executionName: `${incidentId}-rerun-1`, rerunOf: incidentId, attempt: 1 },
    });
    expect((await store.interruptions.list(incidentId))[0]).toMatchObject({
      status: "rerun",
      rerunBy: APPROVER,
    });
    expect(await runCommand(`rerun ${incidentId}`, APPROVER, deps)).toContain("only an interrupted incident");
  });

  it("a rerun that cannot start leaves the incident interrupted and rerunnable", async () => {
    const { incidentId } = await interrupted();
    machines.failNext = true;
    await expect(runCommand(`rerun ${incidentId}`, APPROVER, deps)).rejects.toThrow(/unavailable/);
    expect((await store.getIncident(incidentId))?.status).toBe("interrupted");
    expect(await runCommand(`rerun ${incidentId}`, APPROVER, deps)).toContain(
      `Rerun \`${incidentId}-rerun-1\``,
    );
  });

  it("resolve closes an interrupted incident: its approvals no longer wait (recovery expired them)", async () => {
    const { incidentId } = await interrupted("pending");
    expect(await runCommand(`resolve ${incidentId} revoked by hand in the dashboard`, APPROVER, deps)).toBe(
      `Resolved \`${incidentId}\`.`,
    );
    expect((await store.getIncident(incidentId))?.status).toBe("resolved");
    expect(await runCommand(`rerun ${incidentId}`, APPROVER, deps)).toContain("is resolved");
  });

  it("resolve still refuses while an approval is pending on a live execution, as before a restart", async () => {
    const { incidentId } = await seedPendingApproval(store, new Date());
    expect(await runCommand(`resolve ${incidentId} no longer relevant`, APPROVER, deps)).toContain(
      "has a pending approval",
    );
  });
});
