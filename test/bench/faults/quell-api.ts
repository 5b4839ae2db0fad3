/**
 * The runtime as every outside tool sees it: the documented HTTP contract (DESIGN.md's local runtime table) and
 * nothing else. Webhooks signed as each source signs, Slack interactions signed as Slack signs, every GET with
 * the read token. Requests that found the runtime down (killed, restarting) are retried for a while: a sender
 * retries what was not acknowledged.
 */
import {
  approvalClickBody,
  denyReasonSubmissionBody,
  githubWebhookHeaders,
  quellSignatureHeaders,
  slackSignatureHeaders,
} from "../../../infra/local/signing.js";
import { sleep } from "./wait.js";

export interface QuellSecrets {
  readonly github: string;
  readonly generic: string;
  readonly slackSigning: string;
  readonly events: string;
  readonly alertmanager: string;
  /** QUELL_READ_TOKEN: every GET but /healthz carries it. */
  readonly read: string;
}

export interface Answer<T = Record<string, unknown>> {
  /** The HTTP status; 0 when no answer came (connection refused or reset, timeout). */
  readonly status: number;
  readonly body: T;
}

export interface IncidentView {
  readonly id: string;
  readonly status: string;
  readonly dedupKey: string;
  readonly playbook: string | null;
  readonly alertCount: number;
  readonly approvals: readonly ApprovalView[];
  readonly timeline: readonly TimelineView[];
  readonly alerts: readonly { readonly id: string }[];
}

export interface ApprovalView {
  readonly approvalId: string;
  readonly status: string;
  readonly policy?: string;
  readonly timeoutAt?: string;
  readonly decidedBy?: string;
  readonly decidedAt?: string;
  readonly messageTs?: string;
}

export interface TimelineView {
  readonly at: string;
  readonly kind: string;
  readonly summary: string;
  readonly detail?: Record<string, unknown>;
}

export interface UnmatchedView {
  readonly reason?: string;
  readonly because?: string;
  readonly alert: { readonly id: string };
}

/** The largest page the list routes serve (`?limit=`, 1-200). */
export const PAGE_LIMIT = 200;

/** The list routes' `nextCursor` (present while `more` is true), sent back as `?cursor=`. */
function nextCursor(body: Record<string, unknown>): string | undefined {
  return typeof body.nextCursor === "string" && body.nextCursor.length > 0 ? body.nextCursor : undefined;
}

export class QuellApi {
  /** Requests sent so far, reads (GET) and the rest, for the report (reads are the harness's own load). */
  readonly sent = { reads: 0, writes: 0, readFailures: [] as string[] };

  constructor(
    readonly url: string,
    private readonly secrets: QuellSecrets,
  ) {}

  /** One request; status 0 when nothing answered. */
  private async send(path: string, init: RequestInit, timeoutMs = 30_000): Promise<Answer> {
    if (init.method === undefined || init.method === "GET") this.sent.reads += 1;
    else this.sent.writes += 1;
    try {
      const response = await fetch(`${this.url}${path}`, { ...init, signal: AbortSignal.timeout(timeoutMs) });
      const text = await response.text();
      let body: Record<string, unknown> = {};
      try {
        body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        body = { text };
      }
      return { status: response.status, body };
    } catch (error) {
      return { status: 0, body: { error: (error as Error).message } };
    }
  }

  /**
   * A GET with the read token, retried for up to `patienceMs` while the runtime does not answer or fails (5xx:
   * killed, restarting, its database down). Reads that failed with a status other than 503 are counted: the
   * report shows them, since a read that fails should say so with 503.
   */
  async get<T = Record<string, unknown>>(path: string, patienceMs = 60_000): Promise<Answer<T>> {
    const deadline = Date.now() + patienceMs;
    for (;;) {
      const answer = await this.send(path, { headers: { authorization: `Bearer ${this.secrets.read}` } });
      if (answer.status >= 500 && answer.status !== 503)
        this.sent.readFailures.push(`${answer.status} ${path}`);
      const transient = answer.status === 0 || answer.status >= 500;
      if (!transient || Date.now() > deadline) return answer as Answer<T>;
      await sleep(200);
    }
  }

  /** Every item of a paginated list (`key` names the array), following the cursor while the answer gives one. */
  async list<T>(path: string, key: string): Promise<T[]> {
    const items: T[] = [];
    const seen = new Set<string>();
    let next: string | undefined = path;
    while (next !== undefined) {
      const answer: Answer = await this.get(next);
      if (answer.status !== 200)
        throw new Error(`GET ${next} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      items.push(...((answer.body[key] as T[] | undefined) ?? []));
      const cursor = nextCursor(answer.body);
      if (cursor === undefined || seen.has(cursor)) break;
      seen.add(cursor);
      next = `${path}${path.includes("?") ? "&" : "?"}cursor=${encodeURIComponent(cursor)}`;
    }
    return items;
  }

  async incident(id: string): Promise<IncidentView | undefined> {
    const answer = await this.get<IncidentView>(`/incidents/${encodeURIComponent(id)}`);
    return answer.status === 200 ? answer.body : undefined;
  }

  incidents(): Promise<IncidentView[]> {
    return this.list<IncidentView>(`/incidents?limit=${PAGE_LIMIT}`, "incidents");
  }

  /** Alerts kept as unmatched on `day` (YYYY-MM-DD, UTC). */
  unmatched(day: string): Promise<UnmatchedView[]> {
    return this.list<UnmatchedView>(`/unmatched?day=${day}&limit=${PAGE_LIMIT}`, "unmatched");
  }

  healthz(): Promise<Answer> {
    return this.send("/healthz", {}, 2000);
  }

  postGitHub(body: string, deliveryId: string): Promise<Answer> {
    return this.send("/alerts/github", {
      method: "POST",
      headers: githubWebhookHeaders(body, this.secrets.github, { delivery: deliveryId }),
      body,
    });
  }

  postGeneric(body: string): Promise<Answer> {
    return this.send("/alerts/generic", {
      method: "POST",
      headers: quellSignatureHeaders(body, this.secrets.generic),
      body,
    });
  }

  postAlertmanager(body: string): Promise<Answer> {
    return this.send("/alerts/alertmanager", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${this.secrets.alertmanager}` },
      body,
    });
  }

  postEvents(body: string): Promise<Answer> {
    return this.send("/events", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${this.secrets.events}` },
      body,
    });
  }

  private slack(body: string): Promise<Answer> {
    return this.send("/slack/events", {
      method: "POST",
      headers: slackSignatureHeaders(body, this.secrets.slackSigning),
      body,
    });
  }

  /** An Approve click on the card, as Slack sends it. */
  approve(approvalId: string, userId: string, card?: { channel: string; ts: string }): Promise<Answer> {
    return this.slack(
      approvalClickBody({
        approvalId,
        decision: "approve",
        userId,
        ...(card ? { channel: card.channel, messageTs: card.ts } : {}),
      }),
    );
  }

  /** The deny-reason modal submitted (a denial always carries a reason). */
  deny(approvalId: string, userId: string, reason: string): Promise<Answer> {
    return this.slack(denyReasonSubmissionBody({ approvalId, userId, reason }));
  }
}
