import { afterEach, describe, expect, it } from "vitest";
import { throttleLitellmVirtualKey } from "../../functions/actions/litellm-throttle-virtual-key/action.js";
import { createActionContext, runAction, runUndo } from "../../functions/actions/run.js";
import { ConfigurationError, ProviderError, TargetChanged } from "../../functions/shared/errors.js";
import { recordingJournal } from "./action-context-doubles.js";
import { MASTER_KEY, startGateway } from "./litellm-gateway.js";

const KEY = "gwk_7a0d3e44";
const input = { key: KEY, rpmLimit: 10, tpmLimit: 20_000 };
const INFO = { call: `GET /key/info?key=${KEY}` };

let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
});

async function gatewayWith(rpmLimit: number | null, tpmLimit: number | null) {
  const started = await startGateway({
    keys: [{ key: KEY, alias: "tenant-embeddings", rpmLimit, tpmLimit }],
  });
  stop = () => started.gateway.close();
  return started;
}

describe("litellm.throttle-virtual-key against the LiteLLM stand-in", () => {
  it("reads the key, lowers both limits with one POST /key/update carrying the master key, and verifies by reading back", async () => {
    const { gateway, context, calls } = await gatewayWith(600, 2_000_000);
    const result = await runAction(throttleLitellmVirtualKey, input, { dryRun: false, context });
    expect(result).toMatchObject({
      mode: "applied",
      output: {
        key: KEY,
        keyAlias: "tenant-embeddings",
        previousRpmLimit: 600,
        previousTpmLimit: 2_000_000,
        rpmLimit: 10,
        tpmLimit: 20_000,
        alreadyThrottled: false,
      },
      writes: [
        {
          kind: "http",
          method: "POST",
          url: `${gateway.url}/key/update`,
          body: { key: KEY, rpm_limit: 10, tpm_limit: 20_000 },
        },
      ],
      verified: `key ${KEY}: rpm_limit 10, tpm_limit 20000`,
    });
    expect(calls()).toEqual([
      INFO,
      { call: "POST /key/update", body: { key: KEY, rpm_limit: 10, tpm_limit: 20_000 } },
      INFO,
    ]);
    expect(gateway.requests.every((request) => request.authorization === `Bearer ${MASTER_KEY}`)).toBe(true);
    expect(gateway.limitsOf(KEY)).toEqual({ rpm: 10, tpm: 20_000 });
    // The master key is never part of what the run records.
    expect(JSON.stringify(result)).not.toContain(MASTER_KEY);
  });

  it("keeps a limit that is already lower, and sets one the key did not have", async () => {
    const { gateway, context } = await gatewayWith(5, null);
    const result = await runAction(throttleLitellmVirtualKey, input, { dryRun: false, context });
    expect(result.writes).toEqual([
      expect.objectContaining({ body: { key: KEY, rpm_limit: 5, tpm_limit: 20_000 } }),
    ]);
    expect(gateway.limitsOf(KEY)).toEqual({ rpm: 5, tpm: 20_000 });
  });

  it("writes nothing when the key is already at or under both limits", async () => {
    const { context, calls } = await gatewayWith(10, 1_000);
    const result = await runAction(throttleLitellmVirtualKey, input, { dryRun: false, context });
    expect(result).toMatchObject({
      mode: "applied",
      writes: [],
      output: { alreadyThrottled: true },
      verified: null,
    });
    expect(calls()).toEqual([INFO]);
  });

  it("in dry run sends only the read and records the exact update it would send", async () => {
    const { gateway, context, calls } = await gatewayWith(600, 2_000_000);
    const result = await runAction(throttleLitellmVirtualKey, input, { dryRun: true, context });
    expect(result).toMatchObject({
      mode: "planned",
      writes: [
        expect.objectContaining({ method: "POST", body: { key: KEY, rpm_limit: 10, tpm_limit: 20_000 } }),
      ],
    });
    expect(calls()).toEqual([INFO]);
    expect(gateway.limitsOf(KEY)).toEqual({ rpm: 600, tpm: 2_000_000 });
  });

  it("undo restores the recorded previous limits, a missing one as null (no limit)", async () => {
    const { gateway, context, calls } = await gatewayWith(600, null);
    const applied = await runAction(throttleLitellmVirtualKey, input, { dryRun: false, context });
    gateway.requests.length = 0;
    const undone = await runUndo(throttleLitellmVirtualKey, applied, { dryRun: false, context });
    expect(undone).toMatchObject({ mode: "applied" });
    expect(calls()).toEqual([
      INFO,
      { call: "POST /key/update", body: { key: KEY, rpm_limit: 600, tpm_limit: null } },
    ]);
    expect(gateway.limitsOf(KEY)).toEqual({ rpm: 600, tpm: null });
  });

  it("undo refuses with TargetChanged, writing nothing, when someone changed the limits after Quell set them", async () => {
    const { gateway, context, calls, byHand } = await gatewayWith(600, 2_000_000);
    const applied = await runAction(throttleLitellmVirtualKey, input, { dryRun: false, context });
    expect((await byHand("/key/update", { key: KEY, rpm_limit: 2 })).status).toBe(200);
    gateway.requests.length = 0;
    await expect(runUndo(throttleLitellmVirtualKey, applied, { dryRun: false, context })).rejects.toThrow(
      TargetChanged,
    );
    expect(calls()).toEqual([INFO]);
    expect(gateway.limitsOf(KEY)).toEqual({ rpm: 2, tpm: 20_000 });
  });

  it("undo writes nothing when the previous limits are already back", async () => {
    const { gateway, context, byHand } = await gatewayWith(600, 2_000_000);
    const applied = await runAction(throttleLitellmVirtualKey, input, { dryRun: false, context });
    await byHand("/key/update", { key: KEY, rpm_limit: 600, tpm_limit: 2_000_000 });
    const undone = await runUndo(throttleLitellmVirtualKey, applied, { dryRun: false, context });
    expect(undone.writes).toEqual([]);
    expect(gateway.limitsOf(KEY)).toEqual({ rpm: 600, tpm: 2_000_000 });
  });

  it("fails with the gateway's answer for a key it does not know, and without a gateway address", async () => {
    const { context } = await gatewayWith(600, 2_000_000);
    await expect(
      runAction(throttleLitellmVirtualKey, { ...input, key: "gwk_unknown" }, { dryRun: false, context }),
    ).rejects.toMatchObject({ name: ProviderError.name, status: 404 });
    const unconfigured = createActionContext({ LITELLM_MASTER_KEY: MASTER_KEY }, recordingJournal().journal);
    await expect(
      runAction(throttleLitellmVirtualKey, input, { dryRun: true, context: unconfigured }),
    ).rejects.toThrow(ConfigurationError);
  });
});
