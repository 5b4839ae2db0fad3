import { z } from "zod";
import type { AlertType, Severity } from "./alert.js";

/** Incident states. Denied, expired and mitigated are distinct, recorded outcomes. */
export const IncidentStatus = z.enum([
  "open",
  "running",
  "awaiting_approval",
  "mitigated",
  "resolved",
  "denied",
  "expired",
  "failed",
  "no_playbook",
]);
export type IncidentStatus = z.infer<typeof IncidentStatus>;

export const FINAL_STATUSES: readonly IncidentStatus[] = [
  "mitigated",
  "resolved",
  "denied",
  "expired",
  "failed",
];

export const TimelineKind = z.enum([
  "received",
  "duplicate",
  "triaged",
  "playbook_started",
  "not_started",
  "approval_requested",
  "acknowledged",
  "approval_vote",
  "approval_decided",
  "approval_refused",
  "action_planned",
  "action_applied",
  "closed",
]);
export type TimelineKind = z.infer<typeof TimelineKind>;

export interface TimelineEvent {
  readonly at: string;
  readonly kind: TimelineKind;
  readonly summary: string;
  readonly actor?: string;
  readonly detail?: Record<string, unknown>;
}

export interface Incident {
  readonly id: string;
  readonly status: IncidentStatus;
  readonly type: AlertType;
  readonly severity: Severity;
  readonly title: string;
  readonly source: string;
  readonly dedupKey: string;
  readonly playbook: string | null;
  readonly executionName: string | null;
  readonly alertCount: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly outcome?: string;
  /** The Slack message whose thread carries this incident's progress (its first approval card). */
  readonly slackThread?: { readonly channel: string; readonly ts: string };
}

export const ApprovalStatus = z.enum(["pending", "approved", "denied", "expired"]);
export type ApprovalStatus = z.infer<typeof ApprovalStatus>;

export interface Approval {
  readonly approvalId: string;
  readonly incidentId: string;
  readonly step: string;
  readonly status: ApprovalStatus;
  /** How many distinct approvers it takes: `one`, or `two` (four eyes). */
  readonly policy: "one" | "two";
  /** Who approved so far (a `two` approval waits for a second, different person). */
  readonly approvedBy: readonly string[];
  /** Whether the playbook runs in dry run, so a re-rendered card keeps saying so. */
  readonly dryRun: boolean;
  readonly title: string;
  readonly plan: readonly string[];
  readonly facts: Readonly<Record<string, unknown>>;
  readonly approvers: readonly string[];
  readonly requestedAt: string;
  readonly timeoutAt: string;
  readonly channel?: string;
  readonly messageTs?: string;
  readonly decidedBy?: string;
  readonly decidedByTeam?: string;
  readonly decidedAt?: string;
  readonly reason?: string;
}

/** The approval id the Slack button carries: it names the incident and step, never the task token. */
export const approvalIdFor = (incidentId: string, step: string) => `${incidentId}.${step}`;

export const parseApprovalId = (approvalId: string): { incidentId: string; step: string } | undefined => {
  const match = /^(inc_[a-z0-9]{10,40})\.([a-z][A-Za-z0-9]{0,59})$/.exec(approvalId);
  return match?.[1] && match[2] ? { incidentId: match[1], step: match[2] } : undefined;
};
