import { newId } from "../../functions/shared/ids.js";
import { type Approval, approvalIdFor, type Incident } from "../../functions/shared/incident.js";
import type { IncidentTimelineEvent, QuellEventPublisher } from "../../functions/shared/quell-events.js";
import type { IncidentStore } from "../../functions/shared/store.js";
import type { TaskSettler } from "../../functions/shared/task-settler.js";

export const STEP = "approveRevoke";
export const CARD_CHANNEL = "C0INCIDENTS";
export const CARD_TS = "1795564800.000100";

/**
 * A leaked-key incident awaiting one pending approval, as the approval request leaves it: the approval stored
 * behind its token and, unless `card: false` (then only the incident exists), its card posted at
 * CARD_CHANNEL/CARD_TS. `approval` and `incident` override any of their fields.
 */
export async function seedPendingApproval(
  store: IncidentStore,
  now: Date,
  options: {
    approval?: Partial<Approval>;
    incident?: Partial<Incident>;
    title?: string;
    taskToken?: string;
    card?: boolean;
  } = {},
) {
  const incidentId = newId("inc");
  await store.createIncident({
    id: incidentId,
    status: "awaiting_approval",
    type: "leaked_api_key",
    severity: "high",
    title: options.title ?? "OpenAI API Key leaked in example-corp/support-chat-service",
    source: "github",
    dedupKey: `github:1:secret_scanning:${incidentId}`,
    playbook: "leaked-ai-key",
    executionName: incidentId,
    alertCount: 1,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    ...options.incident,
  });
  const approval: Approval = {
    approvalId: approvalIdFor(incidentId, STEP),
    incidentId,
    step: STEP,
    status: "pending",
    policy: "one",
    approvedBy: [],
    dryRun: false,
    title: "Revoke the leaked OpenAI key",
    plan: ["Delete the OpenAI project API key shown below."],
    facts: { Repository: "example-corp/support-chat-service" },
    approvers: [],
    requestedAt: now.toISOString(),
    timeoutAt: new Date(now.getTime() + 86_400_000).toISOString(),
    ...options.approval,
  };
  const taskToken = options.taskToken ?? `token-${incidentId}`;
  if (options.card !== false) {
    await store.putApproval(approval, taskToken);
    await store.setApprovalMessage(incidentId, STEP, CARD_CHANNEL, CARD_TS);
  }
  return { incidentId, approvalId: approval.approvalId, approval, taskToken };
}

/** Records settlements; `failWith` makes the next settle throw an error of that name. */
export class RecordingTasks implements TaskSettler {
  readonly succeeded: { token: string; output: Record<string, unknown> }[] = [];
  readonly failed: { token: string; error: string; cause: string }[] = [];
  failWith: string | undefined;
  private throwIfAsked() {
    if (!this.failWith) return;
    const error = new Error(`settle refused: ${this.failWith}`);
    error.name = this.failWith;
    throw error;
  }
  async succeed(token: string, output: Record<string, unknown>) {
    this.throwIfAsked();
    this.succeeded.push({ token, output });
  }
  async fail(token: string, error: string, cause: string) {
    this.throwIfAsked();
    this.failed.push({ token, error, cause });
  }
}

/** Records the Quell events a decision publishes (the notifier re-renders the card from them). */
export class RecordingEvents implements QuellEventPublisher {
  readonly published: IncidentTimelineEvent[] = [];
  async publish(event: IncidentTimelineEvent) {
    this.published.push(event);
  }
}
