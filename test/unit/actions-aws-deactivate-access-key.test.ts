import {
  type AccessKeyMetadata,
  type IAMClient,
  ListAccessKeysCommand,
  UpdateAccessKeyCommand,
} from "@aws-sdk/client-iam";
import { describe, expect, it } from "vitest";
import { deactivateAwsAccessKey } from "../../functions/actions/aws-deactivate-access-key/action.js";
import { runAction } from "../../functions/actions/run.js";
import { ValidationError, VerificationFailed } from "../../functions/shared/errors.js";
import { contextWith, recordingClient } from "./action-context-doubles.js";

const USER = "ci-deployer";
const KEY = "AKIAIOSFODNN7EXAMPLE";
const input = { userName: USER, accessKeyId: KEY };

/**
 * An IAM client double: records every command, answers ListAccessKeys with `keys` and applies UpdateAccessKey
 * to them, unless `ignoreUpdates` (an IAM that accepts the call and changes nothing).
 */
function fakeIam(keys: AccessKeyMetadata[], options: { ignoreUpdates?: boolean } = {}) {
  const { client, sent } = recordingClient((command: ListAccessKeysCommand | UpdateAccessKeyCommand) => {
    if (command instanceof ListAccessKeysCommand)
      return { AccessKeyMetadata: structuredClone(keys), IsTruncated: false };
    if (command instanceof UpdateAccessKeyCommand) {
      const key = keys.find((candidate) => candidate.AccessKeyId === command.input.AccessKeyId);
      if (key && !options.ignoreUpdates) key.Status = command.input.Status;
      return {};
    }
    throw new Error(`unexpected command ${String(command)}`);
  });
  const context = contextWith({ iam: client as unknown as IAMClient });
  return { context, sent };
}

describe("aws.deactivate-access-key", () => {
  it("lists the user's keys, then sets the key Inactive", async () => {
    const { context, sent } = fakeIam([
      { UserName: USER, AccessKeyId: "AKIAOTHERKEYEXAMPLE1", Status: "Active" },
      { UserName: USER, AccessKeyId: KEY, Status: "Active" },
    ]);
    const result = await runAction(deactivateAwsAccessKey, input, { dryRun: false, context });
    expect(sent).toEqual([
      { command: "ListAccessKeysCommand", input: { UserName: USER } },
      { command: "UpdateAccessKeyCommand", input: { UserName: USER, AccessKeyId: KEY, Status: "Inactive" } },
      // The read-back that verifies the key is now Inactive.
      { command: "ListAccessKeysCommand", input: { UserName: USER } },
    ]);
    expect(result).toMatchObject({
      mode: "applied",
      output: { ...input, previousStatus: "Active" },
      verified: `access key ${KEY} is Inactive`,
    });
  });

  it("fails the step when the read-back still finds the key Active (the containment did not hold)", async () => {
    const { context } = fakeIam([{ UserName: USER, AccessKeyId: KEY, Status: "Active" }], {
      ignoreUpdates: true,
    });
    const run = runAction(deactivateAwsAccessKey, input, { dryRun: false, context });
    await expect(run).rejects.toBeInstanceOf(VerificationFailed);
    await expect(run).rejects.toThrow(`read-back found: access key ${KEY} is Active`);
  });

  it("in dry run records the UpdateAccessKey it would send, and sends only the read", async () => {
    const { context, sent } = fakeIam([{ UserName: USER, AccessKeyId: KEY, Status: "Active" }]);
    const result = await runAction(deactivateAwsAccessKey, input, { dryRun: true, context });
    expect(result.mode).toBe("planned");
    expect(result.writes).toEqual([
      {
        kind: "aws",
        service: "iam",
        operation: "UpdateAccessKey",
        input: { UserName: USER, AccessKeyId: KEY, Status: "Inactive" },
      },
    ]);
    expect(sent.map((entry) => entry.command)).toEqual(["ListAccessKeysCommand"]);
  });

  it("writes nothing when the key is already Inactive", async () => {
    const { context, sent } = fakeIam([{ UserName: USER, AccessKeyId: KEY, Status: "Inactive" }]);
    const result = await runAction(deactivateAwsAccessKey, input, { dryRun: false, context });
    expect(sent.map((entry) => entry.command)).toEqual(["ListAccessKeysCommand"]);
    expect(result).toMatchObject({ mode: "applied", writes: [], output: { previousStatus: "Inactive" } });
  });

  it("refuses a key that is not the user's, without writing", async () => {
    const { context, sent } = fakeIam([
      { UserName: USER, AccessKeyId: "AKIAOTHERKEYEXAMPLE1", Status: "Active" },
    ]);
    const run = runAction(deactivateAwsAccessKey, input, { dryRun: false, context });
    await expect(run).rejects.toBeInstanceOf(ValidationError);
    await expect(run).rejects.toThrow(`access key ${KEY} does not belong to IAM user ${USER}`);
    expect(sent.map((entry) => entry.command)).toEqual(["ListAccessKeysCommand"]);
  });

  it("refuses malformed input before calling IAM", async () => {
    const { context, sent } = fakeIam([]);
    const run = runAction(
      deactivateAwsAccessKey,
      { userName: USER, accessKeyId: "not-a-key" },
      {
        dryRun: false,
        context,
      },
    );
    await expect(run).rejects.toBeInstanceOf(ValidationError);
    expect(sent).toEqual([]);
  });

  it("undo sets the key Active again", async () => {
    const { context, sent } = fakeIam([]);
    const undo = deactivateAwsAccessKey.undo;
    expect(undo).toBeTypeOf("function");
    const writes = (await undo?.(input, context, { output: { ...input, previousStatus: "Active" } })) ?? [];
    for (const write of writes) await write.send();
    expect(sent).toEqual([
      { command: "UpdateAccessKeyCommand", input: { UserName: USER, AccessKeyId: KEY, Status: "Active" } },
    ]);
    expect(writes.map((write) => write.description)).toEqual([
      {
        kind: "aws",
        service: "iam",
        operation: "UpdateAccessKey",
        input: { UserName: USER, AccessKeyId: KEY, Status: "Active" },
      },
    ]);
  });
});
