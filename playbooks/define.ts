import * as z from "zod";
import { isAutoApprovable } from "../functions/actions/contract.js";
import { type ActionName, actions, isActionName } from "../functions/actions/registry.js";
import { ValidationError } from "../functions/shared/errors.js";
import { UNDO_MACHINE } from "../functions/shared/undo-machine.js";
import { type Branch, PlaybookDefinition, type Step } from "./dsl.js";

/** The DSL as authors write it: action names are the registry's keys, so a typo fails to compile. */
type Authored<S> = S extends { type: "action" }
  ? Omit<S, "action"> & { action: ActionName }
  : S extends { type: "parallel" }
    ? Omit<S, "branches"> & { branches: { startAt: string; steps: Record<string, Authored<Step>> }[] }
    : S;
export type AuthoredStep = Authored<Step>;
export type AuthoredPlaybook = Omit<PlaybookDefinition, "steps"> & { steps: Record<string, AuthoredStep> };

export interface Playbook extends PlaybookDefinition {
  readonly kind: "quell.playbook";
}

/** The steps a step may go to next. */
export const targetsOf = (step: Step): string[] => {
  switch (step.type) {
    case "action":
      return [step.next, ...(step.onError ? [step.onError] : [])];
    case "approval":
      if (step.policy === "auto") return [step.onApprove];
      return [step.onApprove, step.onDeny, step.onTimeout].filter((id): id is string => Boolean(id));
    case "choice":
      return [...step.choices.map((choice) => choice.next), step.otherwise];
    case "wait":
    case "parallel":
      return [step.next];
    case "succeed":
    case "fail":
      return [];
  }
};

const JSONATA = /^\s*\{%/;

function* stepIdsOf(scope: Branch): Generator<string> {
  for (const [id, step] of Object.entries(scope.steps)) {
    yield id;
    if (step.type === "parallel") for (const branch of step.branches) yield* stepIdsOf(branch);
  }
}

function checkScope(scope: Branch, where: string, problems: string[]): void {
  const ids = new Set(Object.keys(scope.steps));
  if (!ids.has(scope.startAt)) problems.push(`${where}: startAt "${scope.startAt}" is not a step`);
  for (const [id, step] of Object.entries(scope.steps)) {
    for (const target of targetsOf(step)) {
      if (!ids.has(target)) problems.push(`${where}.${id}: goes to "${target}", which is not a step here`);
    }
    if (step.type === "action") checkActionStep(id, step, `${where}.${id}`, problems);
    if (step.type === "approval" && step.policy === "auto")
      checkAutoApproval(scope, id, step, where, problems);
    if (
      step.type === "approval" &&
      step.policy !== "auto" &&
      step.escalation &&
      step.escalation.afterSeconds >= step.timeoutSeconds
    ) {
      problems.push(
        `${where}.${id}: escalation.afterSeconds (${step.escalation.afterSeconds}) must be less than ` +
          `timeoutSeconds (${step.timeoutSeconds}): the escalation comes before the approval expires`,
      );
    }
    if (step.type === "parallel") {
      step.branches.forEach((branch, index) => {
        checkScope(branch, `${where}.${id}.branches[${index}]`, problems);
      });
    }
  }
  const reached = new Set<string>();
  const pending = [scope.startAt];
  while (pending.length > 0) {
    const id = pending.pop() as string;
    const step = scope.steps[id];
    if (reached.has(id) || !step) continue;
    reached.add(id);
    pending.push(...targetsOf(step));
  }
  for (const id of ids) if (!reached.has(id)) problems.push(`${where}.${id}: cannot be reached from startAt`);
}

/** `auto` is for one thing only: an action its contract marks reversible and of low blast radius. */
function checkAutoApproval(
  scope: Branch,
  id: string,
  step: Extract<Step, { type: "approval" }>,
  where: string,
  problems: string[],
) {
  const target = scope.steps[step.onApprove];
  if (target?.type !== "action") {
    problems.push(
      `${where}.${id}: policy auto must go straight to an action step (onApprove "${step.onApprove}")`,
    );
    return;
  }
  if (isActionName(target.action) && !isAutoApprovable(actions[target.action].definition)) {
    problems.push(
      `${where}.${id}: policy auto needs a reversible, low-blast-radius action; ${target.action} is not (ask a human: one or two)`,
    );
  }
}

function checkActionStep(
  id: string,
  step: Extract<Step, { type: "action" }>,
  where: string,
  problems: string[],
) {
  if (!isActionName(step.action)) {
    problems.push(`${where}: unknown action "${step.action}"`);
    return;
  }
  const definition = actions[step.action].definition;
  if (step.quiet && definition.blastRadius.maxWrites > 0) {
    problems.push(`${where}: only a read-only action (maxWrites 0) may be quiet; ${step.action} writes`);
  }
  const schema: z.ZodType = definition.input;
  if (schema instanceof z.ZodObject) {
    const shape: Record<string, z.ZodType> = schema.shape;
    const expected = Object.keys(shape);
    const given = Object.keys(step.input);
    for (const key of expected) {
      const optional = shape[key]?.safeParse(undefined).success ?? false;
      if (!optional && !given.includes(key))
        problems.push(`${where}: input "${key}" of ${step.action} is missing`);
    }
    for (const key of given) {
      if (!expected.includes(key)) problems.push(`${where}: ${step.action} takes no input "${key}"`);
    }
  }
  for (const [key, value] of Object.entries(step.input)) {
    if (typeof value === "string" && JSONATA.test(value)) {
      problems.push(`${where}: input "${key}" is a JSONata expression; Quell compiles JSONPath only`);
    }
  }
  if (id.length > 60) problems.push(`${where}: step id longer than 60 characters`);
}

/**
 * Validate a playbook as a whole (schema, references, reachability, action inputs) and return it. A
 * playbook that does not validate never reaches the compiler.
 */
export function definePlaybook(authored: AuthoredPlaybook): Playbook {
  const parsed = PlaybookDefinition.safeParse(authored);
  if (!parsed.success) {
    throw new ValidationError(
      `playbook ${authored.name} is invalid`,
      parsed.error.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message })),
    );
  }
  const problems: string[] = [];
  if (parsed.data.name === UNDO_MACHINE)
    problems.push(`${UNDO_MACHINE} is Quell's undo machine, not a playbook name`);
  checkScope(parsed.data, parsed.data.name, problems);
  // Step Functions needs state names unique across the whole machine, branches included.
  const seen = new Set<string>();
  for (const id of stepIdsOf(parsed.data)) {
    if (seen.has(id)) problems.push(`${parsed.data.name}: step id "${id}" is used more than once`);
    seen.add(id);
  }
  if (problems.length > 0) {
    throw new ValidationError(
      `playbook ${authored.name} is invalid: ${problems.join("; ")}`,
      problems.map((message) => ({ path: authored.name, message })),
    );
  }
  return { ...parsed.data, kind: "quell.playbook" };
}
