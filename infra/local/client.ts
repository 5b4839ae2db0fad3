import type { ShadowReport } from "../../functions/shadow-digest/report.js";
import {
  approvalClickBody,
  approveCommentSubmissionBody,
  denyReasonSubmissionBody,
  githubWebhookHeaders,
  slackSignatureHeaders,
  slashCommandBody,
} from "./signing.js";
import type { StoredChain } from "./verify-audit.js";

/** What the demo and the CLI do over HTTP against a running Quell, through the same routes as any tool. */
export class QuellClient {
  constructor(
    readonly url: string,
    private readonly secrets: { github: string; slackSigning: string; readToken: string },
  ) {}

  /** A GET with the read token; undefined for a 404, an error naming the cause for any other refusal. */
  private async read<T>(path: string): Promise<T | undefined> {
    const response = await fetch(`${this.url}${path}`, {
      headers: { authorization: `Bearer ${this.secrets.readToken}` },
    });
    if (response.status === 200) return (await response.json()) as T;
    if (response.status === 404) return undefined;
    const detail = ((await response.json().catch(() => ({}))) as { error?: { message?: string } }).error
      ?.message;
    const hint =
      response.status === 401
        ? " (the read token: QUELL_READ_TOKEN, else .quell/local-secrets.json of the directory Quell runs in)"
        : "";
    throw new Error(`GET ${path} answered ${response.status}: ${detail ?? response.statusText}${hint}`);
  }

  async sendGitHubWebhook(body: string) {
    const response = await fetch(`${this.url}/alerts/github`, {
      method: "POST",
      headers: githubWebhookHeaders(body, this.secrets.github),
      body,
    });
    return {
      status: response.status,
      body: (await response.json()) as { alertId?: string; error?: unknown },
    };
  }

  /**
   * Decide an approval through the signed Slack interaction path, exactly as Slack would send it: an
   * Approve click, the submitted approve-with-comment modal when `text` is given, or the submitted
   * deny-reason modal (a deny always carries a reason, `text`).
   */
  async decide(approvalId: string, decision: "approve" | "deny", userId: string, text?: string) {
    const body =
      decision === "deny"
        ? denyReasonSubmissionBody({ approvalId, userId, reason: text ?? "" })
        : text
          ? approveCommentSubmissionBody({ approvalId, userId, comment: text })
          : approvalClickBody({ approvalId, decision, userId });
    const response = await fetch(`${this.url}/slack/events`, {
      method: "POST",
      headers: slackSignatureHeaders(body, this.secrets.slackSigning),
      body,
    });
    return response.status;
  }

  /** Run `/quell <text>` as `userId` through the signed Slack path; the answer is Slack's ephemeral reply. */
  async slash(text: string, userId: string) {
    const body = slashCommandBody({ text, userId });
    const response = await fetch(`${this.url}/slack/events`, {
      method: "POST",
      headers: slackSignatureHeaders(body, this.secrets.slackSigning),
      body,
    });
    if (response.status !== 200) return { status: response.status, responseType: undefined, text: "" };
    const answer = (await response.json()) as { response_type?: string; text?: string };
    return { status: response.status, responseType: answer.response_type, text: answer.text ?? "" };
  }

  /** One page of incidents, newest first; `nextCursor` fetches the next. */
  async incidents(page: { limit?: number; cursor?: string } = {}): Promise<IncidentPage> {
    const query = new URLSearchParams();
    if (page.limit !== undefined) query.set("limit", String(page.limit));
    if (page.cursor !== undefined) query.set("cursor", page.cursor);
    const path = query.size > 0 ? `/incidents?${query}` : "/incidents";
    return (await this.read<IncidentPage>(path)) as IncidentPage;
  }

  async incident(id: string): Promise<IncidentDetail | undefined> {
    return this.read<IncidentDetail>(`/incidents/${encodeURIComponent(id)}`);
  }

  /** An incident's stored timeline links and chain head (GET /incidents/<id>/audit), for `verify-audit`. */
  async auditChain(id: string): Promise<StoredChain | undefined> {
    return this.read<StoredChain>(`/incidents/${encodeURIComponent(id)}/audit`);
  }

  /** What shadow playbooks would have done over the last `days` (GET /shadow-report), for `shadow-report`. */
  async shadowReport(days: number): Promise<ShadowReport | undefined> {
    return this.read<ShadowReport>(`/shadow-report?days=${days}`);
  }

  /**
   * Start a quiet rehearsal (POST /rehearsals, with the read token): a stored alert by id, or an alert's body.
   * The answer as sent; an error naming the cause for a refusal.
   */
  async rehearse(request: RehearsalRequestBody): Promise<RehearsalAnswer> {
    const response = await fetch(`${this.url}/rehearsals`, {
      method: "POST",
      headers: { authorization: `Bearer ${this.secrets.readToken}`, "content-type": "application/json" },
      body: JSON.stringify(request),
    });
    const body = (await response.json().catch(() => ({}))) as RehearsalAnswer & {
      error?: { message?: string; issues?: { path: string; message: string }[] };
    };
    if (response.status === 200 || response.status === 202) return body;
    const issues = (body.error?.issues ?? []).map((issue) => `; ${issue.path}: ${issue.message}`).join("");
    throw new Error(
      `POST /rehearsals answered ${response.status}: ${body.error?.message ?? response.statusText}${issues}`,
    );
  }

  /** Poll until the incident satisfies `done`, or fail after `timeoutMs`. */
  async waitFor(
    id: string,
    done: (incident: IncidentDetail) => boolean,
    timeoutMs = 30_000,
  ): Promise<IncidentDetail> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const incident = await this.incident(id);
      if (incident && done(incident)) return incident;
      if (Date.now() > deadline)
        throw new Error(`incident ${id} did not reach the expected state in ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/** What POST /rehearsals takes: a playbook and a stored alert's id or an alert (infra/local/rehearsal-route.ts). */
export type RehearsalRequestBody = { playbook: string; onlyIfRouted?: boolean } & (
  | { alertId: string }
  | { alert: unknown }
);

/** Where triage routes an alert now, or why it starts nothing (functions/triage/route-now.ts). */
export interface RouteView {
  playbook: string | null;
  rule: string;
  reason?: string;
  shadow?: boolean;
}

export interface RehearsalAnswer {
  started: boolean;
  incidentId?: string;
  route: RouteView;
  /** The incident the alert belongs to, when it is stored. */
  original?: { incidentId: string; status: string; playbook: string | null; route?: RouteView };
}

export interface IncidentSummary {
  id: string;
  status: string;
  severity: string;
  type: string;
  title: string;
  playbook: string | null;
  alertCount: number;
  createdAt: string;
}

export interface IncidentPage {
  incidents: IncidentSummary[];
  nextCursor?: string;
  more: boolean;
}

export interface IncidentDetail extends IncidentSummary {
  approvals: {
    approvalId: string;
    status: string;
    title: string;
    decidedBy?: string;
    decidedAt?: string;
    approvedBy?: string[];
  }[];
  timeline: { at: string; kind: string; summary: string; actor?: string; detail?: Record<string, unknown> }[];
}

/** The timeline as a responder reads it in a terminal. */
export function formatTimeline(incident: IncidentDetail): string {
  const lines = [`${incident.id}  ${incident.status.toUpperCase()}  ${incident.severity}  ${incident.title}`];
  for (const event of incident.timeline) {
    lines.push(`  ${event.at}  ${event.kind.padEnd(18)} ${event.summary}`);
    const writes = event.detail?.writes;
    if (Array.isArray(writes)) {
      for (const write of writes as { method?: string; url?: string; operation?: string; body?: unknown }[]) {
        const target = write.url ?? write.operation ?? "";
        const body = write.body === undefined ? "" : ` ${JSON.stringify(write.body)}`;
        lines.push(`  ${"".padEnd(24)}${"".padEnd(19)}${write.method ?? ""} ${target}${body}`);
      }
    }
  }
  return lines.join("\n");
}
