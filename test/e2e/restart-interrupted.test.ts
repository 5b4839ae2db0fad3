import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { githubWebhookHeaders } from "../../infra/local/signing.js";
import {
  type ScenarioStandins,
  startScenarioStandins,
  webhookBody,
} from "../../infra/local/standins/scenario.js";
import { APPROVER, approvalIdIn, SECRETS } from "./harness.js";
import {
  clientOf,
  type RuntimeProcess,
  runtimeEnv,
  startRuntimeProcess,
  workingDirectory,
} from "./runtime-process.js";

interface IncidentView {
  id: string;
  status: string;
  executionName: string;
  approvals: { approvalId: string; status: string; decidedBy?: string }[];
  timeline: { kind: string; summary: string; actor?: string; detail?: Record<string, unknown> }[];
}

const REVOKE_PATH = /^\/v1\/organization\/projects\/[^/]+\/api_keys\/[^/]+$/;
const isDelete = (request: { method: string; path: string }) =>
  request.method === "DELETE" && REVOKE_PATH.test(request.path);
const topLevel = (message: { threadTs?: string }) => message.threadTs === undefined;

describe("a runtime killed (-9) while an approved action is in flight", () => {
  let standins: ScenarioStandins;
  const work = workingDirectory();
  const runtimes: RuntimeProcess[] = [];
  beforeAll(async () => {
    standins = await startScenarioStandins();
  });
  afterAll(async () => {
    for (const runtime of runtimes) await runtime.kill9();
    await standins?.close();
    work.remove();
  });

  it("ends `interrupted`, saying what was and was not sent, and `/quell rerun` runs the playbook again", {
    timeout: 300_000,
  }, async () => {
    const env = runtimeEnv(standins, { dir: work.dir, dryRun: false });
    const first = await startRuntimeProcess(work.dir, env);
    runtimes.push(first);
    // OpenAI holds the revocation without applying it: the process dies with the DELETE in flight.
    standins.openai.faults.next({
      method: "DELETE",
      path: REVOKE_PATH,
      status: 503,
      applied: false,
      delayMs: 120_000,
    });
    const body = webhookBody();
    const sent = await fetch(`${first.url}/alerts/github`, {
      method: "POST",
      headers: githubWebhookHeaders(body, SECRETS.github),
      body,
    });
    expect(sent.status).toBe(202);
    const card = await standins.slack.waitForMessage(topLevel, 30_000);
    const approvalId = approvalIdIn(card.blocks);
    const incidentId = approvalId.split(".")[0] as string;
    expect((await clientOf(first.url).click(approvalId)).status).toBe(200);
    const deadline = Date.now() + 30_000;
    while (!standins.openai.requests.some(isDelete)) {
      if (Date.now() > deadline) throw new Error("the revocation was never sent");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await first.kill9();
    standins.openai.faults.clear();
    expect(standins.openai.deletions).toEqual([]);

    const second = await startRuntimeProcess(work.dir, env);
    runtimes.push(second);
    const quell = clientOf(second.url);
    const interrupted = await quell.incident<IncidentView>(
      incidentId,
      (incident) => incident.status === "interrupted",
    );
    const entry = interrupted.timeline.find((event) => event.kind === "interrupted");
    expect(entry?.summary).toContain("while action openai.revoke-project-key at step revokeKey ran");
    expect(entry?.summary).toMatch(
      /Unknown: openai\.revoke-project-key at revokeKey: DELETE \S+ was being sent/,
    );
    expect(entry?.detail).toMatchObject({
      executionName: incidentId,
      running: [{ state: "revokeKey", step: "revokeKey" }],
      notRun: expect.arrayContaining(["github.resolve-secret-scanning-alert at resolveAlert"]),
      dryRun: false,
    });
    expect(entry?.summary).toContain("Not run: github.resolve-secret-scanning-alert at resolveAlert.");
    expect(second.output()).toContain("1 interrupted mid-step");

    // The card's thread says so, and the approved card no longer says the action is running.
    await standins.slack.waitForMessage(
      (message) => message.threadTs === card.ts && (message.text ?? "").includes("interrupted"),
      30_000,
    );
    const cardNow = JSON.stringify(standins.slack.find(card.channel, card.ts)?.blocks);
    expect(cardNow).toContain("did not complete");

    // Only approvers may rerun; the rerun runs the playbook from the start and asks for approval again.
    expect(await quell.quell(`rerun ${incidentId}`, "U0NOTALLOWED")).toContain("not authorised");
    const answer = await quell.quell(`rerun ${incidentId}`);
    expect(answer).toContain(`Rerun \`${incidentId}-rerun-1\``);
    const secondCard = await standins.slack.waitForMessage(
      (message) => topLevel(message) && message.ts !== card.ts,
      60_000,
    );
    expect(approvalIdIn(secondCard.blocks)).toBe(approvalId);
    expect(await quell.quell(`rerun ${incidentId}`)).toContain("only an interrupted incident");
    await quell.incident<IncidentView>(incidentId, (incident) =>
      incident.approvals.some((approval) => approval.status === "pending"),
    );
    expect((await quell.click(approvalId)).status).toBe(200);
    const done = await quell.incident<IncidentView>(
      incidentId,
      (incident) => incident.status === "mitigated",
      60_000,
    );
    expect(done.executionName).toBe(`${incidentId}-rerun-1`);
    expect(done.approvals).toEqual([
      expect.objectContaining({ approvalId, status: "approved", decidedBy: APPROVER }),
    ]);
    const restarted = done.timeline.filter((event) => event.kind === "playbook_started");
    expect(restarted.at(-1)).toMatchObject({
      actor: APPROVER,
      detail: { executionName: `${incidentId}-rerun-1` },
    });
    expect(standins.openai.deletions).toHaveLength(1);
    expect(standins.openai.requests.filter(isDelete)).toHaveLength(2);
  });
});
