import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { watchExecution } from "../../functions/execution-watch/core.js";
import { EXECUTION_STATUS_CHANGE } from "../../functions/execution-watch/event.js";
import { systemClock } from "../../functions/shared/ids.js";
import type { IncidentStore } from "../../functions/shared/store.js";
import { type BusEvent, LocalEventBus } from "../../infra/local/bus.js";
import { executionFailedEntry } from "../../infra/local/execution-status-event.js";
import {
  type FailedExecution,
  type LocalHandler,
  LocalStepFunctions,
} from "../../infra/local/stepfunctions.js";
import { compilePlaybook, type FunctionRef } from "../../playbooks/compile.js";
import { leakedAiKey } from "../../playbooks/leaked-ai-key.js";
import { type LocalStore, startLocalStore } from "./local-store.js";
import { RecordingEvents, seedPendingApproval } from "./pending-approval.js";

/**
 * The local runtime behaves as AWS does when a playbook's execution fails outside its own handling: its Step
 * Functions emulation puts Step Functions' "Execution Status Change" event on the (durable) bus, and the same
 * execution-watch code settles the incident (runtime.ts wires the two as here).
 */

const compiled = compilePlaybook(leakedAiKey);
const ARN = LocalStepFunctions.arnFor(compiled.name);

/** Actions answer as applied; the recorder fails as Quell's own function would on an error it cannot retry. */
function failingRecorder(hold?: Promise<void>) {
  return (ref: FunctionRef): LocalHandler =>
    async () => {
      if (ref.kind === "recorder") {
        const error = new Error("QUELL_TABLE_NAME names no table");
        error.name = "ConfigurationError";
        throw error;
      }
      if (hold) await hold;
      return { action: ref.kind, mode: "applied", input: {}, output: {}, writes: [], verified: null };
    };
}

const inputFor = (incidentId: string) => ({
  incidentId,
  alert: {
    source: "github",
    details: {
      validity: "active",
      secretType: "openai_api_key",
      repository: "acme/app",
      alertNumber: 7,
      htmlUrl: "https://github.com/acme/app/security/secret-scanning/7",
      secretTypeDisplayName: "OpenAI API Key",
    },
  },
  dryRun: false,
});

describe("local runtime: a failed execution reaches the execution watch through the bus", () => {
  let local: LocalStore;
  let store: IncidentStore;
  beforeAll(async () => {
    local = await startLocalStore();
    store = local.store(systemClock);
  });
  afterAll(async () => local?.stop());

  it("emits the AWS event for a failed execution, and the watch marks its incident interrupted", async () => {
    const { incidentId } = await seedPendingApproval(store, new Date(), { incident: { status: "running" } });
    const events = new RecordingEvents();
    const delivered: BusEvent[] = [];
    const bus = new LocalEventBus([
      {
        name: "execution-watch",
        source: EXECUTION_STATUS_CHANGE.source,
        detailType: EXECUTION_STATUS_CHANGE.detailType,
        target: async (event) => {
          delivered.push(event);
          return watchExecution(event, {
            store,
            events,
            machines: { [compiled.name]: ARN },
            describeInput: async () => {
              throw new Error("the local event carries the input");
            },
          });
        },
      },
    ]);
    const stepFunctions = new LocalStepFunctions(failingRecorder(), {
      onFailed: (execution) => void bus.put(executionFailedEntry(execution)),
    });
    stepFunctions.register(compiled);
    stepFunctions.startExecution({
      stateMachineArn: ARN,
      name: incidentId,
      input: JSON.stringify(inputFor(incidentId)),
    });
    await stepFunctions.drain();
    await bus.idle();

    expect(delivered).toHaveLength(1);
    expect(delivered[0]).toMatchObject({
      source: "aws.states",
      "detail-type": "Step Functions Execution Status Change",
      resources: [`${ARN.replace(":stateMachine:", ":execution:")}:${incidentId}`],
      detail: {
        stateMachineArn: ARN,
        name: incidentId,
        status: "FAILED",
        inputDetails: { included: true },
        error: "ConfigurationError",
        cause: "QUELL_TABLE_NAME names no table",
      },
    });
    const detail = await store.getIncidentDetail(incidentId);
    expect(detail?.status).toBe("interrupted");
    expect(detail?.timeline.find((entry) => entry.kind === "interrupted")?.summary).toContain(
      `the playbook's execution ${incidentId} failed outside its own failure handling (ConfigurationError: QUELL_TABLE_NAME names no table)`,
    );
    expect((await store.interruptions.list(incidentId)).map((kept) => kept.input)).toEqual([
      JSON.stringify(inputFor(incidentId)),
    ]);
    expect(events.published.map((event) => event.kind)).toEqual(["approval_expired", "interrupted"]);
    bus.close();
  });

  it("tells nothing of an execution the runtime aborts by stopping: recovery takes it up after the restart", async () => {
    const failed: FailedExecution[] = [];
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const stepFunctions = new LocalStepFunctions(failingRecorder(held), {
      onFailed: (execution) => failed.push(execution),
    });
    stepFunctions.register(compiled);
    const execution = stepFunctions.startExecution({
      stateMachineArn: ARN,
      name: "inc_stopped",
      input: JSON.stringify(inputFor("inc_stopped")),
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    stepFunctions.close();
    release();
    await execution.done;
    expect(failed).toEqual([]);
  });
});
