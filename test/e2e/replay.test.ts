import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QuellClient } from "../../infra/local/client.js";
import { replayCommand } from "../../infra/local/replay.js";
import { githubAlertSeed } from "../../infra/local/standins/scenario.js";
import { approvalIdIn, type Harness, SECRETS, startHarness, webhookForAlert } from "./harness.js";
import { requestWithHost } from "./raw-http.js";

/** Every request a provider stand-in saw that was not a read. */
const providerWrites = (harness: Harness) =>
  [
    ...harness.standins.openai.requests,
    ...harness.standins.github.requests,
    ...harness.standins.anthropic.requests,
  ].filter((request) => request.method !== "GET");

describe("npm run quell -- replay (live mode: the deployed playbook writes, its rehearsals never do)", () => {
  let harness: Harness;
  let client: QuellClient;
  let approvedIncident: string;
  let deniedIncident: string;
  const dir = mkdtempSync(join(tmpdir(), "quell-replay-"));

  const newCard = async (since: number) =>
    harness.standins.slack.waitForMessage(
      (message) =>
        harness.standins.slack.messages.indexOf(message) >= since && message.threadTs === undefined,
      15_000,
    );

  beforeAll(async () => {
    harness = await startHarness({
      dryRun: false,
      alerts: [githubAlertSeed(), githubAlertSeed({ number: 44 })],
      env: { QUELL_ALLOWED_HOSTS: "quell-tunnel.example" },
    });
    client = new QuellClient(harness.runtime.url, {
      github: SECRETS.github,
      slackSigning: SECRETS.slackSigning,
      readToken: SECRETS.read,
    });
    // Alert 42: approved, so the deployed playbook sends its DELETE and PATCH.
    expect((await harness.postGitHub(webhookForAlert(42))).status).toBe(202);
    const first = approvalIdIn((await newCard(0)).blocks);
    approvedIncident = (await harness.approveAndSettle(first)).id;
    // Alert 44: denied, so the deployed playbook sent nothing.
    const before = harness.standins.slack.messages.length;
    expect((await harness.postGitHub(webhookForAlert(44))).status).toBe(202);
    const second = approvalIdIn((await newCard(before)).blocks);
    expect((await harness.submitDenyReason(second, "a test key")).status).toBe(200);
    deniedIncident = (
      await harness.incident(second.split(".")[0] as string, (view) => view.status === "denied")
    ).id;
    await harness.runtime.idle();
  });
  afterAll(async () => harness?.stop());

  const replay = (...args: string[]) => replayCommand(args, client, { pollMs: 25 });
  const rehearsals = (body: string, headers: Record<string, string> = {}, host = "127.0.0.1") =>
    requestWithHost(harness.runtime.url, {
      host,
      method: "POST",
      path: "/rehearsals",
      headers: { "content-type": "application/json", ...headers },
      body,
    });
  const bearer = { authorization: `Bearer ${SECRETS.read}` };

  it("replays stored alerts: the route now and then, steps, writes, approvals and the diff; sends nothing", async () => {
    const writesBefore = providerWrites(harness).length;
    expect(writesBefore).toBe(2); // the approved run's DELETE and PATCH
    const slackBefore = harness.standins.slack.messages.length;

    const result = await replay("--playbook", "leaked-ai-key", "--since", "1d");
    expect(result.code).toBe(0);
    expect(result.output).toContain("replay of leaked-ai-key: 2 stored alert(s) of the last 1d, 2 rehearsed");
    const [, denied, approved] = result.output.split(/\n(?=alert alr_)/);
    expect(approved).toContain("  route now:  leaked-ai-key (rule default)");
    expect(approved).toContain(
      `  route then: leaked-ai-key (rule default); incident ${approvedIncident} ran leaked-ai-key (mitigated)`,
    );
    // The key the deployed run deleted is gone, so the playbook now goes the by-hand way.
    expect(approved).toContain("    locateKey  openai.find-leaked-key: nothing to write");
    expect(approved).toContain("    confirmManualRevoke  approval (one): would ask");
    expect(approved).toContain("  writes planned (none sent): none");
    expect(approved).toContain(`  diff against ${approvedIncident} (mitigated):`);
    expect(approved).toMatch(
      / {4}- write revokeKey openai\.revoke-project-key DELETE http:\/\/127\.0\.0\.1:\d+\/v1\/organization\/projects\/proj_support_chat\/api_keys\/key_support_prod/,
    );
    expect(approved).toContain("    + approval confirmManualRevoke one");
    expect(denied).toContain(`  diff against ${deniedIncident} (denied):`);
    expect(denied).toContain("    - outcome denied");
    expect(denied).toMatch(
      / {4}\+ write resolveAlertAfterManualRevoke github\.resolve-secret-scanning-alert PATCH \S+\/alerts\/44 /,
    );
    expect(denied).toContain("    + outcome mitigated");

    // Nothing reached a provider or Slack: no write, no approval card, no thread, no closing summary.
    expect(providerWrites(harness)).toHaveLength(writesBefore);
    expect(harness.standins.slack.messages).toHaveLength(slackBefore);
    // Replaying again is the same, and never rehearses a rehearsal.
    const again = await replay("--playbook", "leaked-ai-key", "--since", "1d");
    expect(again.output).toContain("2 stored alert(s) of the last 1d, 2 rehearsed");
    // A playbook neither incident went to, nor triage routes them to now: nothing to rehearse.
    const other = await replay("--playbook", "contain-llmjacking", "--since", "1d");
    expect(other.code).toBe(0);
    expect(other.output).toContain("0 rehearsed, 2 skipped");
    expect(providerWrites(harness)).toHaveLength(writesBefore);
  });

  it("replays an exported incident's alerts from a file, and names a malformed line", async () => {
    const exported = await (await harness.read(`/incidents/${deniedIncident}`)).text();
    const file = join(dir, "incident.json");
    writeFileSync(file, exported);
    const slackBefore = harness.standins.slack.messages.length;
    const result = await replay("--playbook", "leaked-ai-key", "--from", file);
    expect(result.code).toBe(0);
    expect(result.output).toContain(`replay of leaked-ai-key: 1 alert(s) from ${file}, 1 rehearsed`);
    expect(result.output).toMatch(
      /writes planned \(none sent\):\n {4}resolveAlertAfterManualRevoke {2}github\.resolve-secret-scanning-alert {2}PATCH \S+\/alerts\/44 \{"resolution":"revoked"/,
    );
    expect(result.output).toContain(
      "    confirmManualRevoke: would ask one of U0APPROVER in C0INCIDENTS: No single OpenAI key matches: revoke it by hand",
    );
    expect(result.output).toContain(`  diff against ${deniedIncident} (denied):`);
    expect(providerWrites(harness)).toHaveLength(2);
    expect(harness.standins.slack.messages).toHaveLength(slackBefore);

    // JSON Lines: the second line lost its severity, the third is not JSON; nothing is replayed.
    const alert = (JSON.parse(exported) as { alerts: Record<string, unknown>[] }).alerts[0] ?? {};
    const lines = join(dir, "alerts.jsonl");
    writeFileSync(
      lines,
      [JSON.stringify(alert), JSON.stringify({ ...alert, severity: "apocalyptic" }), "{oops"].join("\n"),
    );
    const refused = await replay("--playbook", "leaked-ai-key", "--from", lines);
    expect(refused.code).toBe(1);
    expect(refused.output).toContain(`${lines}: not replayed, nothing was sent:`);
    expect(refused.output).toMatch(/line 2: severity: /);
    expect(refused.output).toContain("line 3: not JSON");
  });

  it("refuses an unauthenticated, tunnelled or malformed rehearsal request", async () => {
    const body = JSON.stringify({ playbook: "leaked-ai-key", alertId: "alr_whatever" });
    expect((await rehearsals(body)).status).toBe(401);
    expect((await rehearsals(body, { authorization: "Bearer not-the-token" })).status).toBe(401);
    // A host QUELL_ALLOWED_HOSTS lets in for Slack and GitHub (a tunnel) is no way to the operator's route.
    const tunnelled = await rehearsals(body, bearer, "quell-tunnel.example");
    expect(tunnelled.status).toBe(421);
    expect((await rehearsals(body, bearer, "evil.example")).status).toBe(421);
    expect((await rehearsals("{", bearer)).status).toBe(400);
    expect((await rehearsals(JSON.stringify({ playbook: "leaked-ai-key" }), bearer)).status).toBe(400);
    expect(
      (await rehearsals(JSON.stringify({ playbook: "no-such-playbook", alertId: "alr_x" }), bearer)).status,
    ).toBe(404);
    expect((await rehearsals(body, bearer)).status).toBe(404);
    const invalid = await rehearsals(
      JSON.stringify({ playbook: "leaked-ai-key", alert: { id: "alr_x", severity: "apocalyptic" } }),
      bearer,
    );
    expect(invalid.status).toBe(422);
    expect(invalid.body).toContain('"path":"alert.severity"');
    const huge = await rehearsals(
      JSON.stringify({ playbook: "leaked-ai-key", alert: "x".repeat(300_000) }),
      bearer,
    );
    expect(huge.status).toBe(413);
  });
});
