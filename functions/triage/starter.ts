import { ExecutionAlreadyExists, type SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { ConfigurationError } from "../shared/errors.js";
import type { PlaybookStarter } from "./core.js";

/** Starts a playbook's Standard state machine; the execution name makes a second start a no-op. */
export class StepFunctionsStarter implements PlaybookStarter {
  constructor(
    private readonly sfn: SFNClient,
    private readonly stateMachineArns: Readonly<Record<string, string>>,
  ) {}

  async start(playbook: string, executionName: string, input: object): Promise<void> {
    const stateMachineArn = this.stateMachineArns[playbook];
    if (!stateMachineArn)
      throw new ConfigurationError(`no state machine is deployed for playbook ${playbook}`);
    try {
      await this.sfn.send(
        new StartExecutionCommand({ stateMachineArn, name: executionName, input: JSON.stringify(input) }),
      );
    } catch (error) {
      if (error instanceof ExecutionAlreadyExists || (error as Error).name === "ExecutionAlreadyExists")
        return;
      throw error;
    }
  }
}
