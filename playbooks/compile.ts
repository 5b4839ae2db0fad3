import { type AnyAction, isContainment, writes } from "../functions/actions/contract.js";
import { actions, isActionName } from "../functions/actions/registry.js";
import { ApprovalModes } from "../functions/approval-request/events.js";
import {
  ApprovalDenied,
  errorName,
  LambdaServiceErrors,
  QuellPaused,
  StatesErrors,
  TransientError,
} from "../functions/shared/errors.js";
import { type Playbook, targetsOf } from "./define.js";
import type { Branch, Comparison, InputValue, Step } from "./dsl.js";

/**
 * The pure compiler from a validated playbook to Amazon States Language (JSONPath). Lambda ARNs are left
 * as `${Placeholder}`s: CDK fills them with `definitionSubstitutions`, the local runtime maps each to
 * the handler code. Generated state names contain a dot, which step ids cannot, so they never collide.
 */

export type Asl = Record<string, unknown> & { StartAt: string; States: Record<string, AslState> };
export type AslState = Record<string, unknown> & { Type: string };

/** What a `${Placeholder}` in the ASL stands for. */
export type FunctionRef =
  | { kind: "action"; action: string }
  | { kind: "approvalRequest" }
  | { kind: "recorder" };

export interface CompiledPlaybook {
  readonly name: string;
  readonly definition: Asl;
  readonly substitutions: Readonly<Record<string, FunctionRef>>;
  /**
   * Approval steps with an escalation. Their escalated wait may settle its own task token (a decision made
   * between the two waits), so the approval-request function answers task tokens of this machine.
   */
  readonly escalatingApprovals: readonly string[];
}

export const LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke";
export const LAMBDA_INVOKE_WAIT_FOR_TOKEN = "arn:aws:states:::lambda:invoke.waitForTaskToken";
export const TASK_TOKEN_PATH = "$$.Task.Token";

export const placeholderFor = (ref: FunctionRef): string =>
  ref.kind === "action" ? `Action_${ref.action.replace(/[^A-Za-z0-9]/g, "_")}` : `Function_${ref.kind}`;

/**
 * Every task's retries: throttling, a 5xx, a provider or database busy for a while. About two minutes of them
 * (2, 4, 8, 16, 30, 30 s, each with full jitter), as patient as the bus's before a dead letter; every task is safe to
 * run again (actions re-read their target and journal their writes; an approval request keeps its card).
 */
export const LAMBDA_RETRY = {
  ErrorEquals: [errorName(TransientError), ...LambdaServiceErrors],
  IntervalSeconds: 2,
  MaxAttempts: 6,
  BackoffRate: 2,
  MaxDelaySeconds: 30,
  JitterStrategy: "FULL",
};

/**
 * A step that writes, while Quell is paused (`/quell pause`), sent nothing: it checks again every 5 minutes for a
 * day, and goes on by itself once Quell is resumed. After a day paused it fails like any failed step.
 */
export const PAUSED_RETRY = {
  ErrorEquals: [errorName(QuellPaused)],
  IntervalSeconds: 300,
  MaxAttempts: 288,
  BackoffRate: 1,
};

class Compiler {
  readonly substitutions: Record<string, FunctionRef> = {};
  readonly escalatingApprovals: string[] = [];
  /** Action steps an `auto` approval leads to: their task tells the action so, and the action checks. */
  private readonly autoApproved: Set<string>;
  /** The approval step in front of each action step an approval leads to: the action checks it is given. */
  private readonly gatedBy: Map<string, string>;

  /** Every step by id, Parallel branches included (ids are unique across the machine). */
  private readonly stepsById: Map<string, Step>;

  constructor(private readonly playbook: Playbook) {
    this.stepsById = new Map(allSteps(playbook));
    this.autoApproved = new Set(
      [...this.stepsById.values()].flatMap((step) =>
        step.type === "approval" && step.policy === "auto" ? [step.onApprove] : [],
      ),
    );
    this.gatedBy = approvalGates(playbook, this.stepsById);
  }

  private invoke(ref: FunctionRef, payload: Record<string, unknown>, resource = LAMBDA_INVOKE) {
    const placeholder = placeholderFor(ref);
    this.substitutions[placeholder] = ref;
    return {
      Type: "Task",
      Resource: resource,
      Parameters: { FunctionName: `\${${placeholder}}`, Payload: payload },
    };
  }

  /** A recorder task: writes a timeline event (and, for `closed`, the outcome) to the incident. */
  private record(payload: Record<string, unknown>, next?: string) {
    return {
      ...this.invoke({ kind: "recorder" }, { "incidentId.$": "$.incidentId", ...payload }),
      ResultPath: null,
      Retry: [LAMBDA_RETRY],
      ...(next ? { Next: next } : { End: true }),
    };
  }

  /** A generated ending: record the outcome, then end (Fail for `failed`, Succeed otherwise). */
  private closeWith(id: string, step: string, outcome: "denied" | "expired" | "failed", summary: string) {
    const failed = outcome === "failed";
    const payload = { kind: "closed", step, outcome, summary, ...(failed ? { "error.$": "$.error" } : {}) };
    return {
      [id]: this.record(payload, `${id}.end`),
      [`${id}.end`]: failed ? { Type: "Fail", Error: "PlaybookFailed", Cause: summary } : { Type: "Succeed" },
    };
  }

  compileScope(scope: Branch, inBranch: boolean): { StartAt: string; States: Record<string, AslState> } {
    const states: Record<string, AslState> = {};
    for (const [id, step] of Object.entries(scope.steps))
      Object.assign(states, this.compileStep(id, step, inBranch));
    return { StartAt: scope.startAt, States: states };
  }

  private compileStep(id: string, step: Step, inBranch: boolean): Record<string, AslState> {
    switch (step.type) {
      case "action":
        return this.action(id, step);
      case "approval":
        return this.approval(id, step);
      case "choice":
        return {
          [id]: {
            Type: "Choice",
            Choices: step.choices.map((choice) => ({ ...comparison(choice.when), Next: choice.next })),
            Default: step.otherwise,
          },
        };
      case "wait":
        return { [id]: { Type: "Wait", Seconds: step.seconds, Next: step.next } };
      case "parallel":
        return {
          [id]: {
            Type: "Parallel",
            Branches: step.branches.map((branch) => this.compileScope(branch, true)),
            ResultPath: `$.branches.${id}`,
            Catch: [{ ErrorEquals: [StatesErrors.all], ResultPath: "$.error", Next: `${id}.failed` }],
            Next: step.next,
          },
          ...this.closeWith(`${id}.failed`, id, "failed", `step ${id} failed`),
        };
      case "succeed":
        if (inBranch) return { [id]: { Type: "Succeed" } };
        return {
          [id]: this.record(
            { kind: "closed", step: id, outcome: step.outcome, summary: step.summary },
            `${id}.end`,
          ),
          [`${id}.end`]: { Type: "Succeed" },
        };
      case "fail":
        if (inBranch) return { [id]: { Type: "Fail", Error: step.error, Cause: step.cause } };
        return {
          [id]: this.record(
            { kind: "closed", step: id, outcome: "failed", summary: step.cause },
            `${id}.end`,
          ),
          [`${id}.end`]: { Type: "Fail", Error: step.error, Cause: step.cause },
        };
    }
  }

  private action(id: string, step: Extract<Step, { type: "action" }>): Record<string, AslState> {
    if (!isActionName(step.action)) throw new Error(`unknown action ${step.action}`);
    const contract = actions[step.action].definition;
    const failed = `${id}.failed`;
    const closed = `${id}.closed`;
    return {
      [id]: {
        ...this.invoke(
          { kind: "action", action: step.action },
          {
            "incidentId.$": "$.incidentId",
            step: id,
            input: payloadOf(step.input),
            "dryRun.$": DRY_RUN_PATH,
            ...(this.autoApproved.has(id) ? { approval: "auto" } : {}),
            // A task token alone is never enough to act: the action reads this approval's recorded decision.
            ...(this.gatedBy.has(id) ? { approvalStep: this.gatedBy.get(id) } : {}),
          },
        ),
        TimeoutSeconds: contract.timeoutSeconds + 10,
        ResultSelector: ACTION_RESULT_SELECTOR,
        ResultPath: `$.steps.${id}`,
        Retry: writes(contract) ? [PAUSED_RETRY, LAMBDA_RETRY] : [LAMBDA_RETRY],
        Catch: [{ ErrorEquals: [StatesErrors.all], ResultPath: "$.error", Next: failed }],
        // A quiet read (a wait loop's status check) goes straight on: its result is in the state, not the timeline.
        Next: step.quiet ? step.next : `${id}.record`,
      },
      ...(step.quiet
        ? {}
        : {
            [`${id}.record`]: this.record(
              { kind: "action", step: id, "result.$": `$.steps.${id}`, undoable: canUndo(contract) },
              step.next,
            ),
          }),
      // Every failure is recorded (the thread shows it), then goes to onError or ends the playbook `failed`.
      [failed]: this.record(
        { kind: "action_failed", step: id, action: step.action, "error.$": "$.error" },
        step.onError ?? closed,
      ),
      ...(step.onError ? {} : this.closeWith(closed, id, "failed", `action ${step.action} failed at ${id}`)),
    };
  }

  /**
   * An approval: a `.waitForTaskToken` task behind a Slack card. With an escalation it is two waits on the
   * same approval: the first times out after `afterSeconds` into the escalation (the card re-posted with a
   * mention), then a second wait, with a fresh task token on the same pending approval, for the rest.
   */
  /** Whether approving leads straight to an action whose contract says its effect is not contained. */
  private containsOnApprove(onApprove: string): boolean {
    const next = this.stepsById.get(onApprove);
    return (
      next?.type === "action" && isActionName(next.action) && isContainment(actions[next.action].definition)
    );
  }

  private approval(id: string, step: Extract<Step, { type: "approval" }>): Record<string, AslState> {
    const facts = Object.fromEntries(Object.entries(step.facts).map(([label, path]) => [`${label}.$`, path]));
    if (step.policy === "auto") return this.autoApproval(id, step, facts);
    const { escalation } = step;
    if (escalation) this.escalatingApprovals.push(id);
    const expiry = `${id}.expired`;
    const escalated = `${id}.escalated`;
    const wait = (payload: Record<string, unknown>, timeoutSeconds: number, onTimeout: string) => ({
      ...this.invoke({ kind: "approvalRequest" }, payload, LAMBDA_INVOKE_WAIT_FOR_TOKEN),
      TimeoutSeconds: timeoutSeconds,
      ResultPath: `$.approvals.${id}`,
      // Posting the card may fail for a moment (Slack's `internal_error`): the request is asked again, with a new
      // task token on the same pending approval (putApproval replaces a pending one).
      Retry: [LAMBDA_RETRY],
      Catch: [
        {
          ErrorEquals: [errorName(ApprovalDenied)],
          ResultPath: `$.approvals.${id}`,
          Next: step.onDeny ?? `${id}.denied`,
        },
        { ErrorEquals: [StatesErrors.timeout], ResultPath: `$.approvals.${id}`, Next: onTimeout },
        { ErrorEquals: [StatesErrors.all], ResultPath: "$.error", Next: `${id}.failed` },
      ],
      Next: step.onApprove,
    });
    const expired = `${step.title}: no decision in time`;
    return {
      [id]: wait(
        {
          "taskToken.$": TASK_TOKEN_PATH,
          "incidentId.$": "$.incidentId",
          "executionId.$": "$$.Execution.Id",
          playbook: this.playbook.name,
          step: id,
          policy: step.policy,
          ...(step.fourEyesWhen ? { "fourEyes.$": step.fourEyesWhen } : {}),
          title: step.title,
          plan: step.plan,
          facts,
          "dryRun.$": DRY_RUN_PATH,
          ...(this.stepsById.get(step.onApprove)?.type === "action" ? { actionStep: step.onApprove } : {}),
          // A containment (an action whose effect is not contained) counts against the containment budget.
          ...(this.containsOnApprove(step.onApprove) ? { containment: true } : {}),
          timeoutSeconds: step.timeoutSeconds,
          ...(step.approvers ? { approvers: step.approvers } : {}),
          ...(escalation ? { escalation } : {}),
        },
        escalation ? escalation.afterSeconds : step.timeoutSeconds,
        escalation ? `${id}.escalate` : expiry,
      ),
      ...(escalation
        ? {
            [`${id}.escalate`]: {
              ...this.invoke(
                { kind: "approvalRequest" },
                {
                  mode: ApprovalModes.escalate,
                  "incidentId.$": "$.incidentId",
                  step: id,
                  to: escalation.to,
                  ...(escalation.channel ? { channel: escalation.channel } : {}),
                },
              ),
              ResultPath: null,
              Retry: [LAMBDA_RETRY],
              // A mention that cannot be posted must not cancel the approval: the first card still works.
              Catch: [
                { ErrorEquals: [StatesErrors.all], ResultPath: `$.escalations.${id}`, Next: escalated },
              ],
              Next: escalated,
            },
            [escalated]: wait(
              {
                mode: ApprovalModes.extend,
                "taskToken.$": TASK_TOKEN_PATH,
                "incidentId.$": "$.incidentId",
                step: id,
                timeoutSeconds: step.timeoutSeconds,
              },
              step.timeoutSeconds - escalation.afterSeconds,
              expiry,
            ),
          }
        : {}),
      ...(step.onDeny ? {} : this.closeWith(`${id}.denied`, id, "denied", `${step.title}: denied`)),
      // A timeout is recorded `expired` either way; with onTimeout the playbook then goes on there.
      ...(step.onTimeout
        ? { [expiry]: this.record({ kind: "approval_expired", step: id, summary: expired }, step.onTimeout) }
        : this.closeWith(expiry, id, "expired", expired)),
      ...this.closeWith(`${id}.failed`, id, "failed", `approval ${id} could not be requested`),
    };
  }

  /**
   * An `auto` approval: record it approved by policy and post the card that says so (with Undo), then go on
   * to the action, which itself refuses to run without a human unless its contract allows `auto`.
   */
  private autoApproval(
    id: string,
    step: Extract<Step, { type: "approval"; policy: "auto" }>,
    facts: Record<string, string>,
  ): Record<string, AslState> {
    return {
      [id]: {
        ...this.invoke(
          { kind: "approvalRequest" },
          {
            mode: ApprovalModes.auto,
            "incidentId.$": "$.incidentId",
            playbook: this.playbook.name,
            step: id,
            actionStep: step.onApprove,
            title: step.title,
            plan: step.plan,
            facts,
            "dryRun.$": DRY_RUN_PATH,
          },
        ),
        ResultPath: `$.approvals.${id}`,
        Retry: [LAMBDA_RETRY],
        Catch: [{ ErrorEquals: [StatesErrors.all], ResultPath: "$.error", Next: `${id}.failed` }],
        Next: step.onApprove,
      },
      ...this.closeWith(`${id}.failed`, id, "failed", `approval ${id} could not be recorded`),
    };
  }
}

/** Where an execution says whether it is a rehearsal: every start sets it (PlaybookInput, machine-starter.ts). */
const DRY_RUN_PATH = "$.dryRun";

/** What an action task keeps of the Lambda result (ActionResult). */
export const ACTION_RESULT_SELECTOR = {
  "action.$": "$.Payload.action",
  "mode.$": "$.Payload.mode",
  "input.$": "$.Payload.input",
  "output.$": "$.Payload.output",
  "writes.$": "$.Payload.writes",
  "verified.$": "$.Payload.verified",
};

const canUndo = (contract: AnyAction) => contract.reversible && contract.undo !== undefined;

/**
 * The approval in front of each action step an approval's `onApprove` leads to. The action is told which and
 * refuses to run unless that approval is recorded as given, so such a step must be reached through its approval
 * alone: a second approval, or any other way in (a choice, an onError, a timeout, a start), is refused here
 * instead of failing at run time.
 */
function approvalGates(playbook: Playbook, steps: Map<string, Step>): Map<string, string> {
  const gates = new Map<string, string>();
  for (const [id, step] of steps) {
    if (step.type !== "approval" || steps.get(step.onApprove)?.type !== "action") continue;
    const other = gates.get(step.onApprove);
    if (other) {
      throw new Error(
        `${playbook.name}: action step ${step.onApprove} is the onApprove of two approvals (${other} and ${id}); ` +
          "the action checks the one approval in front of it, so give each approval its own action step",
      );
    }
    gates.set(step.onApprove, id);
  }
  const waysIn = (id: string, step: Step): string[] => {
    const targets = targetsOf(step);
    // The gating approval's own onApprove is the one way in.
    if (step.type === "approval" && gates.get(step.onApprove) === id)
      targets.splice(targets.indexOf(step.onApprove), 1);
    if (step.type === "parallel") targets.push(...step.branches.map((branch) => branch.startAt));
    return targets;
  };
  const ways: (readonly [from: string, to: string])[] = [
    ["startAt", playbook.startAt],
    ...[...steps].flatMap(([id, step]) => waysIn(id, step).map((target) => [id, target] as const)),
  ];
  const wrongWay = ways.find(([, to]) => gates.has(to));
  if (wrongWay) {
    const [from, gated] = wrongWay;
    throw new Error(
      `${playbook.name}: ${from} goes to ${gated}, which runs only once approval ${gates.get(gated)} is given; ` +
        "reach it through that approval alone",
    );
  }
  return gates;
}

function* allSteps(scope: Branch): Generator<[string, Step]> {
  for (const [id, step] of Object.entries(scope.steps)) {
    yield [id, step];
    if (step.type === "parallel") for (const branch of step.branches) yield* allSteps(branch);
  }
}

function payloadOf(input: Record<string, InputValue>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(input).map(([key, value]) =>
      value !== null && typeof value === "object" ? [`${key}.$`, value.path] : [key, value],
    ),
  );
}

function comparison(when: Comparison): Record<string, unknown> {
  if ("equals" in when) {
    const operator =
      typeof when.equals === "string"
        ? "StringEquals"
        : typeof when.equals === "number"
          ? "NumericEquals"
          : "BooleanEquals";
    return { Variable: when.path, [operator]: when.equals };
  }
  if ("greaterThan" in when) return { Variable: when.path, NumericGreaterThan: when.greaterThan };
  if ("lessThan" in when) return { Variable: when.path, NumericLessThan: when.lessThan };
  if ("isNull" in when) return { Variable: when.path, IsNull: when.isNull };
  if ("matches" in when) return { Variable: when.path, StringMatches: when.matches };
  return { Variable: when.path, IsPresent: when.isPresent };
}

/** Refuse JSONata anywhere in a definition: the local interpreter would silently ignore it. */
export function assertJsonPathOnly(definition: unknown, where = "$"): void {
  if (typeof definition === "string") {
    if (/^\s*\{%/.test(definition))
      throw new Error(`JSONata expression at ${where}: Quell compiles JSONPath only`);
    return;
  }
  if (Array.isArray(definition)) {
    definition.forEach((item, index) => {
      assertJsonPathOnly(item, `${where}[${index}]`);
    });
    return;
  }
  if (definition && typeof definition === "object") {
    for (const [key, value] of Object.entries(definition)) {
      if (key === "QueryLanguage" && value === "JSONata")
        throw new Error(`QueryLanguage JSONata at ${where}`);
      if (key === "Arguments" || key === "Output" || key === "Assign") {
        throw new Error(`${key} at ${where} is JSONata-only or unsupported locally`);
      }
      assertJsonPathOnly(value, `${where}.${key}`);
    }
  }
}

export function compilePlaybook(playbook: Playbook): CompiledPlaybook {
  const compiler = new Compiler(playbook);
  const scope = compiler.compileScope(playbook, false);
  const definition: Asl = {
    Comment: `Quell playbook ${playbook.name}: ${playbook.description}`,
    QueryLanguage: "JSONPath",
    StartAt: scope.StartAt,
    States: scope.States,
  };
  assertJsonPathOnly(definition);
  return {
    name: playbook.name,
    definition,
    substitutions: compiler.substitutions,
    escalatingApprovals: compiler.escalatingApprovals,
  };
}
