import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineTriageConfig, type RouteRule, type TriageConfigInput } from "../../functions/triage/config.js";
import { QuellClient } from "../../infra/local/client.js";
import { type LocalRuntime, startLocalRuntime } from "../../infra/local/runtime.js";
import {
  approvalClickBody,
  approveCommentSubmissionBody,
  denyReasonSubmissionBody,
  githubWebhookHeaders,
  slackSignatureHeaders,
} from "../../infra/local/signing.js";
import type { AnthropicKeySeed } from "../../infra/local/standins/anthropic.js";
import type { AgentSeed } from "../../infra/local/standins/bedrock-agent.js";
import type { GitHubAlertSeed } from "../../infra/local/standins/github.js";
import type { OpenAIProjectSeed } from "../../infra/local/standins/openai.js";
import {
  type ScenarioStandins,
  standinProviderEnv,
  startScenarioStandins,
  webhookBody,
} from "../../infra/local/standins/scenario.js";
import type { RecordedRequest } from "../../infra/local/standins/server.js";
import { playbooks } from "../../playbooks/index.js";

export const SECRETS = {
  github: "test-github-webhook-secret",
  slackSigning: "test-slack-signing-secret",
  generic: "test-generic-webhook-secret",
  events: "test-events-token",
  /** QUELL_READ_TOKEN: every GET but /healthz sends it. */
  read: "test-read-token",
  sourceTokens: {
    alertmanager: "test-alertmanager-token",
    grafana: "test-grafana-token",
    datadog: "test-datadog-token",
    pagerduty: "test-pagerduty-token",
  },
};
export const APPROVER = "U0APPROVER";
/** The organisation of the sample GitHub alerts, allowed by the built-in configuration and by the harness's. */
export const SAMPLE_GITHUB_ORGANIZATION = "example-corp";

/** The fixture's webhook body, for another alert number of the same repository. */
export const webhookForAlert = (number: number): string => webhookBody(number);

/** The approval id an approval card's buttons carry. */
export const approvalIdIn = (blocks: unknown): string =>
  /"value":"(inc_[a-z0-9]+\.[A-Za-z]+)"/.exec(JSON.stringify(blocks))?.[1] as string;
export const CHANNEL = "C0INCIDENTS";

/** Posting an approval card (the thread's other messages are the notifier's, and are left alone). */
export const POST_APPROVAL_CARD = {
  method: "POST",
  path: "/api/chat.postMessage",
  where: (request: RecordedRequest) => JSON.stringify(request.body).includes("quell.approve"),
};
/** Slack's answer when it failed on its side: HTTP 200, `ok: false`. */
export const SLACK_INTERNAL_ERROR = {
  status: 200,
  applied: false,
  body: { ok: false, error: "internal_error" },
};

/** The first approval card (a top-level message with decision buttons) posted after the first `since` messages. */
export const approvalCardAfter = (harness: Harness, since: number) =>
  harness.standins.slack.waitForMessage(
    (message) =>
      harness.standins.slack.messages.indexOf(message) >= since &&
      message.threadTs === undefined &&
      JSON.stringify(message.blocks).includes("quell.approve"),
    15_000,
  );

/**
 * A route that starts nothing for every type a playbook handles: for suites about ingest and normalisation,
 * which must not wait on approvals (each playbook has its own suites).
 */
export const INGEST_ONLY_ROUTE = {
  id: "ingest-only",
  match: { types: playbooks.flatMap((playbook) => [...playbook.handles]) },
  playbook: null,
} satisfies RouteRule;

export interface Harness {
  readonly runtime: LocalRuntime;
  readonly standins: ScenarioStandins;
  postGitHub(
    body: string,
    options?: { secret?: string; event?: string; delivery?: string; headers?: Record<string, string> },
  ): Promise<{ status: number; body: Record<string, unknown> }>;
  click(
    approvalId: string,
    decision: "approve" | "deny" | "approve_comment" | "undo",
    userId?: string,
  ): Promise<Response>;
  /** Submit the deny-reason modal, as Slack does after a Deny click. */
  submitDenyReason(approvalId: string, reason: string, userId?: string): Promise<Response>;
  /** Submit the "Approve with comment…" modal, as Slack does after that button's click. */
  submitApproveComment(approvalId: string, comment: string, userId?: string): Promise<Response>;
  /** Run `/quell <text>` as `userId` (default APPROVER), signed as Slack signs it; returns the ephemeral text. */
  quell(text: string, userId?: string): Promise<string>;
  /** A GET of the runtime (path and query), with the read token. */
  read(path: string): Promise<Response>;
  /** Poll GET /incidents/{id} until `done` holds (the real route, not the store). */
  incident(id: string, done?: (incident: IncidentView) => boolean): Promise<IncidentView>;
  /**
   * Click Approve as APPROVER (signed, as Slack sends it), then wait for the incident to reach `status`; fails
   * unless the click was taken and the approval is recorded as APPROVER's.
   */
  approveAndSettle(approvalId: string, status?: string): Promise<IncidentView>;
  stop(): Promise<void>;
}

export interface IncidentView {
  id: string;
  status: string;
  playbook: string | null;
  alertCount: number;
  approvals: {
    approvalId: string;
    status: string;
    decidedBy?: string;
    channel?: string;
    messageTs?: string;
  }[];
  timeline: { at: string; kind: string; summary: string; actor?: string; detail?: Record<string, unknown> }[];
}

/** The timeline of a leaked-key run that was approved and went through: the same however the click arrives. */
export const APPROVED_RUN_TIMELINE = [
  "received",
  "triaged",
  "playbook_started",
  "action_applied",
  "approval_requested",
  "approval_decided",
  // Each write is journaled as attempted before it is sent, then settled (functions/actions/journal.ts).
  "write_attempted",
  "write_settled",
  "action_applied",
  "action_verified",
  "write_attempted",
  "write_settled",
  "action_applied",
  "action_verified",
  "closed",
] as const;

/** Write a triage configuration where the runtime can read it, validated first so a typo fails here. */
function writeTriageConfig(given: TriageConfigInput): string {
  // The sample alerts' organisation may post GitHub alerts unless the test says who may (an empty list allows none).
  const config = { github: { allow: { organizations: [SAMPLE_GITHUB_ORGANIZATION] } }, ...given };
  defineTriageConfig(config);
  const file = join(mkdtempSync(join(tmpdir(), "quell-triage-")), "triage-config.json");
  writeFileSync(file, JSON.stringify(config));
  return file;
}

export async function startHarness(options: {
  dryRun: boolean;
  approvalTimeoutSeconds?: number;
  /** Every Wait state of every playbook waits this many seconds instead (wait loops). */
  waitSeconds?: number;
  /** The bus's retries before a dead letter (default the runtime's: about two minutes). */
  busRetries?: { attempts: number; backoffMs: number };
  /** Every Task's retries wait this many seconds apart (default the ASL's: about two minutes of them). */
  retrySeconds?: number;
  alerts?: GitHubAlertSeed[];
  projects?: OpenAIProjectSeed[];
  /** The keys of the Anthropic organisation (default: the leaked eval-notebooks key among others). */
  anthropicKeys?: AnthropicKeySeed[];
  /** The Bedrock agents the Bedrock Agent stand-in starts with (default: the support chat agent). */
  agents?: AgentSeed[];
  /** Also serve Slack over Socket Mode, connected to the Slack stand-in with its app-level token. */
  socketMode?: boolean;
  /** Triage configuration for this runtime (a JSON file, as `QUELL_TRIAGE_CONFIG_FILE`); default built in. */
  triageConfig?: TriageConfigInput;
  /** Who may decide (`QUELL_APPROVERS`); default APPROVER alone. */
  approvers?: readonly string[];
  /** More runtime environment (e.g. `QUELL_FAULT_DYNAMODB_THROTTLE_FILE`). */
  env?: Readonly<Record<string, string>>;
}): Promise<Harness> {
  const standins = await startScenarioStandins({
    ...(options.alerts ? { alerts: options.alerts } : {}),
    ...(options.projects ? { projects: options.projects } : {}),
    ...(options.anthropicKeys ? { anthropicKeys: options.anthropicKeys } : {}),
    ...(options.agents ? { agents: options.agents } : {}),
  });
  const runtime = await startLocalRuntime({
    port: 0,
    dataDir: null,
    ...(options.approvalTimeoutSeconds ? { approvalTimeoutSeconds: options.approvalTimeoutSeconds } : {}),
    ...(options.waitSeconds !== undefined ? { waitSeconds: options.waitSeconds } : {}),
    ...(options.busRetries ? { busRetries: options.busRetries } : {}),
    ...(options.retrySeconds !== undefined ? { retrySeconds: options.retrySeconds } : {}),
    env: {
      QUELL_GITHUB_WEBHOOK_SECRET: SECRETS.github,
      QUELL_WEBHOOK_SECRET: SECRETS.generic,
      QUELL_EVENTS_TOKEN: SECRETS.events,
      QUELL_READ_TOKEN: SECRETS.read,
      QUELL_SOURCE_TOKEN_ALERTMANAGER: SECRETS.sourceTokens.alertmanager,
      QUELL_SOURCE_TOKEN_GRAFANA: SECRETS.sourceTokens.grafana,
      QUELL_SOURCE_TOKEN_DATADOG: SECRETS.sourceTokens.datadog,
      QUELL_SOURCE_TOKEN_PAGERDUTY: SECRETS.sourceTokens.pagerduty,
      SLACK_SIGNING_SECRET: SECRETS.slackSigning,
      ...standinProviderEnv(standins),
      ...(options.socketMode ? { SLACK_APP_TOKEN: standins.credentials.slackAppToken } : {}),
      QUELL_SLACK_CHANNEL: CHANNEL,
      QUELL_APPROVERS: (options.approvers ?? [APPROVER]).join(","),
      QUELL_DRY_RUN: String(options.dryRun),
      ...(options.triageConfig ? { QUELL_TRIAGE_CONFIG_FILE: writeTriageConfig(options.triageConfig) } : {}),
      POWERTOOLS_LOG_LEVEL: "ERROR",
      ...options.env,
    },
  });
  const client = new QuellClient(runtime.url, {
    github: SECRETS.github,
    slackSigning: SECRETS.slackSigning,
    readToken: SECRETS.read,
  });
  const read = (path: string) =>
    fetch(`${runtime.url}${path}`, { headers: { authorization: `Bearer ${SECRETS.read}` } });
  const postToSlackEvents = (body: string) =>
    fetch(`${runtime.url}/slack/events`, {
      method: "POST",
      headers: slackSignatureHeaders(body, SECRETS.slackSigning),
      body,
    });
  const harness: Harness = {
    runtime,
    standins,
    read,
    async postGitHub(body, post = {}) {
      const response = await fetch(`${runtime.url}/alerts/github`, {
        method: "POST",
        headers: {
          ...githubWebhookHeaders(body, post.secret ?? SECRETS.github, {
            ...(post.event ? { event: post.event } : {}),
            ...(post.delivery ? { delivery: post.delivery } : {}),
          }),
          ...post.headers,
        },
        body,
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    },
    click(approvalId, decision, userId = APPROVER) {
      return postToSlackEvents(approvalClickBody({ approvalId, decision, userId, channel: CHANNEL }));
    },
    submitDenyReason(approvalId, reason, userId = APPROVER) {
      return postToSlackEvents(denyReasonSubmissionBody({ approvalId, userId, reason }));
    },
    submitApproveComment(approvalId, comment, userId = APPROVER) {
      return postToSlackEvents(approveCommentSubmissionBody({ approvalId, userId, comment }));
    },
    async quell(text, userId = APPROVER) {
      const answer = await client.slash(text, userId);
      if (answer.status !== 200) throw new Error(`/quell ${text} answered ${answer.status}`);
      if (answer.responseType !== "ephemeral")
        throw new Error("/quell answered in the channel, not ephemeral");
      return answer.text;
    },
    async incident(id, done = () => true) {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const response = await read(`/incidents/${id}`);
        if (response.status === 200) {
          const view = (await response.json()) as IncidentView;
          if (done(view)) return view;
          if (Date.now() > deadline)
            throw new Error(`incident ${id} did not settle: ${JSON.stringify(view, null, 2)}`);
        } else if (Date.now() > deadline) {
          throw new Error(`incident ${id} never appeared (${response.status})`);
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    async approveAndSettle(approvalId, status = "mitigated") {
      const click = await harness.click(approvalId, "approve");
      if (click.status !== 200) throw new Error(`Approve on ${approvalId} answered ${click.status}`);
      const incidentId = approvalId.split(".")[0] as string;
      const view = await harness.incident(incidentId, (incident) => incident.status === status);
      const approval = view.approvals.find((candidate) => candidate.approvalId === approvalId);
      if (approval?.status !== "approved" || approval.decidedBy !== APPROVER)
        throw new Error(
          `${approvalId} is not recorded as approved by ${APPROVER}: ${JSON.stringify(approval)}`,
        );
      return view;
    },
    async stop() {
      await runtime.idle();
      await runtime.stop();
      await standins.close();
    },
  };
  return harness;
}
