import { afterEach, describe, expect, it } from "vitest";
import { githubWebhookHeaders } from "../../infra/local/signing.js";
import {
  githubAlertSeed,
  type ScenarioStandins,
  startScenarioStandins,
  webhookBody,
} from "../../infra/local/standins/scenario.js";
import { APPROVER, approvalIdIn, SECRETS } from "./harness.js";
import {
  clientOf,
  type RuntimeProcess,
  runtimeEnv,
  SHORT_APPROVALS_ENTRY,
  startRuntimeProcess,
  workingDirectory,
} from "./runtime-process.js";

interface IncidentView {
  id: string;
  status: string;
  approvals: { approvalId: string; status: string; decidedBy?: string; messageTs?: string }[];
  timeline: { kind: string; summary: string; detail?: Record<string, unknown> }[];
}

/** The approval is stored and its card recorded as posted. */
const cardRecorded = (incident: IncidentView) =>
  incident.status === "awaiting_approval" && incident.approvals.some((approval) => approval.messageTs);

const isCard = (message: { threadTs?: string; blocks?: unknown }) =>
  message.threadTs === undefined && JSON.stringify(message.blocks ?? []).includes("quell.approve");

async function sendLeak(url: string, alertNumber: number): Promise<void> {
  const body = webhookBody(alertNumber);
  const response = await fetch(`${url}/alerts/github`, {
    method: "POST",
    headers: githubWebhookHeaders(body, SECRETS.github),
    body,
  });
  expect(response.status).toBe(202);
}

describe("an approval pending when the runtime is killed (-9) is alive after the restart", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const setUp = async (alertNumber: number) => {
    const standins: ScenarioStandins = await startScenarioStandins({
      alerts: [githubAlertSeed({ number: alertNumber })],
    });
    cleanups.push(() => standins.close());
    const work = workingDirectory();
    cleanups.push(() => work.remove());
    const runtimes: RuntimeProcess[] = [];
    cleanups.push(async () => {
      for (const runtime of runtimes) await runtime.kill9();
    });
    const start = async (entry?: string, extra: Record<string, string> = {}) => {
      const runtime = await startRuntimeProcess(
        work.dir,
        runtimeEnv(standins, { dir: work.dir, extra }),
        entry,
      );
      runtimes.push(runtime);
      return runtime;
    };
    return { standins, start };
  };

  it("is decided by a click after the restart, without a second card, and the playbook finishes", {
    timeout: 180_000,
  }, async () => {
    const { standins, start } = await setUp(42);
    const first = await start();
    await sendLeak(first.url, 42);
    const card = await standins.slack.waitForMessage(isCard, 30_000);
    const approvalId = approvalIdIn(card.blocks);
    const incidentId = approvalId.split(".")[0] as string;
    await clientOf(first.url).incident<IncidentView>(incidentId, cardRecorded);
    await first.kill9();

    const second = await start();
    const quell = clientOf(second.url);
    const waiting = await quell.incident<IncidentView>(incidentId, () => true);
    expect(waiting.status).toBe("awaiting_approval");
    expect(waiting.approvals).toEqual([expect.objectContaining({ approvalId, status: "pending" })]);

    // A live, resumed wait: resolve refuses it as it did before the restart (decide it or let it expire).
    expect(await quell.quell(`resolve ${incidentId} handled elsewhere`)).toContain("has a pending approval");
    const click = await quell.click(approvalId);
    expect(click.status).toBe(200);
    const done = await quell.incident<IncidentView>(
      incidentId,
      (incident) => incident.status === "mitigated",
    );
    expect(done.approvals).toEqual([
      expect.objectContaining({ approvalId, status: "approved", decidedBy: APPROVER }),
    ]);
    expect(done.timeline.filter((event) => event.kind === "approval_decided")).toHaveLength(1);
    expect(done.timeline.filter((event) => event.kind === "approval_requested")).toHaveLength(1);
    // The resumed step did not ask again: one card in all, and one revocation.
    expect(standins.slack.messages.filter((message) => message.threadTs === undefined)).toHaveLength(1);
    expect(standins.openai.requests.filter((request) => request.method === "DELETE")).toHaveLength(1);
    expect(second.output()).toContain("1 execution(s) waiting on an approval resumed");
  });

  it("an approval whose timeout passed while the runtime was down ends expired, through the playbook", {
    timeout: 180_000,
  }, async () => {
    const { standins, start } = await setUp(77);
    const shortened = { QUELL_TEST_APPROVAL_TIMEOUT_SECONDS: "4" };
    const first = await start(SHORT_APPROVALS_ENTRY, shortened);
    await sendLeak(first.url, 77);
    const card = await standins.slack.waitForMessage(isCard, 30_000);
    const approvalId = approvalIdIn(card.blocks);
    const incidentId = approvalId.split(".")[0] as string;
    await clientOf(first.url).incident<IncidentView>(incidentId, cardRecorded);
    await first.kill9();
    await new Promise((resolve) => setTimeout(resolve, 4500));

    const second = await start(SHORT_APPROVALS_ENTRY, shortened);
    const quell = clientOf(second.url);
    const ended = await quell.incident<IncidentView>(incidentId, (incident) => incident.status === "expired");
    expect(ended.approvals).toEqual([expect.objectContaining({ approvalId, status: "expired" })]);
    expect(ended.timeline.map((event) => event.kind)).toContain("closed");
    expect(ended.timeline.filter((event) => event.kind === "approval_decided")).toEqual([]);
    // A click now changes nothing, and nothing was revoked.
    expect((await quell.click(approvalId)).status).toBe(200);
    const after = await quell.incident<IncidentView>(incidentId, () => true);
    expect(after.status).toBe("expired");
    expect(standins.openai.requests.filter((request) => request.method === "DELETE")).toEqual([]);
  });
});
