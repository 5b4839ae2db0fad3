import { actions } from "../functions/actions/registry.js";
import { StatesErrors } from "../functions/shared/errors.js";
import { UNDO_MACHINE } from "../functions/shared/undo-machine.js";
import {
  ACTION_RESULT_SELECTOR,
  type AslState,
  assertJsonPathOnly,
  type CompiledPlaybook,
  type FunctionRef,
  LAMBDA_INVOKE,
  LAMBDA_RETRY,
  placeholderFor,
} from "./compile.js";

export { UNDO_MACHINE };

/**
 * Compiled from the registry: a Choice on the run's action goes to that action's function in `undo` mode
 * (only reversible actions have a branch), then the recorder settles the run as undone or failed.
 */
export function compileUndoMachine(): CompiledPlaybook {
  const substitutions: Record<string, FunctionRef> = {};
  const lambda = (ref: FunctionRef, payload: Record<string, unknown>) => {
    const placeholder = placeholderFor(ref);
    substitutions[placeholder] = ref;
    return {
      Type: "Task",
      Resource: LAMBDA_INVOKE,
      Parameters: { FunctionName: `\${${placeholder}}`, Payload: payload },
      Retry: [LAMBDA_RETRY],
    };
  };
  const reversible = Object.values(actions).filter(
    ({ definition }) => definition.reversible && definition.undo,
  );
  const states: Record<string, AslState> = {
    "undo.route": {
      Type: "Choice",
      Choices: reversible.map(({ definition }) => ({
        Variable: "$.action",
        StringEquals: definition.name,
        Next: `undo.${definition.name}`,
      })),
      Default: "undo.notReversible",
    },
    "undo.notReversible": {
      Type: "Pass",
      Result: { Error: "NotReversible", Cause: "this action cannot be undone" },
      ResultPath: "$.error",
      Next: "undo.failed",
    },
    "undo.recorded": {
      ...lambda(
        { kind: "recorder" },
        { kind: "undo", "incidentId.$": "$.incidentId", "step.$": "$.step", "result.$": "$.result" },
      ),
      ResultPath: null,
      End: true,
    },
    "undo.failed": {
      ...lambda(
        { kind: "recorder" },
        { kind: "undo_failed", "incidentId.$": "$.incidentId", "step.$": "$.step", "error.$": "$.error" },
      ),
      ResultPath: null,
      Next: "undo.failed.end",
    },
    "undo.failed.end": {
      Type: "Fail",
      Error: "UndoFailed",
      Cause: "the undo failed; see the incident timeline",
    },
  };
  for (const { definition } of reversible) {
    states[`undo.${definition.name}`] = {
      ...lambda(
        { kind: "action", action: definition.name },
        {
          "incidentId.$": "$.incidentId",
          "step.$": "$.step",
          mode: "undo",
          "input.$": "$.input",
          "output.$": "$.output",
          "dryRun.$": "$.dryRun",
        },
      ),
      TimeoutSeconds: definition.timeoutSeconds + 10,
      ResultSelector: ACTION_RESULT_SELECTOR,
      ResultPath: "$.result",
      Catch: [{ ErrorEquals: [StatesErrors.all], ResultPath: "$.error", Next: "undo.failed" }],
      Next: "undo.recorded",
    };
  }
  const definition = {
    Comment: "Quell undo: restore what one applied action run changed",
    QueryLanguage: "JSONPath",
    StartAt: "undo.route",
    States: states,
  };
  assertJsonPathOnly(definition);
  return { name: UNDO_MACHINE, definition, substitutions, escalatingApprovals: [] };
}
