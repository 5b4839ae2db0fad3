import { GetParameterCommand, PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { afterEach, describe, expect, it } from "vitest";
import type { ActionContext } from "../../functions/actions/contract.js";
import { runAction, runUndo } from "../../functions/actions/run.js";
import {
  CHOSEN_BY,
  findParameterRollbackTarget,
} from "../../functions/actions/ssm-find-parameter-target/action.js";
import { putParameterValue } from "../../functions/actions/ssm-put-parameter-value/action.js";
import { TargetChanged, ValidationError, VerificationFailed } from "../../functions/shared/errors.js";
import {
  MODEL_ID_PARAMETER,
  MODEL_ID_PARAMETER_ARN,
  type ParameterSeed,
  SLACK_TOKEN_PARAMETER,
  type SsmStandin,
  ssmSeed,
  startSsmStandin,
} from "../../infra/local/standins/ssm.js";
import { contextWith } from "./action-context-doubles.js";

const ARN_PREFIX = "arn:aws:ssm:us-east-1:111122223333:parameter";
const ARN = MODEL_ID_PARAMETER_ARN;
const V1 = "anthropic.claude-3-5-sonnet-20240620-v1:0";
const V2 = "anthropic.claude-3-7-sonnet-20250219-v1:0";
const V3 = "acme.support-chat-ft-2026-11-29";
const HISTORY = { operation: "GetParameterHistory", body: { Name: MODEL_ID_PARAMETER, MaxResults: 50 } };
const GET = { operation: "GetParameter", body: { Name: MODEL_ID_PARAMETER } };
const PUT = (value: string) => ({
  operation: "PutParameter",
  body: { Name: MODEL_ID_PARAMETER, Value: value, Overwrite: true },
});
const putInput = { parameterArn: ARN, expectedValue: V3, value: V2 };

let standin: SsmStandin;
let client: SSMClient;

/** The stand-in (its seed plus `extra` parameters) and a context whose SSM client is pointed at it. */
async function start(extra: ParameterSeed[] = []): Promise<ActionContext> {
  standin = await startSsmStandin({ parameters: [...ssmSeed(), ...extra] });
  client = new SSMClient({
    endpoint: standin.url,
    region: "us-east-1",
    credentials: { accessKeyId: "AKIDQUELLLOCAL", secretAccessKey: "local" },
    maxAttempts: 1,
  });
  return contextWith({ ssm: client });
}

/** A String parameter `/support-chat/<leaf>` with one version per value, a day apart from 2026-01-01. */
const stringParameter = (leaf: string, values: string[]): ParameterSeed => ({
  name: `/support-chat/${leaf}`,
  type: "String",
  versions: values.map((value, day) => ({
    value,
    at: new Date(Date.UTC(2026, 0, 1 + day, 9)),
    user: "arn:aws:iam::111122223333:user/ml-platform-deployer",
  })),
});

/** What SSM received: each request's operation and body, in order. */
const received = () => standin.requests.map(({ operation, body }) => ({ operation, body }));

afterEach(async () => {
  client?.destroy();
  await standin?.close();
});

describe("ssm.find-parameter-rollback-target", () => {
  const find = (context: ActionContext, parameterArn = ARN) =>
    runAction(findParameterRollbackTarget, { parameterArn }, { dryRun: false, context });

  it("reads the history, never decrypted, and names the newest earlier value and when it stopped being live", async () => {
    const context = await start();
    const result = await find(context);
    expect(received()).toEqual([HISTORY]);
    expect(standin.requests[0]).toMatchObject({
      method: "POST",
      path: "/",
      contentType: "application/x-amz-json-1.1",
      authorization: expect.stringMatching(
        /^AWS4-HMAC-SHA256 Credential=AKIDQUELLLOCAL\/\d{8}\/us-east-1\/ssm\/aws4_request, /,
      ),
    });
    expect(result).toMatchObject({ mode: "applied", writes: [] });
    expect(result.output).toEqual({
      name: MODEL_ID_PARAMETER,
      currentVersion: 3,
      currentValue: V3,
      targetVersion: 2,
      targetValue: V2,
      targetLastLiveAt: "2026-11-29T09:00:00.000Z",
      chosenBy: CHOSEN_BY,
      found: true,
      why: `put back version 2 (${V2}), live until 2026-11-29T09:00:00.000Z when version 3 replaced it; now version 3 (${V3})`,
    });
  });

  it("skips a re-put of the current value: the target is the newest earlier value that differs", async () => {
    const context = await start();
    standin.putByHand(MODEL_ID_PARAMETER, V3);
    const { output } = await find(context);
    expect(output).toMatchObject({
      currentVersion: 4,
      currentValue: V3,
      targetVersion: 2,
      targetValue: V2,
      targetLastLiveAt: "2026-11-29T09:00:00.000Z",
      found: true,
    });
  });

  it("reads every page of a long history (NextToken)", async () => {
    const values = [
      ...Array.from({ length: 55 }, () => "model-a"),
      ...Array.from({ length: 5 }, () => "model-b"),
    ];
    const context = await start([stringParameter("long-history", values)]);
    const { output } = await find(context, `${ARN_PREFIX}/support-chat/long-history`);
    expect(received()).toEqual([
      { operation: "GetParameterHistory", body: { Name: "/support-chat/long-history", MaxResults: 50 } },
      {
        operation: "GetParameterHistory",
        body: { Name: "/support-chat/long-history", MaxResults: 50, NextToken: expect.any(String) },
      },
    ]);
    expect(output).toMatchObject({
      currentVersion: 60,
      targetVersion: 55,
      targetValue: "model-a",
      targetLastLiveAt: new Date(Date.UTC(2026, 0, 56, 9)).toISOString(),
      found: true,
    });
  });

  it("finds nothing when no earlier version holds another value", async () => {
    const context = await start([stringParameter("pinned", ["model-a", "model-a"])]);
    const { output } = await find(context, `${ARN_PREFIX}/support-chat/pinned`);
    expect(output).toMatchObject({
      currentVersion: 2,
      currentValue: "model-a",
      targetVersion: null,
      found: false,
      why: "no earlier version of /support-chat/pinned holds another value than model-a",
    });
  });

  it("refuses Quell's own parameters under /quell/ without reading them", async () => {
    const context = await start();
    const { output } = await find(context, `${ARN_PREFIX}${SLACK_TOKEN_PARAMETER}`);
    expect(standin.requests).toEqual([]);
    expect(output).toEqual({
      name: SLACK_TOKEN_PARAMETER,
      currentVersion: null,
      currentValue: null,
      targetVersion: null,
      targetValue: null,
      targetLastLiveAt: null,
      chosenBy: CHOSEN_BY,
      found: false,
      why: `${SLACK_TOKEN_PARAMETER} is under /quell/, Quell's own secrets: Quell never reads or changes them`,
    });
  });

  it("refuses a SecureString, showing no value", async () => {
    const secure = {
      ...stringParameter("provider-key", ["key-one", "key-two"]),
      type: "SecureString" as const,
    };
    const context = await start([secure]);
    const { output } = await find(context, `${ARN_PREFIX}/support-chat/provider-key`);
    expect(output).toMatchObject({
      currentVersion: 2,
      currentValue: null,
      targetValue: null,
      found: false,
      why: "/support-chat/provider-key is a SecureString: Quell does not decrypt values to roll them back",
    });
  });

  it("refuses values that are not a model id: too long, or not printable", async () => {
    const context = await start([
      stringParameter("long-target", ["x".repeat(513), "model-b"]),
      stringParameter("control-current", ["model-a", "model-b\u0007"]),
    ]);
    const long = await find(context, `${ARN_PREFIX}/support-chat/long-target`);
    expect(long.output).toMatchObject({
      targetVersion: 1,
      targetValue: null,
      found: false,
      why: "version 1's value is not a model id: it is 513 characters long (a model id is at most 512)",
    });
    const control = await find(context, `${ARN_PREFIX}/support-chat/control-current`);
    expect(control.output).toMatchObject({
      currentVersion: 2,
      currentValue: null,
      found: false,
      why: "the current value (version 2) is not a model id: it holds characters that are not printable text",
    });
  });

  it("refuses malformed parameter ARNs before calling SSM", async () => {
    const context = await start();
    for (const parameterArn of [
      `${ARN_PREFIX}/support-chat/../quell/dev/SLACK_BOT_TOKEN`,
      `${ARN_PREFIX}/support-chat/*`,
      `${ARN_PREFIX}/support chat/model-id`,
      `${ARN_PREFIX}/`,
      `${ARN_PREFIX}${"/level".repeat(16)}`,
      "arn:aws:ssm:us-east-1:111122223333:document/model-id",
      "arn:aws:secretsmanager:us-east-1:111122223333:secret:model-id",
      MODEL_ID_PARAMETER,
    ]) {
      await expect(find(context, parameterArn)).rejects.toBeInstanceOf(ValidationError);
    }
    expect(standin.requests).toEqual([]);
  });
});

describe("ssm.put-parameter-value", () => {
  it("overwrites the value, sending only name, value and Overwrite, then reads it back", async () => {
    const context = await start();
    const result = await runAction(putParameterValue, putInput, { dryRun: false, context });
    expect(received()).toEqual([GET, PUT(V2), GET]);
    expect(result).toMatchObject({
      mode: "applied",
      output: { name: MODEL_ID_PARAMETER, replacedValue: V3, value: V2, version: 3 },
      verified: `parameter ${MODEL_ID_PARAMETER} version 4 holds "${V2}"`,
    });
    // A new version that kept the parameter's type, tier and description.
    expect(standin.history(MODEL_ID_PARAMETER).at(-1)).toMatchObject({
      Version: 4,
      Value: V2,
      Type: "String",
      Tier: "Standard",
      Description: "Model id the support chat assistant calls",
      LastModifiedUser: "arn:aws:sts::111122223333:assumed-role/local/AKIDQUELLLOCAL",
    });
  });

  it("in dry run records the PutParameter it would send, and sends only the read", async () => {
    const context = await start();
    const result = await runAction(putParameterValue, putInput, { dryRun: true, context });
    expect(result.mode).toBe("planned");
    expect(result.writes).toEqual([
      { kind: "aws", service: "ssm", operation: "PutParameter", input: PUT(V2).body },
    ]);
    expect(received()).toEqual([GET]);
  });

  it("writes nothing when the parameter already holds the value", async () => {
    const context = await start();
    standin.putByHand(MODEL_ID_PARAMETER, V2);
    const result = await runAction(putParameterValue, putInput, { dryRun: false, context });
    expect(result).toMatchObject({ mode: "applied", writes: [], verified: null });
    expect(received()).toEqual([GET]);
  });

  it("refuses, writing nothing, when someone changed the value since the approval", async () => {
    const context = await start();
    standin.putByHand(MODEL_ID_PARAMETER, "acme.support-chat-ft-2026-12-01");
    const run = runAction(putParameterValue, putInput, { dryRun: false, context });
    await expect(run).rejects.toBeInstanceOf(TargetChanged);
    await expect(run).rejects.toThrow(
      `parameter ${MODEL_ID_PARAMETER} version 4 holds "acme.support-chat-ft-2026-12-01", not the "${V3}" the approval was for`,
    );
    expect(received()).toEqual([GET]);
  });

  it("refuses a SecureString after reading it (never decrypted), writing nothing", async () => {
    const secure = {
      ...stringParameter("provider-key", ["key-one", "key-two"]),
      type: "SecureString" as const,
    };
    const context = await start([secure]);
    const input = {
      parameterArn: `${ARN_PREFIX}/support-chat/provider-key`,
      expectedValue: "key-two",
      value: "key-one",
    };
    const run = runAction(putParameterValue, input, { dryRun: false, context });
    await expect(run).rejects.toBeInstanceOf(ValidationError);
    await expect(run).rejects.toThrow("is a SecureString: Quell does not decrypt values to roll them back");
    expect(received()).toEqual([{ operation: "GetParameter", body: { Name: "/support-chat/provider-key" } }]);
  });

  it("refuses Quell's own parameters, values that are not a model id, and malformed ARNs before calling SSM", async () => {
    const context = await start();
    for (const input of [
      { ...putInput, parameterArn: `${ARN_PREFIX}${SLACK_TOKEN_PARAMETER}` },
      { ...putInput, parameterArn: `${ARN_PREFIX}/QUELL/prod/SLACK_BOT_TOKEN` },
      { ...putInput, value: "x".repeat(513) },
      { ...putInput, value: "model\nid" },
      { ...putInput, value: "" },
      { ...putInput, expectedValue: "\u202Emodel" },
      { ...putInput, parameterArn: `${ARN_PREFIX}/support-chat/./model-id` },
    ]) {
      const run = runAction(putParameterValue, input, { dryRun: false, context });
      await expect(run).rejects.toBeInstanceOf(ValidationError);
    }
    expect(standin.requests).toEqual([]);
  });

  it("refuses a parameter ARN of another account than the client reaches, writing nothing", async () => {
    const context = await start();
    const input = { ...putInput, parameterArn: ARN.replace("111122223333", "444455556666") };
    await expect(runAction(putParameterValue, input, { dryRun: false, context })).rejects.toThrow(
      "another account or region than the ARN",
    );
    expect(standin.operations()).toEqual(["GetParameter"]);
  });

  it("fails the step when the read-back does not find the value (SSM said OK and changed nothing)", async () => {
    const context = await start();
    standin.faults.next({
      path: "/",
      where: (request) => (request.body as { Overwrite?: unknown }).Overwrite === true,
      status: 200,
      applied: false,
      body: { Version: 4, Tier: "Standard" },
    });
    const run = runAction(putParameterValue, putInput, { dryRun: false, context });
    await expect(run).rejects.toBeInstanceOf(VerificationFailed);
    await expect(run).rejects.toThrow(
      `read-back found: parameter ${MODEL_ID_PARAMETER} version 3 holds "${V3}"`,
    );
  });

  describe("undo (given the output the applied run recorded)", () => {
    const applied = { name: MODEL_ID_PARAMETER, replacedValue: V3, value: V2, version: 3 };
    const undo = (context: ActionContext) =>
      runUndo(putParameterValue, { input: putInput, output: applied }, { dryRun: false, context });

    it("puts the replaced value back once it reads the value Quell put", async () => {
      const context = await start();
      standin.putByHand(MODEL_ID_PARAMETER, V2);
      const result = await undo(context);
      expect(received()).toEqual([GET, PUT(V3)]);
      expect(result.writes).toEqual([
        { kind: "aws", service: "ssm", operation: "PutParameter", input: PUT(V3).body },
      ]);
      expect(standin.parameter(MODEL_ID_PARAMETER)).toMatchObject({ Version: 5, Value: V3 });
    });

    it("writes nothing when the replaced value is already back", async () => {
      const context = await start();
      const result = await undo(context);
      expect(result.writes).toEqual([]);
      expect(received()).toEqual([GET]);
    });

    it("refuses, writing nothing, when someone changed the value after Quell put it", async () => {
      const context = await start();
      standin.putByHand(MODEL_ID_PARAMETER, "acme.support-chat-ft-2026-12-01");
      const run = undo(context);
      await expect(run).rejects.toBeInstanceOf(TargetChanged);
      await expect(run).rejects.toThrow(`not the "${V2}" Quell put: someone changed it since`);
      expect(received()).toEqual([GET]);
    });
  });
});

describe("SSM stand-in, on the wire", () => {
  it("answers a SecureString encrypted unless decryption is asked for", async () => {
    await start();
    const plain = await client.send(new GetParameterCommand({ Name: SLACK_TOKEN_PARAMETER }));
    expect(plain.Parameter).toMatchObject({ Type: "SecureString", Version: 1 });
    expect(plain.Parameter?.Value).not.toBe("local-stand-in-slack-bot-token");
  });

  it("refuses to overwrite without Overwrite, and Tags together with Overwrite, as SSM does", async () => {
    await start();
    await expect(
      client.send(new PutParameterCommand({ Name: MODEL_ID_PARAMETER, Value: V1 })),
    ).rejects.toMatchObject({ name: "ParameterAlreadyExists" });
    await expect(
      client.send(
        new PutParameterCommand({
          Name: MODEL_ID_PARAMETER,
          Value: V1,
          Overwrite: true,
          Tags: [{ Key: "team", Value: "support" }],
        }),
      ),
    ).rejects.toMatchObject({
      name: "ValidationException",
      message: expect.stringContaining("tags and overwrite can't be used together"),
    });
    expect(standin.parameter(MODEL_ID_PARAMETER)).toMatchObject({ Version: 3, Value: V3 });
  });

  it("refuses a request signed for another service", async () => {
    await start();
    const answer = await fetch(standin.url, {
      method: "POST",
      headers: {
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": "AmazonSSM.GetParameter",
        authorization: `AWS4-HMAC-SHA256 Credential=AKID/20261203/us-east-1/sagemaker/aws4_request, SignedHeaders=host, Signature=${"0".repeat(64)}`,
      },
      body: JSON.stringify({ Name: MODEL_ID_PARAMETER }),
    });
    expect(answer.status).toBe(403);
    expect(await answer.json()).toMatchObject({ __type: "IncompleteSignatureException" });
  });
});
