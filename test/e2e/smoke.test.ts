import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { CanonicalAlert } from "../../functions/shared/alert.js";
import { GenericAlertV1 } from "../../functions/sources/generic.js";
import { isSmokeTest, SMOKE_EMITTER } from "../../functions/triage/smoke.js";
import { httpIncidentReader, runSmoke, smokeAlert, smokeCommand } from "../../infra/local/smoke.js";
import { type Harness, POST_APPROVAL_CARD, SECRETS, SLACK_INTERNAL_ERROR, startHarness } from "./harness.js";

/**
 * `npm run quell -- smoke` against the real local runtime (real ingest, bus, triage, compiled state machine,
 * approval-request and DynamoDB Local; Slack is the stand-in). The deployment runs with dry run OFF: the smoke
 * alert must still be a rehearsal.
 */
describe("smoke command", () => {
  let harness: Harness;
  beforeAll(async () => {
    // Cards left undecided expire on their own soon, so the runtime stops without waiting a day.
    // The playbook's six retries 0.2 s apart, so "past the retries" comes within the smoke test's timeout.
    harness = await startHarness({ dryRun: false, approvalTimeoutSeconds: 8, retrySeconds: 0.2 });
  });
  afterAll(async () => harness?.stop());

  /** Run the command in-process as `npm run quell -- smoke …` would, capturing what it prints. */
  async function smoke(args: string[]) {
    const lines: string[] = [];
    const log = vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
    const error = vi.spyOn(console, "error").mockImplementation((line: string) => void lines.push(line));
    try {
      const code = await smokeCommand(args, { QUELL_READ_TOKEN: SECRETS.read });
      return { code, output: lines.join("\n") };
    } finally {
      log.mockRestore();
      error.mockRestore();
    }
  }

  it("reports accepted, triaged and card posted, with timings, and the run is a rehearsal that writes nothing", async () => {
    const { code, output } = await smoke(["--url", harness.runtime.url, "--secret", SECRETS.generic]);
    expect(output).toMatch(/ok {4}accepted +\d+ ms {2}202, alert alr_/);
    expect(output).toMatch(/ok {4}triaged +\d+ ms {2}incident inc_\w+, \w+, rehearsal \(dry run\)/);
    expect(output).toMatch(/ok {4}card posted +\d+ ms {2}Slack message ts \d+\.\d+/);
    expect(output).toContain("smoke test passed");
    expect(code).toBe(0);

    const incidentId = /incident (inc_\w+)/.exec(output)?.[1] as string;
    const incident = (await (await harness.read(`/incidents/${incidentId}`)).json()) as {
      title: string;
      rehearsal?: { alertId: string };
      approvals: { dryRun: boolean; messageTs?: string; channel?: string }[];
      timeline: { kind: string; detail?: Record<string, unknown> }[];
    };
    expect(incident.title).toMatch(/^Smoke test: Quell smoke test/);
    expect(incident.rehearsal).toBeDefined();
    // The execution itself runs in dry run, though the deployment does not.
    expect(incident.approvals).toEqual([expect.objectContaining({ dryRun: true })]);
    expect(incident.timeline).toContainEqual(
      expect.objectContaining({
        kind: "playbook_started",
        detail: expect.objectContaining({ dryRun: true }),
      }),
    );
    const card = harness.standins.slack.find(
      incident.approvals[0]?.channel as string,
      incident.approvals[0]?.messageTs as string,
    );
    expect(JSON.stringify(card?.blocks)).toMatch(/dry run/i);
    expect(JSON.stringify(card?.blocks)).toContain("Quell smoke test");
  });

  it("names the card hop and exits non-zero when Slack refuses the card past the retries", async () => {
    // Slack fails every card (not the thread posts) for longer than the playbook retries it.
    harness.standins.slack.faults.next({ ...POST_APPROVAL_CARD, ...SLACK_INTERNAL_ERROR, times: 20 });
    try {
      const { code, output } = await smoke([
        "--url",
        harness.runtime.url,
        "--secret",
        SECRETS.generic,
        "--timeout",
        "30",
      ]);
      expect(output).toMatch(/ok {4}accepted/);
      expect(output).toMatch(/ok {4}triaged/);
      // The run failed after its retries: the command says so as soon as it sees it, not at the timeout.
      expect(output).toMatch(
        /FAIL {2}card posted .*incident inc_\w+ ended \(failed\) without recording an approval card/,
      );
      expect(output).toContain('smoke test failed at "card posted"');
      expect(code).toBe(1);
    } finally {
      harness.standins.slack.faults.clear();
    }
  });

  it("names the accepted hop when the secret is wrong, and sends nothing further", async () => {
    const report = await runSmoke({
      url: `${harness.runtime.url}/`,
      secret: "not-the-secret",
      reader: httpIncidentReader(harness.runtime.url, SECRETS.read),
      timeoutMs: 2000,
    });
    expect(report).toMatchObject({ ok: false, failed: { hop: "accepted" }, seen: [] });
    expect(report.failed?.reason).toMatch(/ingest answered 401.*QUELL_WEBHOOK_SECRET/);
  });

  it("keeps smoke alerts apart from real ones: a real alert about the same principal opens its own real run", async () => {
    const smoke = await runSmoke({
      url: harness.runtime.url,
      secret: SECRETS.generic,
      reader: httpIncidentReader(harness.runtime.url, SECRETS.read),
      timeoutMs: 15_000,
    });
    expect(smoke.ok).toBe(true);
    const now = new Date();
    const real = JSON.stringify({
      schemaVersion: "1",
      id: "real-1",
      source: "custom:gateway",
      type: "jailbreak",
      severity: "high",
      title: "Jailbreak attempts from a service account",
      occurredAt: `${now.toISOString().slice(0, 19)}Z`,
      principal: { type: "service_account", id: "quell-smoke-test", provider: "quell" },
      asset: { kind: "model_endpoint", id: "quell-smoke-test", provider: "quell", environment: "test" },
      dedupKey: "real-1",
    });
    const { quellSignatureHeaders } = await import("../../infra/local/signing.js");
    const accepted = await fetch(`${harness.runtime.url}/alerts/generic`, {
      method: "POST",
      headers: quellSignatureHeaders(real, SECRETS.generic),
      body: real,
    });
    expect(accepted.status).toBe(202);
    const { alertId } = (await accepted.json()) as { alertId: string };
    const list = async () =>
      (
        (await (await harness.read("/incidents?limit=50")).json()) as {
          incidents: { id: string; title: string; rehearsal?: unknown; alertCount: number }[];
        }
      ).incidents;
    let opened: { id: string; rehearsal?: unknown; alertCount: number } | undefined;
    for (let attempt = 0; attempt < 100 && !opened; attempt++) {
      opened = (await list()).find((incident) => incident.title.startsWith("Jailbreak attempts"));
      if (!opened) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(opened?.rehearsal).toBeUndefined();
    expect(opened?.id).not.toBe(smoke.incidentId);
    const view = await harness.incident(opened?.id as string, (incident) => incident.approvals.length > 0);
    expect(view.approvals).toEqual([expect.objectContaining({ dryRun: false })]);
    expect(JSON.stringify(view)).toContain(alertId);
    // The smoke incident took in nothing.
    const smokeView = await harness.incident(smoke.incidentId as string);
    expect(smokeView.alertCount).toBe(1);
  });

  it("marks only the reserved emitter on the generic route: no other emitter or source is a smoke test", () => {
    const base = JSON.parse(JSON.stringify(smokeAlert())) as Record<string, unknown>;
    expect(GenericAlertV1.safeParse(base).success).toBe(true);
    for (const source of ["quell:smoke", "quell:smoke-test2", "QUELL:SMOKE-TEST"])
      expect(GenericAlertV1.safeParse({ ...base, source }).success).toBe(false);
    const canonical = { source: "generic", details: { emitter: SMOKE_EMITTER } } as unknown as CanonicalAlert;
    expect(isSmokeTest(canonical)).toBe(true);
    // Another source's details cannot claim it, nor a custom emitter that contains it.
    expect(isSmokeTest({ ...canonical, source: "datadog" })).toBe(false);
    expect(isSmokeTest({ ...canonical, details: { emitter: `custom:${SMOKE_EMITTER}` } })).toBe(false);
  });
});
