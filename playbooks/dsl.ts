import * as z from "zod";
import { SLACK_CHANNEL, SLACK_MENTIONABLE } from "../functions/approval-request/events.js";
import { AlertType } from "../functions/shared/alert.js";

/**
 * The playbook DSL: typed, declarative steps validated by zod and compiled to Amazon States Language
 * (JSONPath only) by `compile.ts`. Action names are checked against the registry by `definePlaybook`.
 */

/** A JSONPath into the execution state: `$.alert...`, `$.steps.<step>.output...`, `$.incidentId`. */
export const StatePath = z
  .string()
  .regex(/^\$(\.[A-Za-z_][A-Za-z0-9_-]*|\[\d+\])*$/, "a JSONPath such as $.steps.locate.output.keyId");

const StepId = z.string().regex(/^[a-z][A-Za-z0-9]*$/, "a camelCase step id such as revokeKey");

/** An input value: a JSONPath (`{ path: "$..." }`) or a literal. */
export const InputValue = z.union([
  z.object({ path: StatePath }).strict(),
  z.string(),
  z.number(),
  z.boolean(),
  z.null(),
]);
export type InputValue = z.infer<typeof InputValue>;

export const ActionStep = z
  .object({
    type: z.literal("action"),
    action: z.string().min(1),
    input: z.record(z.string(), InputValue),
    next: StepId,
    /** Where a failure goes; without it the playbook records `failed` and stops. */
    onError: StepId.optional(),
    /**
     * Not recorded on the timeline when it succeeds: for a read-only action polled in a wait loop (a status
     * check), whose every answer would otherwise flood the incident and its thread. Failures are recorded.
     */
    quiet: z.boolean().optional(),
  })
  .strict();

/**
 * `one`: one authorised approver. `two`: four eyes, two distinct authorised approvers. `auto`: no human
 * first, for reversible, low-blast-radius actions only; the card says what was done and offers Undo.
 */
export const ApprovalPolicy = z.enum(["auto", "one", "two"]);
const HumanApprovalPolicy = ApprovalPolicy.exclude(["auto"]);

/**
 * Where a pending approval escalates: after `afterSeconds` the card is re-posted with a mention of `to` (a
 * Slack user group S…, or a user U…/W…), in `channel` or else in the original card's thread. The
 * approval keeps its id, so the buttons of the first card keep working.
 */
export const ApprovalEscalation = z
  .object({
    afterSeconds: z
      .number()
      .int()
      .min(60)
      .max(7 * 24 * 3600),
    to: z.string().regex(SLACK_MENTIONABLE, "a Slack user-group id (S…) or user id (U… or W…)"),
    channel: z.string().regex(SLACK_CHANNEL, "a Slack channel id (C… or G…)").optional(),
  })
  .strict();
export type ApprovalEscalation = z.infer<typeof ApprovalEscalation>;

const HumanApprovalStep = z
  .object({
    type: z.literal("approval"),
    policy: HumanApprovalPolicy,
    /** What the card's heading says is being decided. */
    title: z.string().min(1).max(150),
    /** What will be done if approved, one line each. Static text written by the playbook author. */
    plan: z.array(z.string().min(1).max(300)).min(1).max(10),
    /** Facts shown on the card, read from the state. Values are escaped before rendering. */
    facts: z.record(z.string().min(1).max(40), StatePath),
    timeoutSeconds: z
      .number()
      .int()
      .min(60)
      .max(7 * 24 * 3600),
    /** Re-post the card to an escalation group before the timeout; `afterSeconds` < `timeoutSeconds`. */
    escalation: ApprovalEscalation.optional(),
    /**
     * A JSONPath to a boolean in the state (`$.asset.treatAsProduction`): when it is true at run time, a `one`
     * approval asks for two approvers (four eyes). It raises the policy, never lowers it.
     */
    fourEyesWhen: StatePath.optional(),
    /** Slack user ids allowed to decide; defaults to QUELL_APPROVERS. */
    approvers: z.array(z.string().regex(/^[UWS][A-Z0-9]+$/)).optional(),
    onApprove: StepId,
    /** Defaults to recording `denied` and ending. */
    onDeny: StepId.optional(),
    /**
     * Defaults to recording `expired` and ending: a timeout is never a denial. A step named here runs after
     * the approval is recorded `expired`.
     */
    onTimeout: StepId.optional(),
  })
  .strict();

/**
 * An approval no human gives: `onApprove` must be an action step whose contract marks it reversible and of
 * low blast radius (checked by definePlaybook and again by the action at run time). The card still appears,
 * saying what Quell did, with an Undo button.
 */
const AutoApprovalStep = z
  .object({
    type: z.literal("approval"),
    policy: z.literal("auto"),
    title: z.string().min(1).max(150),
    plan: z.array(z.string().min(1).max(300)).min(1).max(10),
    facts: z.record(z.string().min(1).max(40), StatePath),
    onApprove: StepId,
  })
  .strict();

export const ApprovalStep = z.discriminatedUnion("policy", [HumanApprovalStep, AutoApprovalStep]);

const Comparison = z.union([
  z.object({ path: StatePath, equals: z.union([z.string(), z.number(), z.boolean()]) }).strict(),
  z.object({ path: StatePath, greaterThan: z.number() }).strict(),
  z.object({ path: StatePath, lessThan: z.number() }).strict(),
  z.object({ path: StatePath, isPresent: z.boolean() }).strict(),
  /** The value is (or is not) JSON null. The path must exist: guard with `isPresent` when it may not. */
  z.object({ path: StatePath, isNull: z.boolean() }).strict(),
  /** A string matching a pattern where `*` is any run of characters (StringMatches), e.g. `ASIA*`. */
  z.object({ path: StatePath, matches: z.string().min(1).max(256) }).strict(),
]);
export type Comparison = z.infer<typeof Comparison>;

export const ChoiceStep = z
  .object({
    type: z.literal("choice"),
    choices: z.array(z.object({ when: Comparison, next: StepId }).strict()).min(1),
    otherwise: StepId,
  })
  .strict();

export const WaitStep = z
  .object({
    type: z.literal("wait"),
    seconds: z
      .number()
      .int()
      .min(1)
      .max(24 * 3600),
    next: StepId,
  })
  .strict();

export const Outcome = z.enum(["mitigated", "resolved", "denied", "expired", "failed"]);
export type Outcome = z.infer<typeof Outcome>;

export const SucceedStep = z
  .object({ type: z.literal("succeed"), outcome: Outcome.exclude(["failed"]), summary: z.string().max(300) })
  .strict();

export const FailStep = z
  .object({ type: z.literal("fail"), error: z.string().min(1).max(64), cause: z.string().max(300) })
  .strict();

interface BranchShape {
  startAt: string;
  steps: Record<string, StepShape>;
}
type StepShape =
  | z.infer<typeof ActionStep>
  | z.infer<typeof ApprovalStep>
  | z.infer<typeof ChoiceStep>
  | z.infer<typeof WaitStep>
  | z.infer<typeof SucceedStep>
  | z.infer<typeof FailStep>
  | { type: "parallel"; branches: BranchShape[]; next: string };

export const Branch: z.ZodType<BranchShape> = z.lazy(() =>
  z.object({ startAt: StepId, steps: z.record(StepId, Step) }).strict(),
);

export const ParallelStep = z
  .object({ type: z.literal("parallel"), branches: z.array(Branch).min(2).max(10), next: StepId })
  .strict();

export const Step: z.ZodType<StepShape> = z.lazy(() =>
  z.discriminatedUnion("type", [
    ActionStep,
    ApprovalStep,
    ChoiceStep,
    WaitStep,
    SucceedStep,
    FailStep,
    ParallelStep,
  ]),
);
export type Step = StepShape;
export type Branch = BranchShape;

export const PlaybookDefinition = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9-]{2,62}$/, "kebab-case, 3 to 63 characters"),
    description: z.string().min(1).max(500),
    /** The alert types this playbook answers. */
    handles: z.array(AlertType).min(1),
    /**
     * Only for alerts that carry this detail (present and not null): an alert of a handled type without it goes to
     * the next playbook that handles the type. How a specialised playbook (a poisoned document) goes before the
     * general one (any prompt injection) without a route in every team's configuration.
     */
    onlyWithDetail: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, "a detail name such as poisonedDocument")
      .optional(),
    startAt: StepId,
    steps: z.record(StepId, Step),
  })
  .strict();
export type PlaybookDefinition = z.infer<typeof PlaybookDefinition>;
