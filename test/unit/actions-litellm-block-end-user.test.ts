import { afterEach, describe, expect, it } from "vitest";
import { blockLitellmEndUser } from "../../functions/actions/litellm-block-end-user/action.js";
import { runAction, runUndo } from "../../functions/actions/run.js";
import { MASTER_KEY, startGateway } from "./litellm-gateway.js";

const USER = "aad:5d2f7b1e-8c3a-4f6d-9e0b-1a2c3d4e5f60";
const input = { endUserId: USER };
const INFO = { call: `GET /customer/info?${new URLSearchParams({ end_user_id: USER })}` };
const BLOCK = { call: "POST /customer/block", body: { user_ids: [USER] } };

let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
});

async function gatewayWith(customers: { userId: string; blocked?: boolean }[]) {
  const started = await startGateway({ customers });
  stop = () => started.gateway.close();
  return started;
}

describe("litellm.block-end-user against the LiteLLM stand-in", () => {
  it("reads the customer, sends one POST /customer/block with the master key, and verifies the block by reading back", async () => {
    const { gateway, context, calls } = await gatewayWith([{ userId: USER }]);
    const result = await runAction(blockLitellmEndUser, input, { dryRun: false, context });
    expect(result).toMatchObject({
      mode: "applied",
      output: { endUserId: USER, knownBefore: true, alreadyBlocked: false },
      writes: [
        { kind: "http", method: "POST", url: `${gateway.url}/customer/block`, body: { user_ids: [USER] } },
      ],
      verified: `end user ${USER} is blocked`,
    });
    expect(calls()).toEqual([INFO, BLOCK, INFO]);
    expect(gateway.requests.every((request) => request.authorization === `Bearer ${MASTER_KEY}`)).toBe(true);
    expect(gateway.isBlocked(USER)).toBe(true);
    expect(JSON.stringify(result)).not.toContain(MASTER_KEY);
  });

  it("blocks an end user the gateway has no record of (the block creates it)", async () => {
    const { gateway, context } = await gatewayWith([]);
    const result = await runAction(blockLitellmEndUser, input, { dryRun: false, context });
    expect(result).toMatchObject({
      output: { knownBefore: false, alreadyBlocked: false },
      verified: expect.any(String),
    });
    expect(gateway.isBlocked(USER)).toBe(true);
  });

  it("writes nothing for an end user already blocked", async () => {
    const { context, calls } = await gatewayWith([{ userId: USER, blocked: true }]);
    const result = await runAction(blockLitellmEndUser, input, { dryRun: false, context });
    expect(result).toMatchObject({ writes: [], output: { alreadyBlocked: true }, verified: null });
    expect(calls()).toEqual([INFO]);
  });

  it("in dry run sends only the read and records the exact block it would send", async () => {
    const { gateway, context, calls } = await gatewayWith([{ userId: USER }]);
    const result = await runAction(blockLitellmEndUser, input, { dryRun: true, context });
    expect(result).toMatchObject({
      mode: "planned",
      writes: [expect.objectContaining({ body: { user_ids: [USER] } })],
    });
    expect(calls()).toEqual([INFO]);
    expect(gateway.isBlocked(USER)).toBe(false);
  });

  it("treats a 500 after the block was stored (BerriAI/litellm#41575) as done once the read-back shows it, sending it once", async () => {
    const { gateway, context, calls } = await gatewayWith([{ userId: USER }]);
    gateway.failNextBlockAfterStoring();
    const result = await runAction(blockLitellmEndUser, input, { dryRun: false, context });
    expect(result).toMatchObject({ mode: "applied", verified: `end user ${USER} is blocked` });
    expect(calls()).toEqual([INFO, BLOCK, INFO, INFO]);
  });

  it("undo clears the stored flag with POST /customer/update (not /customer/unblock, which never clears it)", async () => {
    const { gateway, context, calls } = await gatewayWith([{ userId: USER }]);
    const applied = await runAction(blockLitellmEndUser, input, { dryRun: false, context });
    gateway.requests.length = 0;
    const undone = await runUndo(blockLitellmEndUser, applied, { dryRun: false, context });
    expect(undone).toMatchObject({ mode: "applied" });
    expect(calls()).toEqual([
      INFO,
      { call: "POST /customer/update", body: { user_id: USER, blocked: false } },
    ]);
    expect(gateway.isBlocked(USER)).toBe(false);
  });

  it("undo writes nothing when someone already unblocked the end user", async () => {
    const { gateway, context, byHand } = await gatewayWith([{ userId: USER }]);
    const applied = await runAction(blockLitellmEndUser, input, { dryRun: false, context });
    expect((await byHand("/customer/update", { user_id: USER, blocked: false })).status).toBe(200);
    gateway.requests.length = 0;
    const undone = await runUndo(blockLitellmEndUser, applied, { dryRun: false, context });
    expect(undone.writes).toEqual([]);
    expect(gateway.requests.map((request) => request.method)).toEqual(["GET"]);
  });

  it("in dry run, undo plans the update and sends nothing", async () => {
    const { gateway, context } = await gatewayWith([{ userId: USER }]);
    const applied = await runAction(blockLitellmEndUser, input, { dryRun: false, context });
    const undone = await runUndo(blockLitellmEndUser, applied, { dryRun: true, context });
    expect(undone).toMatchObject({
      mode: "planned",
      writes: [expect.objectContaining({ url: `${gateway.url}/customer/update` })],
    });
    expect(gateway.isBlocked(USER)).toBe(true);
  });
});
