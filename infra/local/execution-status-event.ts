import { EXECUTION_STATUS_CHANGE } from "../../functions/execution-watch/event.js";
import type { FailedExecution } from "./stepfunctions.js";

/**
 * The bus entry Step Functions puts on the default bus when a Standard execution fails ("Step Functions Execution
 * Status Change"), for the local runtime's emulation: the same detail the execution watch reads on AWS.
 */
export function executionFailedEntry(execution: FailedExecution): {
  Source: string;
  DetailType: string;
  Resources: string[];
  Detail: string;
} {
  return {
    Source: EXECUTION_STATUS_CHANGE.source,
    DetailType: EXECUTION_STATUS_CHANGE.detailType,
    Resources: [execution.executionArn],
    Detail: JSON.stringify({
      executionArn: execution.executionArn,
      stateMachineArn: execution.stateMachineArn,
      name: execution.name,
      status: execution.status,
      startDate: Date.parse(execution.startDate),
      stopDate: Date.parse(execution.stopDate),
      input: execution.input,
      inputDetails: { included: true },
      output: null,
      outputDetails: null,
      error: execution.error,
      cause: execution.cause,
    }),
  };
}
