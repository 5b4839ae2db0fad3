import * as z from "zod";
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
  "suppressed",
  "rate_limited",
  /**
   * The playbook's execution ended outside its own handling: the local runtime lost it while a step ran (stopped
   * or killed mid-step), or on AWS it failed, timed out or was aborted (functions/execution-watch). Nothing runs
   * any more. Not final: `/quell rerun` starts the playbook again, `/quell resolve` closes it.
   */
  "interrupted",
  /**
   * A shadow playbook's run ended (triage `playbooks.<name>.mode: shadow`): every write was planned, none sent, no
   * one was asked. Final; the outcome says how the playbook would have ended.
   */
  "shadowed",
]);
export type IncidentStatus = z.infer<typeof IncidentStatus>;

/** Who `decidedBy` names on an approval that was pending when its execution was interrupted. */
export const INTERRUPTED_BY = "quell:interrupted";

/**
 * Who `decidedBy` names on an approval still pending when its playbook ended (failed before its card was posted,
 * say): its task token can no longer be answered, so it is expired rather than left waiting forever.
 */
export const PLAYBOOK_ENDED_BY = "quell:playbook-ended";

export const FINAL_STATUSES: readonly IncidentStatus[] = [
  "mitigated",
  "resolved",
  "denied",
  "expired",
  "failed",
  "shadowed",
];

export const TimelineKind = z.enum([
  "received",
  "duplicate",
  "correlated",
  "triaged",
  "playbook_started",
  "not_started",
  "source_resolved",
  /** An event of the alert older than the newest one seen: kept, and it changes nothing (see triage/ordering.ts). */
  "out_of_order",
  "own_action",
  "approval_requested",
  /** A shadow run reached an approval: who would have been asked, where, under which policy; nobody was. */
  "approval_would_ask",
  "escalated",
  "acknowledged",
  "approval_vote",
  "approval_decided",
  "approval_refused",
  "approval_expired",
  "action_planned",
  "action_applied",
  "action_verified",
  "action_failed",
  /** A step that would write held its writes while Quell was paused (once per pause; it goes on when resumed). */
  "action_paused",
  /** A write about to be sent, then how it ended (functions/actions/journal.ts). */
  "write_attempted",
  "write_settled",
  "undo_requested",
  "action_undone",
  "undo_planned",
  "undo_failed",
  "undo_refused",
  "interrupted",
  "closed",
]);
export type TimelineKind = z.infer<typeof TimelineKind>;

export interface TimelineEvent {
  readonly at: string;
  readonly kind: TimelineKind;
  readonly summary: string;
  readonly actor?: string;
  readonly detail?: Record<string, unknown>;
  /** The entry's link in its incident's audit chain (audit-chain.ts), as stored; absent on entries not yet written. */
  readonly seq?: number;
  readonly prevHash?: string;
  readonly hash?: string;
}

export interface Risk {
  readonly score: number;
  readonly reasons: readonly string[];
}

export interface IncidentRoute {
  readonly playbook: string | null;
  /** The routing rule that decided, or `default` (the playbook for the alert's type). */
  readonly rule: string;
  readonly channel?: string;
  readonly approvalPolicy?: "one" | "two";
}

/**
 * The asset an alert is about as a playbook sees it (`$.asset`), from the team's inventory, never from the alert.
 * Every field is always there, so a playbook's choices and card facts can read it: an asset the inventory does
 * not list has `listed: false` and environment `unlisted` (playbooks treat it as production).
 */
export interface SubjectAsset {
  readonly listed: boolean;
  readonly kind: string | null;
  readonly id: string | null;
  readonly ownerTeam: string | null;
  /** production, staging, development, or `unlisted`. */
  readonly environment: string;
  /** In production, or not listed (Quell cannot tell it is not): a change to it asks for four eyes. */
  readonly treatAsProduction: boolean;
  readonly criticality: string | null;
  /** The version to roll back to when the service keeps no history (inventory `knownGood`), else null. */
  readonly knownGood: string | null;
  /**
   * What Quell learnt of the asset's deployments (SageMaker endpoints, from CloudTrail), newest first: how the
   * rollback-model playbook finds what served before the current version when the inventory names no known-good.
   */
  readonly deployments: readonly Deployment[];
}

/** One configuration put live on an asset, as CloudTrail reported it (CreateEndpoint, UpdateEndpoint). */
export interface Deployment {
  readonly version: string;
  /** When it went live (the call's time, ISO 8601). */
  readonly at: string;
  /** Who deployed it (the role behind a session, else the identity). */
  readonly by: string;
  readonly eventName: string;
  readonly eventId: string;
}

/** The asset of an alert the inventory does not list. */
export const UNLISTED_ASSET: SubjectAsset = {
  listed: false,
  kind: null,
  id: null,
  ownerTeam: null,
  environment: "unlisted",
  treatAsProduction: true,
  criticality: null,
  knownGood: null,
  deployments: [],
};

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
  /** Risk from 0 to 100 with its reasons; raised, never lowered, by alerts that join. */
  readonly risk?: Risk;
  /** What routing decided for the incident's first alert. */
  readonly route?: IncidentRoute;
  /** Owning teams of the inventory assets the first alert named. */
  readonly ownerTeams?: readonly string[];
  /** AI assets the first alert named that the inventory does not know. */
  readonly unknownAssets?: readonly { readonly kind: string; readonly id: string }[];
  /** The inventory's entry for the asset the first alert is about, when it lists one (playbooks read `$.asset`). */
  readonly subjectAsset?: SubjectAsset;
  /** The Slack message whose thread carries this incident's progress (its first approval card). */
  /** The first card's message, which opened the incident's thread, and when Quell recorded it (its clock). */
  readonly slackThread?: { readonly channel: string; readonly ts: string; readonly openedAt?: string };
  /**
   * Slack users the first alert is about: the configured people (triage `people`) whose identities match a
   * principal or end-user entity of the alert. They may not approve actions against themselves.
   */
  readonly subjectSlackUsers?: readonly string[];
  /**
   * A rehearsal (`/quell dry-run`): its playbook plans every write and sends none. It names the incident
   * whose alert it replays and the Slack user who asked (excluded from four-eyes approvals of it).
   */
  readonly rehearsal?: {
    readonly of: string;
    readonly alertId: string;
    readonly requestedBy: string;
    /**
     * A quiet rehearsal (`npm run quell -- replay`): its approvals are recorded as would-ask, as a shadow run's are
     * (functions/approval-request/shadow.ts), and nothing of it reaches Slack.
     */
    readonly quiet?: boolean;
  };
  /**
   * The latest `/quell rerun` of an interrupted run: its execution and who asked for it. Like a rehearsal's
   * requester, they may not also approve that run's steps under four eyes.
   */
  readonly rerun?: { readonly executionName: string; readonly requestedBy: string };
  /**
   * Its playbook runs in shadow mode (triage configuration): every action plans and sends nothing, approvals are
   * recorded as would-ask, and response metrics leave it out.
   */
  readonly shadow?: boolean;
}

export const ApprovalStatus = z.enum(["pending", "approved", "denied", "expired"]);
export type ApprovalStatus = z.infer<typeof ApprovalStatus>;

export interface Approval {
  readonly approvalId: string;
  readonly incidentId: string;
  readonly step: string;
  readonly status: ApprovalStatus;
  /** How many distinct approvers it takes: `one`, `two` (four eyes), or none (`auto`, approved by policy). */
  readonly policy: "auto" | "one" | "two";
  /** The action step approving leads straight to: the card follows its run (progress, Undo). Always for `auto`. */
  readonly actionStep?: string;
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
  /** The playbook's escalation for this approval: who is mentioned, where, and after how long. */
  readonly escalation?: { readonly afterSeconds: number; readonly to: string; readonly channel?: string };
  /**
   * When the escalated, final wait took over with its own task token. Before that, a task that is gone
   * means the first wait ended and a decision is kept for the second; after it, the approval expired.
   */
  readonly escalatedAt?: string;
  /** The escalation's copy of the card, re-rendered with the original so no stale buttons remain. */
  readonly escalationMessage?: { readonly channel: string; readonly ts: string };
  readonly decidedBy?: string;
  readonly decidedByTeam?: string;
  readonly decidedAt?: string;
  readonly reason?: string;
  /** The decider's comment on an approve ("Approve with comment…"). */
  readonly comment?: string;
  /** Comments given with four-eyes votes, in vote order (only votes that carried one). */
  readonly voteComments?: readonly { readonly by: string; readonly comment: string }[];
  /** The Slack user who asked for this run, when a human did (alert-started runs have none). */
  readonly requestedBy?: string;
  /** Who may not decide this approval, and why (see functions/shared/exclusions.ts for what applies when). */
  readonly excludedApprovers?: readonly ApproverExclusion[];
  /** Asked when the containment budget was spent (`used` containments in the last hour, of `limit`): four eyes. */
  readonly overBudget?: { readonly used: number; readonly limit: number };
  /** The playbook's diagram page the card links to (QUELL_PLAYBOOK_DOCS_URL), when one is published. */
  readonly diagramUrl?: string;
  /**
   * Recorded by a shadow run in place of asking (`decidedBy` SHADOW_APPROVER): it lets a plan-only run go on and
   * never a write (functions/actions/approval-gate.ts).
   */
  readonly shadow?: boolean;
}

/** Who `decidedBy` names on an approval a shadow run recorded as would-ask instead of asking anyone. */
export const SHADOW_APPROVER = "quell:shadow";

/** A person excluded from deciding an approval: the subject of the alert, or the requester of the run. */
export interface ApproverExclusion {
  readonly userId: string;
  readonly because: "subject" | "requester";
}

/** The approval id the Slack button carries: it names the incident and step, never the task token. */
export const approvalIdFor = (incidentId: string, step: string) => `${incidentId}.${step}`;

export const parseApprovalId = (approvalId: string): { incidentId: string; step: string } | undefined => {
  const match = /^(inc_[a-z0-9]{10,40})\.([a-z][A-Za-z0-9]{0,59})$/.exec(approvalId);
  return match?.[1] && match[2] ? { incidentId: match[1], step: match[2] } : undefined;
};
