import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SHADOW_APPROVER } from "../../functions/shared/incident.js";
import { QuellClient } from "../../infra/local/client.js";
import { shadowReportCommand } from "../../infra/local/shadow-report.js";
import { githubAlertSeed } from "../../infra/local/standins/scenario.js";
import {
  APPROVER,
  approvalCardAfter,
  approvalIdIn,
  CHANNEL,
  type Harness,
  type IncidentView,
  SAMPLE_GITHUB_ORGANIZATION,
  SECRETS,
  startHarness,
  webhookForAlert,
} from "./harness.js";

/** Alert text is hostile: the display name reaches the incident's title, and so the digest. */
const HOSTILE_NAME = "OpenAI API Key <!channel> <https://evil.example|open me>";

/** GitHub's real secret_scanning_alert webhook for `number`, with a hostile display name. */
function hostileWebhook(number: number): string {
  const body = JSON.parse(webhookForAlert(number));
  body.alert.secret_type_display_name = HOSTILE_NAME;
  return JSON.stringify(body);
}

/** The team's triage configuration with leaked-ai-key in `mode`: promotion is editing this file. */
function writeConfig(file: string, mode: "shadow" | "enforce") {
  const config = {
    github: { allow: { organizations: [SAMPLE_GITHUB_ORGANIZATION] } },
    playbooks: { "leaked-ai-key": { mode } },
  };
  writeFileSync(file, JSON.stringify(config));
}

const providerWrites = (harness: Harness) =>
  [...harness.standins.openai.requests, ...harness.standins.github.requests].filter(
    (request) => request.method !== "GET",
  );

describe("a shadow playbook on a live deployment (QUELL_DRY_RUN=false)", () => {
  let harness: Harness;
  const configFile = join(mkdtempSync(join(tmpdir(), "quell-shadow-")), "triage.json");

  beforeAll(async () => {
    writeConfig(configFile, "shadow");
    harness = await startHarness({
      dryRun: false,
      alerts: [githubAlertSeed(), githubAlertSeed({ number: 44 })],
      env: { QUELL_TRIAGE_CONFIG_FILE: configFile, QUELL_CONFIG_MAX_AGE_SECONDS: "0" },
    });
  });
  afterAll(async () => harness?.stop());

  /** The newest incident, once it satisfies `done`. */
  async function newestIncident(done: (incident: IncidentView) => boolean): Promise<IncidentView> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const page = (await (await harness.read("/incidents?limit=1")).json()) as {
        incidents: { id: string }[];
      };
      const id = page.incidents[0]?.id;
      if (id) return harness.incident(id, done);
      if (Date.now() > deadline) throw new Error("no incident appeared");
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  let shadowId = "";

  it("runs in full, plans every write and sends none, records whom it would ask, and pings nobody", async () => {
    expect((await harness.postGitHub(hostileWebhook(42))).status).toBe(202);
    const incident = await newestIncident((view) => view.status === "shadowed");
    shadowId = incident.id;
    await harness.runtime.idle();

    // Nobody was asked or told: no card, no thread, no closing message.
    expect(harness.standins.slack.messages).toEqual([]);
    expect(
      harness.standins.slack.requests.filter((request) => request.path.startsWith("/api/chat.")),
    ).toEqual([]);
    // Nothing was sent to the providers, though the deployment is live.
    expect(providerWrites(harness)).toEqual([]);

    const kinds = incident.timeline.map((event) => event.kind);
    expect(kinds).toEqual(
      expect.arrayContaining(["playbook_started", "approval_would_ask", "action_planned", "closed"]),
    );
    expect(kinds).not.toContain("approval_requested");
    expect(kinds).not.toContain("write_attempted");
    const wouldAsk = incident.timeline.find((event) => event.kind === "approval_would_ask");
    expect(wouldAsk?.actor).toBe(SHADOW_APPROVER);
    expect(wouldAsk?.detail).toMatchObject({
      channel: CHANNEL,
      approvers: [APPROVER],
      policy: expect.any(String),
    });
    expect(typeof wouldAsk?.detail?.fourEyes).toBe("boolean");
    const planned = incident.timeline.filter((event) => event.kind === "action_planned");
    expect(planned.flatMap((event) => event.detail?.writes as { method: string; url: string }[])).toEqual([
      expect.objectContaining({
        method: "DELETE",
        url: `${harness.standins.openai.url}/v1/organization/projects/proj_support_chat/api_keys/key_support_prod`,
      }),
      expect.objectContaining({
        method: "PATCH",
        url: `${harness.standins.github.url}/repos/example-corp/support-chat-service/secret-scanning/alerts/42`,
      }),
    ]);
    expect(incident.approvals).toEqual([
      expect.objectContaining({ status: "approved", decidedBy: SHADOW_APPROVER }),
    ]);
    expect(incident.approvals[0]?.messageTs).toBeUndefined();
  });

  it("is listed, marked shadow and shadowed, and left out of response metrics", async () => {
    const page = (await (await harness.read("/incidents")).json()) as {
      incidents: { id: string; status: string; shadow?: boolean; outcome?: string }[];
    };
    expect(page.incidents.find((incident) => incident.id === shadowId)).toMatchObject({
      status: "shadowed",
      shadow: true,
      outcome: expect.stringContaining("shadow: would have ended mitigated"),
    });
    expect(await harness.quell("stats 1")).toContain("1 shadow run(s)");
  });

  it("shows in shadow-report per incident, through the authenticated read route", async () => {
    expect((await fetch(`${harness.runtime.url}/shadow-report?days=1`)).status).toBe(401);
    expect((await harness.read("/shadow-report?days=0")).status).toBe(400);
    const client = new QuellClient(harness.runtime.url, {
      github: SECRETS.github,
      slackSigning: SECRETS.slackSigning,
      readToken: SECRETS.read,
    });
    const { code, output } = await shadowReportCommand(client, "1");
    expect(code).toBe(0);
    expect(output).toContain("leaked-ai-key (shadow): 1 incident(s), 2 write(s) planned, 1 approval(s)");
    expect(output).toContain(shadowId);
    expect(output).toContain("/api_keys/key_support_prod");
    expect(output).toContain(`would ask one of ${APPROVER} in ${CHANNEL}`);
  });

  it("posts the daily digest on demand, its alert text escaped, mentioning nobody", async () => {
    expect(await harness.runtime.shadowDigest()).toMatchObject({ posted: true, incidents: 1 });
    const digest = await harness.standins.slack.waitForMessage(undefined, 5_000);
    expect(digest.channel).toBe(CHANNEL);
    const body = JSON.stringify(digest.blocks);
    expect(body).toContain(shadowId);
    expect(body).toContain("&lt;!channel&gt;");
    expect(body).not.toContain("<!channel>");
    expect(body).not.toContain("<https://evil.example");
    expect(body).toContain("*leaked-ai-key* (shadow)");
    expect(body).not.toContain("quell.approve");
  });

  it("asks for real once promoted: mode enforce, and the next matching incident posts its card", async () => {
    writeConfig(configFile, "enforce");
    const before = harness.standins.slack.messages.length;
    expect((await harness.postGitHub(webhookForAlert(44))).status).toBe(202);
    const card = await approvalCardAfter(harness, before);
    expect(card.channel).toBe(CHANNEL);
    const incident = await newestIncident((view) => view.status === "awaiting_approval");
    expect(incident.id).not.toBe(shadowId);
    expect(incident.timeline.map((event) => event.kind)).toContain("approval_requested");
    expect(incident.timeline.map((event) => event.kind)).not.toContain("approval_would_ask");
    // Nothing written until someone decides; then, enforced, the writes go out.
    expect(providerWrites(harness)).toEqual([]);
    await harness.approveAndSettle(approvalIdIn(card.blocks));
    expect(providerWrites(harness).map((request) => request.method)).toEqual(["DELETE", "PATCH"]);
  });
});
