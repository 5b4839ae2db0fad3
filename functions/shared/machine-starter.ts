import { ExecutionAlreadyExists, type SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { ConfigurationError } from "./errors.js";
import type { SubjectAsset } from "./incident.js";

/**
 * What a playbook execution starts with (compiled paths read it: playbooks/compile.ts). `dryRun` makes this
 * one execution plan its writes without sending them.
 */
export interface PlaybookInput {
  readonly incidentId: string;
  readonly alert: unknown;
  readonly dryRun: boolean;
  /** The inventory's entry for the asset the alert is about (`listed: false` when it lists none). */
  readonly asset: SubjectAsset;
}

/** Starts a named state machine (a playbook, or the undo machine); starting twice must not run it twice. */
export interface MachineStarter {
  start(machine: string, executionName: string, input: object): Promise<void>;
}

/** Starts Standard state machines by name; the execution name makes a second start a no-op. */
export class StepFunctionsStarter implements MachineStarter {
  constructor(
    private readonly sfn: SFNClient,
    private readonly stateMachineArns: Readonly<Record<string, string>>,
  ) {}

  async start(machine: string, executionName: string, input: object): Promise<void> {
    const stateMachineArn = this.stateMachineArns[machine];
    if (!stateMachineArn) throw new ConfigurationError(`no state machine ${machine} is deployed`);
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
