/**
 * A run's plan: pure data drawn from the seed (subject, deliveries, faults, the humans' decision, a kill), so
 * `--run n` replays run n exactly, alone. The scenarios (scenarios/*.ts) write plans; run.ts carries them out.
 */
import type { Subject } from "./subjects.js";

/** One delivery an alerting tool makes. Times are seconds relative to the moment it is sent. */
export type Delivery =
  | {
      readonly kind: "github";
      readonly action: "created" | "resolved";
      /** GitHub's X-GitHub-Delivery: a redelivery repeats it. */
      readonly deliveryId: string;
      /** The alert's `updated_at` (GitHub's own clock for this event), relative to now. */
      readonly sourceAt: number;
    }
  | {
      readonly kind: "generic";
      readonly status: "firing" | "resolved";
      /** The emitter's alert id: a redelivery repeats it. */
      readonly emitterId: string;
      readonly occurredAt: number;
    }
  | { readonly kind: "alertmanager"; readonly status: "firing" | "resolved"; readonly startsAt: number }
  | { readonly kind: "guardduty"; readonly eventId: string };

/** Deliveries sent at once (a group), groups one after the other. */
export type DeliveryGroups = readonly (readonly Delivery[])[];

/** The provider stand-ins a fault can be queued at (Slack is the chat side, the rest are mitigation targets). */
export type FaultTarget = "openai" | "github" | "iam" | "litellm" | "slack";

/** Which of the run's requests a fault answers: the run's own resource, by method and operation. */
export type FaultOperation =
  | "openai.delete-key"
  | "openai.get-key"
  | "github.patch-alert"
  | "github.get-alert"
  | "iam.update-access-key"
  | "iam.list-access-keys"
  | "litellm.block"
  | "litellm.customer-info"
  | "slack.post-message"
  | "slack.update";

export interface PlannedFault {
  readonly operation: FaultOperation;
  readonly status: number;
  readonly applied: boolean;
  readonly times: number;
  readonly delayMs?: number;
  /** Slack's `ok: false` errors come at HTTP 200 with this body. */
  readonly body?: unknown;
}

export type Decision =
  /** Nobody decides: the approval must stay pending with a live timer. */
  | "none"
  | "approve"
  | "deny"
  /** The same approver clicks Approve twice at once. */
  | "double-approve"
  /** Two approvers click Approve at the same moment. */
  | "two-approvers"
  /** One approver approves while another submits a denial at the same moment. */
  | "approve-and-deny"
  /** Approve, then after the run settled, the same click again (a late Slack retry). */
  | "approve-then-late-retry";

/** When, in the run, the process is killed (SIGKILL), and then the runtime started again. */
export type KillPoint =
  /** Between two delivery groups (accepted alerts not yet triaged). */
  | "mid-deliveries"
  /** Once the approval card is pending (a pending approval must survive the restart). */
  | "at-card"
  /** Right after the approval click was answered (the action may be in flight). */
  | "after-approve"
  /** While the provider is applying the approved write (a slow answer). */
  | "write-in-flight";

export interface KillPlan {
  /** `throttle`: DynamoDB answers throttling errors for a while (no process is killed, nothing restarts). */
  readonly target: "runtime" | "database" | "throttle";
  readonly at: KillPoint;
  /** Extra wait after the point is reached, before the kill. */
  readonly delayMs: number;
  /** Deliveries sent while the database is down or throttling (database kills and throttles only). */
  readonly duringOutage?: DeliveryGroups;
  /** How long DynamoDB throttles, and the share of the handlers' requests it throttles meanwhile (0–1]. */
  readonly throttle?: { readonly durationMs: number; readonly share: number };
}

export interface RunPlan {
  readonly run: number;
  readonly scenario: string;
  readonly subject: Subject;
  readonly deliveries: DeliveryGroups;
  /** Deliveries made once the run has settled (a redelivery that comes long after), one after the other. */
  readonly late?: readonly Delivery[];
  readonly faults: readonly PlannedFault[];
  readonly decision: Decision;
  readonly kill?: KillPlan;
  /** How long the run may take to settle before an unsettled incident counts (timeouts take long). */
  readonly settleMs: number;
  /** One line saying what the run does, for the report. */
  readonly summary: string;
}

/** What a scenario generator writes; the registry adds the run number and the scenario's name. */
export type ScenarioPlan = Omit<RunPlan, "run" | "scenario">;
