import * as z from "zod";
import { SecretNames } from "../../shared/env.js";
import { TargetChanged } from "../../shared/errors.js";
import { type ActionContext, defineAction } from "../contract.js";
import { litellmPost, litellmRead } from "../litellm-gateway.js";

/** How an alert names a virtual key: its token (the hash LiteLLM stores) or another id LiteLLM's `key` takes. */
const KeyReference = z.string().regex(/^[A-Za-z0-9_.:-]{1,256}$/, "a LiteLLM virtual key token or id");
const Limit = z.number().int().positive();
/** A key's limit as LiteLLM reports it; null is no limit. */
const CurrentLimit = z.number().int().nonnegative().nullable();

/** `GET /key/info?key=…` answers `{key, info: {…}}`; these are the fields Quell reads. */
const KeyInfo = z.object({
  info: z.object({
    key_alias: z.string().nullable().optional(),
    rpm_limit: CurrentLimit.optional(),
    tpm_limit: CurrentLimit.optional(),
  }),
});

interface Limits {
  readonly rpm: number | null;
  readonly tpm: number | null;
}

async function readKey(context: ActionContext, key: string) {
  const { info } = await litellmRead(context, "/key/info", { key }, KeyInfo);
  return {
    alias: info.key_alias ?? null,
    limits: { rpm: info.rpm_limit ?? null, tpm: info.tpm_limit ?? null },
  };
}

const updateLimits = (context: ActionContext, key: string, limits: Limits) =>
  litellmPost(context, "/key/update", { key, rpm_limit: limits.rpm, tpm_limit: limits.tpm });

/** The lower of a current limit (null: none) and the ceiling. */
const lowered = (current: number | null, ceiling: number) =>
  current === null ? ceiling : Math.min(current, ceiling);
const sameLimits = (a: Limits, b: Limits) => a.rpm === b.rpm && a.tpm === b.tpm;
const limitsText = ({ rpm, tpm }: Limits) => `rpm_limit ${rpm ?? "none"}, tpm_limit ${tpm ?? "none"}`;

/**
 * Lower a LiteLLM virtual key's requests- and tokens-per-minute limits to at most the given ceilings
 * (`POST /key/update`), never raising one that is already lower. The key keeps working, slowly.
 *
 * Reversible: the output records the limits the key had, and undo puts them back (null: no limit) once it has
 * read that the key still has the limits Quell set. Someone changed them since: undo refuses, writing nothing
 * (`TargetChanged`).
 */
export const throttleLitellmVirtualKey = defineAction({
  name: "litellm.throttle-virtual-key",
  description:
    "Lower a LiteLLM proxy virtual key's rpm_limit and tpm_limit (POST /key/update), keeping any lower limit.",
  input: z.object({ key: KeyReference, rpmLimit: Limit, tpmLimit: Limit }),
  output: z.object({
    key: z.string(),
    keyAlias: z.string().nullable(),
    previousRpmLimit: CurrentLimit,
    previousTpmLimit: CurrentLimit,
    rpmLimit: CurrentLimit,
    tpmLimit: CurrentLimit,
    alreadyThrottled: z.boolean(),
  }),
  secrets: [SecretNames.litellmMasterKey],
  iam: [],
  reversible: true,
  // Not low: a gateway key often serves a whole app or tenant, whose legitimate traffic slows down too.
  blastRadius: { maxWrites: 1, low: false },
  timeoutSeconds: 30,
  async plan(input, context) {
    const { alias, limits } = await readKey(context, input.key);
    const target = { rpm: lowered(limits.rpm, input.rpmLimit), tpm: lowered(limits.tpm, input.tpmLimit) };
    const alreadyThrottled = sameLimits(limits, target);
    const output = {
      key: input.key,
      keyAlias: alias,
      previousRpmLimit: limits.rpm,
      previousTpmLimit: limits.tpm,
      rpmLimit: target.rpm,
      tpmLimit: target.tpm,
      alreadyThrottled,
    };
    return { output, writes: alreadyThrottled ? [] : [updateLimits(context, input.key, target)] };
  },
  async verify(input, context) {
    const { limits } = await readKey(context, input.key);
    const holds =
      limits.rpm !== null &&
      limits.rpm <= input.rpmLimit &&
      limits.tpm !== null &&
      limits.tpm <= input.tpmLimit;
    return { verified: holds, observed: `key ${input.key}: ${limitsText(limits)}` };
  },
  async undo(input, context, { output }) {
    const { limits } = await readKey(context, input.key);
    const previous = { rpm: output.previousRpmLimit, tpm: output.previousTpmLimit };
    // Someone already put them back: nothing left to restore.
    if (sameLimits(limits, previous)) return [];
    if (!sameLimits(limits, { rpm: output.rpmLimit, tpm: output.tpmLimit })) {
      throw new TargetChanged(
        `key ${input.key} has ${limitsText(limits)}, not the ${limitsText({ rpm: output.rpmLimit, tpm: output.tpmLimit })} ` +
          "Quell set: someone changed them since, and Quell does not overwrite that (restore by hand)",
      );
    }
    return [updateLimits(context, input.key, previous)];
  },
});
