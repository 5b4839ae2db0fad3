import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { fileRecords } from "../../infra/local/durable-records.js";
import {
  type ExecutionRecord,
  type LocalHandler,
  LocalStepFunctions,
} from "../../infra/local/stepfunctions.js";
import { compilePlaybook, type FunctionRef } from "../../playbooks/compile.js";
import { leakedAiKey } from "../../playbooks/leaked-ai-key.js";

const compiled = compilePlaybook(leakedAiKey);
const ARN = LocalStepFunctions.arnFor(compiled.name);
const INPUT = {
  incidentId: "inc_0123456789abcdef",
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
};

/** Stand-in handlers: they record what each function was asked, and answer as the real ones would. */
function handlers() {
  const calls: { ref: string; payload: Record<string, unknown> }[] = [];
  let hold: Promise<void> | undefined;
  let holdRequest: Promise<void> | undefined;
  let holdRecord: Promise<void> | undefined;
  const resolve = (ref: FunctionRef): LocalHandler => {
    const name = ref.kind === "action" ? ref.action : ref.kind;
    return async (payload) => {
      calls.push({ ref: name, payload: payload as Record<string, unknown> });
      if (ref.kind === "approvalRequest" && holdRequest) await holdRequest;
      if (ref.kind === "recorder" && holdRecord) await holdRecord;
      if (ref.kind !== "action") return { ok: true };
      if (ref.action === "openai.revoke-project-key" && hold) await hold;
      const match = {
        projectId: "proj_1",
        keyId: "key_1",
        projectName: "p",
        redactedValue: "sk-…",
        keyName: "k",
      };
      return {
        action: ref.action,
        mode: "applied",
        input: {},
        output:
          ref.action === "openai.find-leaked-key"
            ? { matchCount: 1, match }
            : ref.action === "quell.check-protected"
              ? { protected: false, principal: null, entry: null }
              : {},
        writes: [],
        verified: null,
      };
    };
  };
  return {
    calls,
    resolve,
    holdRevoke(until: Promise<void>) {
      hold = until;
    },
    holdApprovalRequest(until: Promise<void>) {
      holdRequest = until;
    },
    holdRecorder(until: Promise<void>) {
      holdRecord = until;
    },
  };
}

const until = async (done: () => boolean, what: string) => {
  const deadline = Date.now() + 5000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

describe("local Step Functions: executions are durable records, resumed at their callback after a restart", () => {
  const dirs: string[] = [];
  const newDir = () => {
    const dir = mkdtempSync(join(tmpdir(), "quell-executions-"));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  const runtime = (dir: string, options: { approvalTimeoutSeconds?: number } = {}) => {
    const fake = handlers();
    const stepFunctions = new LocalStepFunctions(fake.resolve, {
      ...options,
      records: fileRecords<ExecutionRecord>(dir),
    });
    stepFunctions.register(compiled);
    return { stepFunctions, fake };
  };

  it("keeps the waiting state, its input and token; a restart resumes there without asking again, and a success goes on", async () => {
    const dir = newDir();
    const first = runtime(dir);
    first.stepFunctions.startExecution({
      stateMachineArn: ARN,
      name: INPUT.incidentId,
      input: JSON.stringify(INPUT),
    });
    expect(readdirSync(dir).filter((name) => name.endsWith(".json"))).toHaveLength(1);
    await until(
      () => first.fake.calls.some((call) => call.ref === "approvalRequest"),
      "the approval request",
    );
    const request = first.fake.calls.find((call) => call.ref === "approvalRequest")?.payload ?? {};
    // The handler sees exactly what it saw before the local rewrite: no state input key.
    expect(Object.keys(request)).not.toContain("__quellStateInput");
    expect(request).toMatchObject({ step: "approveRevoke", incidentId: INPUT.incidentId });
    const token = String(request.taskToken);
    first.stepFunctions.close();

    const second = runtime(dir);
    const [record, ...others] = second.stepFunctions.load();
    expect(others).toEqual([]);
    expect(record?.waiting).toMatchObject({ state: "approveRevoke", phase: "waiting", taskToken: token });
    expect((record?.waiting?.stateInput as { steps?: unknown } | undefined)?.steps).toMatchObject({
      locateKey: { output: { matchCount: 1 } },
    });
    const resumed = second.stepFunctions.resume(record as ExecutionRecord, {
      kind: "callback",
      reinvoke: false,
    });
    // Registered at once: a click right after the restart settles it.
    second.stepFunctions.sendTaskSuccess(token, JSON.stringify({ decision: "approved" }));
    await resumed.done;
    expect(resumed.status).toBe("SUCCEEDED");
    expect(second.fake.calls.map((call) => call.ref)).toEqual([
      "openai.revoke-project-key",
      "recorder",
      "github.resolve-secret-scanning-alert",
      "recorder",
      "recorder",
    ]);
    expect(second.fake.calls[0]?.payload).toMatchObject({ incidentId: INPUT.incidentId, step: "revokeKey" });
    expect(second.fake.calls.at(-1)?.payload).toMatchObject({ kind: "closed", outcome: "mitigated" });
    // The same execution: id and name unchanged; the record says it ended.
    expect(second.stepFunctions.describeExecution(resumed.executionArn)).toMatchObject({
      name: INPUT.incidentId,
      status: "SUCCEEDED",
    });
    const third = runtime(dir);
    expect(third.stepFunctions.load()).toEqual([]);
    expect(() =>
      third.stepFunctions.startExecution({ stateMachineArn: ARN, name: INPUT.incidentId, input: "{}" }),
    ).toThrow(/Execution Already Exists/);
  });

  it("a callback whose handler had not returned is recorded as requesting, and resumed by asking again with the same token", async () => {
    const dir = newDir();
    const first = runtime(dir);
    first.fake.holdApprovalRequest(new Promise<void>(() => {}));
    first.stepFunctions.startExecution({
      stateMachineArn: ARN,
      name: INPUT.incidentId,
      input: JSON.stringify(INPUT),
    });
    await until(
      () => first.fake.calls.some((call) => call.ref === "approvalRequest"),
      "the approval request",
    );
    const token = String(first.fake.calls.find((call) => call.ref === "approvalRequest")?.payload.taskToken);
    first.stepFunctions.close();

    const second = runtime(dir);
    const [record] = second.stepFunctions.load();
    expect(record?.waiting).toMatchObject({ state: "approveRevoke", phase: "requesting", taskToken: token });
    const resumed = second.stepFunctions.resume(record as ExecutionRecord, {
      kind: "callback",
      reinvoke: true,
    });
    await until(() => second.fake.calls.length > 0, "the request asked again");
    expect(second.fake.calls[0]).toMatchObject({
      ref: "approvalRequest",
      payload: { taskToken: token, step: "approveRevoke" },
    });
    expect(second.stepFunctions.load()).toEqual([]);
    second.stepFunctions.sendTaskFailure(token, "ApprovalDenied", "denied by U0TEST");
    await resumed.done;
    expect(second.fake.calls.at(-1)?.payload).toMatchObject({ kind: "closed", outcome: "denied" });
  });

  it("an execution stopped in a recorder step resumes at that step and finishes", async () => {
    const dir = newDir();
    const first = runtime(dir);
    first.fake.holdRecorder(new Promise<void>(() => {}));
    first.stepFunctions.startExecution({
      stateMachineArn: ARN,
      name: INPUT.incidentId,
      input: JSON.stringify(INPUT),
    });
    await until(() => first.fake.calls.some((call) => call.ref === "recorder"), "the recorder");
    first.stepFunctions.close();

    const second = runtime(dir);
    const [record] = second.stepFunctions.load();
    expect(Object.keys(record?.running ?? {})).toEqual(["locateKey.record"]);
    const resumed = second.stepFunctions.resume(record as ExecutionRecord, {
      kind: "task",
      state: "locateKey.record",
    });
    await until(
      () => second.fake.calls.some((call) => call.ref === "approvalRequest"),
      "the approval request",
    );
    expect(second.fake.calls[0]).toMatchObject({
      ref: "recorder",
      payload: { kind: "action", step: "locateKey" },
    });
    const token = String(second.fake.calls.find((call) => call.ref === "approvalRequest")?.payload.taskToken);
    second.stepFunctions.sendTaskSuccess(token, "{}");
    await resumed.done;
    expect(resumed.status).toBe("SUCCEEDED");
  });

  it("an approval whose deadline passed during the downtime times out at once, through the playbook's expiry", async () => {
    const dir = newDir();
    const first = runtime(dir, { approvalTimeoutSeconds: 1 });
    first.stepFunctions.startExecution({
      stateMachineArn: ARN,
      name: INPUT.incidentId,
      input: JSON.stringify(INPUT),
    });
    await until(
      () => first.fake.calls.some((call) => call.ref === "approvalRequest"),
      "the approval request",
    );
    first.stepFunctions.close();
    await new Promise((resolve) => setTimeout(resolve, 1200));

    const second = runtime(dir, { approvalTimeoutSeconds: 1 });
    const [record] = second.stepFunctions.load();
    expect(Date.parse(record?.waiting?.timeoutAt ?? "")).toBeLessThan(Date.now());
    const resumed = second.stepFunctions.resume(record as ExecutionRecord, {
      kind: "callback",
      reinvoke: false,
    });
    await resumed.done;
    expect(second.fake.calls.map((call) => call.payload)).toEqual([
      expect.objectContaining({ kind: "closed", outcome: "expired", step: "approveRevoke" }),
    ]);
    expect(() => second.stepFunctions.sendTaskSuccess(record?.waiting?.taskToken ?? "", "{}")).toThrow(
      /Task Timed Out/,
    );
  });

  it("an execution stopped while an action ran is left running in its record, naming that state", async () => {
    const dir = newDir();
    const first = runtime(dir);
    let release = () => {};
    first.fake.holdRevoke(new Promise<void>((resolve) => (release = resolve)));
    first.stepFunctions.startExecution({
      stateMachineArn: ARN,
      name: INPUT.incidentId,
      input: JSON.stringify(INPUT),
    });
    await until(
      () => first.fake.calls.some((call) => call.ref === "approvalRequest"),
      "the approval request",
    );
    const token = String(first.fake.calls.find((call) => call.ref === "approvalRequest")?.payload.taskToken);
    first.stepFunctions.sendTaskSuccess(token, "{}");
    await until(
      () => first.fake.calls.some((call) => call.ref === "openai.revoke-project-key"),
      "the revoke",
    );
    first.stepFunctions.close();
    release();

    const second = runtime(dir);
    const [record] = second.stepFunctions.load();
    expect(record?.waiting).toBeUndefined();
    expect(Object.keys(record?.running ?? {})).toEqual(["revokeKey"]);
    expect(record?.lastFinished).toBe("approveRevoke");
    const abandoned = second.stepFunctions.abandon(record as ExecutionRecord, "lost");
    expect(abandoned).toMatchObject({ status: "ABORTED", error: "Quell.Interrupted" });
    expect(runtime(dir).stepFunctions.load()).toEqual([]);
  });

  it("a settled token is recorded before SendTaskSuccess answers: no restart resumes a delivered decision", async () => {
    const dir = newDir();
    const first = runtime(dir);
    const held = new Promise<void>(() => {});
    first.fake.holdRevoke(held);
    first.stepFunctions.startExecution({
      stateMachineArn: ARN,
      name: INPUT.incidentId,
      input: JSON.stringify(INPUT),
    });
    await until(
      () => first.fake.calls.some((call) => call.ref === "approvalRequest"),
      "the approval request",
    );
    const token = String(first.fake.calls.find((call) => call.ref === "approvalRequest")?.payload.taskToken);
    first.stepFunctions.sendTaskSuccess(token, "{}");
    // Read at once, as a crash right after the answer would leave it.
    const [record] = runtime(dir).stepFunctions.load();
    expect(record?.waiting).toBeUndefined();
    expect(record?.lastFinished).toBe("approveRevoke");
    first.stepFunctions.close();
  });
});
