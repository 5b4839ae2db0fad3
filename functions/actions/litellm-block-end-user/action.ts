import * as z from "zod";
import { SecretNames } from "../../shared/env.js";
import { ProviderError, TransientError } from "../../shared/errors.js";
import { type ActionContext, defineAction, type Write } from "../contract.js";
import { litellmPost, litellmRead } from "../litellm-gateway.js";

/** The end-user id apps pass as `user` on their calls through the gateway, as the alert names it. */
const EndUserId = z.string().regex(/^[\x21-\x7E]{1,256}$/, "an end-user id of printable ASCII, no spaces");

/** `GET /customer/info?end_user_id=…` answers the customer record; Quell reads whether it is blocked. */
const Customer = z.object({ user_id: z.string(), blocked: z.boolean() });

/** Whether LiteLLM blocks the end user now; null when it has no record of them (404; older releases answer 400). */
async function blockedNow(context: ActionContext, endUserId: string): Promise<boolean | null> {
  try {
    return (await litellmRead(context, "/customer/info", { end_user_id: endUserId }, Customer)).blocked;
  } catch (error) {
    if (error instanceof ProviderError && (error.status === 404 || error.status === 400)) return null;
    throw error;
  }
}

/**
 * `POST /customer/block`. LiteLLM may answer 500 after it stored the block (BerriAI/litellm#41575), so a failure
 * worth retrying is first checked against a read-back: a block that holds is done, and is not sent twice.
 */
function block(context: ActionContext, endUserId: string): Write {
  const write = litellmPost(context, "/customer/block", { user_ids: [endUserId] });
  return {
    description: write.description,
    async send() {
      try {
        return await write.send();
      } catch (error) {
        if (error instanceof TransientError && (await blockedNow(context, endUserId)) === true) return null;
        throw error;
      }
    },
  };
}

/**
 * Block one end user at the LiteLLM proxy: calls that carry this id as `user` are refused. `POST /customer/block`
 * creates the customer record if LiteLLM has none.
 *
 * Reversible: undo clears the stored flag with `POST /customer/update {"user_id", "blocked": false}`. Not
 * `/customer/unblock`: that only edits the static `blocked_user_list` of LiteLLM's enterprise hook, answers 400
 * without one, and never clears the flag `/customer/block` stores (BerriAI/litellm#35564, #34696).
 */
export const blockLitellmEndUser = defineAction({
  name: "litellm.block-end-user",
  description: "Block an end user at the LiteLLM proxy (POST /customer/block); undo unblocks them.",
  input: z.object({ endUserId: EndUserId }),
  output: z.object({ endUserId: z.string(), knownBefore: z.boolean(), alreadyBlocked: z.boolean() }),
  secrets: [SecretNames.litellmMasterKey],
  iam: [],
  reversible: true,
  // Low: one end user of the gateway loses access, and nobody else; undo gives it back.
  blastRadius: { maxWrites: 1, low: true },
  timeoutSeconds: 30,
  async plan(input, context) {
    const blocked = await blockedNow(context, input.endUserId);
    const output = {
      endUserId: input.endUserId,
      knownBefore: blocked !== null,
      alreadyBlocked: blocked === true,
    };
    return { output, writes: output.alreadyBlocked ? [] : [block(context, input.endUserId)] };
  },
  async verify(input, context) {
    const blocked = await blockedNow(context, input.endUserId);
    const state = blocked === null ? "unknown to the gateway" : blocked ? "blocked" : "not blocked";
    return { verified: blocked === true, observed: `end user ${input.endUserId} is ${state}` };
  },
  async undo(input, context) {
    // Someone already unblocked them (or removed the record): nothing left to restore.
    if ((await blockedNow(context, input.endUserId)) !== true) return [];
    return [litellmPost(context, "/customer/update", { user_id: input.endUserId, blocked: false })];
  },
});
