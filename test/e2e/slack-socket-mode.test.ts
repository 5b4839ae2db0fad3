import { once } from "node:events";
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalRuntime } from "../../infra/local/runtime.js";
import { approvalClickPayload, slackSignatureHeaders, slashCommandBody } from "../../infra/local/signing.js";
import { webhookBody } from "../../infra/local/standins/scenario.js";
import {
  type SlackEphemeral,
  type SlackStandin,
  startSlackStandin,
} from "../../infra/local/standins/slack.js";
import {
  APPROVED_RUN_TIMELINE,
  APPROVER,
  approvalIdIn,
  type Harness,
  SECRETS,
  startHarness,
} from "./harness.js";

/** A slash command as Slack puts it in a Socket Mode envelope: the form fields, as an object. */
const slashCommandPayload = (text: string, userId: string) =>
  Object.fromEntries(new URLSearchParams(slashCommandBody({ text, userId })));

describe("Slack over Socket Mode (SLACK_APP_TOKEN), against the stand-in's socket", () => {
  let harness: Harness | undefined;
  let slack: SlackStandin;
  let incidentId: string;
  beforeAll(async () => {
    harness = await startHarness({ dryRun: false, socketMode: true });
    slack = harness.standins.slack;
  });
  afterAll(async () => harness?.stop());

  const running = () => harness as Harness;

  it("connects at start-up with the app-level token", () => {
    expect(running().runtime.slackMode).toBe("socket");
    expect(slack.socketMode.connections).toBe(1);
    const opens = slack.requests.filter((sent) => sent.path === "/api/apps.connections.open");
    expect(opens).toHaveLength(1);
    expect(opens[0]?.authorization).toBe(`Bearer ${running().standins.credentials.slackAppToken}`);
    expect(slack.requests.filter((sent) => sent.path === "/link/")).toHaveLength(1);
  });

  it("decides an approve click delivered over the socket exactly like one over HTTP", async () => {
    expect((await running().postGitHub(webhookBody())).status).toBe(202);
    const card = await slack.waitForMessage(undefined, 15_000);
    const approvalId = approvalIdIn(card.blocks);
    incidentId = approvalId.split(".")[0] as string;

    const click = approvalClickPayload({
      approvalId,
      decision: "approve",
      userId: APPROVER,
      channel: card.channel,
      messageTs: card.ts,
    });
    const ack = await slack.socketMode.send("interactive", click, { acceptsResponsePayload: false });
    const envelope = slack.socketMode.envelopes.at(-1);
    expect(envelope).toMatchObject({ type: "interactive", payload: click });
    expect(ack.raw).toEqual({ envelope_id: envelope?.envelopeId, payload: {} });

    const incident = await running().incident(incidentId, (view) => view.status === "mitigated");
    expect(incident.timeline.map((event) => event.kind)).toEqual([...APPROVED_RUN_TIMELINE]);
    expect(incident.approvals[0]).toMatchObject({ status: "approved", decidedBy: APPROVER });
    await running().runtime.idle();
    expect(JSON.stringify(slack.find(card.channel, card.ts)?.blocks)).toContain(
      `*Approved* by <@${APPROVER}>`,
    );
    expect(running().standins.openai.requests.filter((sent) => sent.method === "DELETE")).toHaveLength(1);

    // A second click over the socket settles nothing and says so, as over HTTP.
    const told = once(slack.events, "ephemeral") as Promise<[SlackEphemeral]>;
    await slack.socketMode.send("interactive", click);
    const [ephemeral] = await told;
    expect(ephemeral).toMatchObject({ channel: card.channel, user: APPROVER });
    expect(ephemeral.text).toContain("Already approved");
    expect(running().standins.openai.requests.filter((sent) => sent.method === "DELETE")).toHaveLength(1);
  });

  it("answers /quell in the slash command envelope's acknowledgement", async () => {
    const status = await slack.socketMode.send(
      "slash_commands",
      slashCommandPayload(`status ${incidentId}`, APPROVER),
    );
    expect(status.payload).toMatchObject({ response_type: "ephemeral" });
    expect(status.payload?.text).toContain(incidentId);
    expect(status.payload?.text).toContain("mitigated");

    const refused = await slack.socketMode.send(
      "slash_commands",
      slashCommandPayload(`ack ${incidentId}`, "U0INTRUDER"),
    );
    expect(refused.payload?.text).toContain("not authorised");
  });

  it("keeps serving signed POST /slack/events next to the socket", async () => {
    const body = slashCommandBody({ text: `status ${incidentId}`, userId: APPROVER });
    const response = await fetch(`${running().runtime.url}/slack/events`, {
      method: "POST",
      headers: slackSignatureHeaders(body, SECRETS.slackSigning),
      body,
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { text: string }).text).toContain("mitigated");
  });

  it("refuses a SLACK_APP_TOKEN that is not an app-level token, before starting anything", async () => {
    await expect(
      startLocalRuntime({ port: 0, dataDir: null, env: { SLACK_APP_TOKEN: "xoxb-a-bot-token" } }),
    ).rejects.toThrow(/SLACK_APP_TOKEN must be an app-level token \(xapp-…\)/);
  });

  it("closes the socket cleanly when the runtime stops", async () => {
    await running().stop();
    harness = undefined;
    expect(slack.socketMode.closes).toEqual([1000]);
    expect(slack.socketMode.connections).toBe(0);
  });
});

describe("Slack stand-in: Socket Mode tokens and tickets", () => {
  const BOT = "xoxb-standin-bot";
  const APP = "xapp-1-standin-app";
  let slack: SlackStandin;
  beforeAll(async () => {
    slack = await startSlackStandin({ token: BOT, appToken: APP });
  });
  afterAll(async () => slack?.close());

  const open = async (token?: string) => {
    const response = await fetch(`${slack.url}/api/apps.connections.open`, {
      method: "POST",
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    return (await response.json()) as { ok: boolean; error?: string; url?: string };
  };

  it("opens a connection only for the app-level token", async () => {
    expect(await open()).toMatchObject({ ok: false, error: "not_authed" });
    expect(await open(BOT)).toMatchObject({ ok: false, error: "not_allowed_token_type" });
    expect(await open("xapp-1-someone-else")).toMatchObject({ ok: false, error: "invalid_auth" });
    const opened = await open(APP);
    expect(opened.ok).toBe(true);
    expect(opened.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/link\/\?ticket=[0-9a-f-]{36}&app_id=A0STANDIN$/);

    const post = await fetch(`${slack.url}/api/chat.postMessage`, {
      method: "POST",
      headers: { authorization: `Bearer ${APP}`, "content-type": "application/json" },
      body: JSON.stringify({ channel: "C1", text: "hi" }),
    });
    expect(await post.json()).toMatchObject({ ok: false, error: "not_allowed_token_type" });
  });

  it("refuses a socket without a ticket it issued", async () => {
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const upgrade = request(`${slack.url}/link/?ticket=not-issued`, {
        headers: {
          connection: "Upgrade",
          upgrade: "websocket",
          "sec-websocket-version": "13",
          "sec-websocket-key": Buffer.from("0123456789abcdef").toString("base64"),
        },
      });
      upgrade.on("response", (response) => {
        response.resume();
        resolve(response.statusCode);
      });
      upgrade.on("upgrade", () => reject(new Error("upgraded without a ticket")));
      upgrade.on("error", reject);
      upgrade.end();
    });
    expect(status).toBe(401);
    expect(slack.socketMode.connections).toBe(0);
    await expect(slack.socketMode.send("interactive", {})).rejects.toThrow(/no Socket Mode connection/);
  });
});
