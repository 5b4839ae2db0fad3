import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from "@aws-sdk/client-sfn";

/** SendTaskSuccess / SendTaskFailure for a callback task waiting on a task token. */
export interface TaskSettler {
  succeed(taskToken: string, output: Record<string, unknown>): Promise<void>;
  fail(taskToken: string, error: string, cause: string): Promise<void>;
}

/** The TaskSettler on Step Functions (or the local Step Functions endpoint). */
export const stepFunctionsTaskSettler = (sfn: SFNClient): TaskSettler => ({
  async succeed(taskToken, output) {
    await sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
  },
  async fail(taskToken, error, cause) {
    await sfn.send(new SendTaskFailureCommand({ taskToken, error, cause }));
  },
});
