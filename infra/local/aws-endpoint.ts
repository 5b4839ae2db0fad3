import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { LocalEventBus } from "./bus.js";
import { AwsStyleError, type LocalStepFunctions } from "./stepfunctions.js";

/**
 * The AWS JSON-protocol endpoints the handlers reach through `AWS_ENDPOINT_URL_<SERVICE>`: Step Functions
 * (StartExecution, SendTaskSuccess, SendTaskFailure, DescribeExecution) and EventBridge (PutEvents). Any
 * other service or operation is refused, so no local run can ever call AWS.
 */
export function createAwsEndpoint(stepFunctions: LocalStepFunctions, bus: LocalEventBus) {
  const operations: Record<string, (input: Record<string, unknown>) => unknown> = {
    "AWSStepFunctions.StartExecution": (input) => {
      const execution = stepFunctions.startExecution({
        stateMachineArn: String(input.stateMachineArn),
        ...(typeof input.name === "string" ? { name: input.name } : {}),
        ...(typeof input.input === "string" ? { input: input.input } : {}),
      });
      return { executionArn: execution.executionArn, startDate: execution.startDate.getTime() / 1000 };
    },
    "AWSStepFunctions.SendTaskSuccess": (input) => {
      stepFunctions.sendTaskSuccess(String(input.taskToken), String(input.output ?? "{}"));
      return {};
    },
    "AWSStepFunctions.SendTaskFailure": (input) => {
      stepFunctions.sendTaskFailure(
        String(input.taskToken),
        typeof input.error === "string" ? input.error : undefined,
        typeof input.cause === "string" ? input.cause : undefined,
      );
      return {};
    },
    "AWSStepFunctions.DescribeExecution": (input) => {
      const execution = stepFunctions.describeExecution(String(input.executionArn));
      return {
        executionArn: execution.executionArn,
        stateMachineArn: execution.stateMachineArn,
        name: execution.name,
        status: execution.status,
        startDate: execution.startDate.getTime() / 1000,
        ...(execution.stopDate ? { stopDate: execution.stopDate.getTime() / 1000 } : {}),
        input: execution.input,
        ...(execution.output ? { output: execution.output } : {}),
        ...(execution.error ? { error: execution.error, cause: execution.cause } : {}),
      };
    },
    "AWSEvents.PutEvents": (input) => {
      const entries = (input.Entries as Record<string, unknown>[] | undefined) ?? [];
      return {
        FailedEntryCount: 0,
        Entries: entries.map((entry) => ({ EventId: bus.put(entry) })),
      };
    },
  };

  return async (request: IncomingMessage, response: ServerResponse, body: Buffer) => {
    const target = String(request.headers["x-amz-target"] ?? "");
    const contentType = target.startsWith("AWSEvents.")
      ? "application/x-amz-json-1.1"
      : "application/x-amz-json-1.0";
    const send = (status: number, payload: unknown) => {
      response.writeHead(status, { "content-type": contentType, "x-amzn-requestid": randomUUID() });
      response.end(JSON.stringify(payload));
    };
    const operation = operations[target];
    if (!operation) {
      return send(400, {
        __type: "UnknownOperationException",
        message: `${target || request.url} is not available on the local runtime`,
      });
    }
    try {
      return send(200, operation(JSON.parse(body.toString("utf8") || "{}")));
    } catch (error) {
      const name = error instanceof AwsStyleError ? error.name : "InternalFailure";
      return send(name === "InternalFailure" ? 500 : 400, {
        __type: name,
        message: (error as Error).message,
      });
    }
  };
}
