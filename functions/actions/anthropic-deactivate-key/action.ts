import * as z from "zod";
import { SecretNames } from "../../shared/env.js";
import { ValidationError } from "../../shared/errors.js";
import {
  AnthropicKeyId,
  AnthropicKeyStatus,
  anthropicKey,
  setAnthropicKeyStatus,
} from "../anthropic-admin.js";
import { defineAction } from "../contract.js";

/**
 * Deactivate an Anthropic API key (`status: inactive`): every request signed with it fails at once. The Admin API
 * cannot delete keys; undo sets it `active` again. A key already inactive, archived or expired is left as it is
 * (nothing to write, nothing to undo).
 */
export const deactivateAnthropicKey = defineAction({
  name: "anthropic.deactivate-key",
  description: "Set an Anthropic API key inactive (POST /v1/organizations/api_keys/{id}, status inactive).",
  input: z.object({ keyId: AnthropicKeyId }),
  output: z.object({
    keyId: z.string(),
    keyName: z.string().nullable(),
    previousStatus: AnthropicKeyStatus,
  }),
  secrets: [SecretNames.anthropicAdminKey],
  iam: [],
  reversible: true,
  // Not low: whatever still uses this key stops working until someone sets it active again.
  blastRadius: { maxWrites: 1, low: false },
  timeoutSeconds: 30,
  changes: (input, output) => [input.keyId, output.keyName],
  async plan(input, context) {
    const key = await anthropicKey(input.keyId, context);
    if (!key) throw new ValidationError(`Anthropic has no API key ${input.keyId}`);
    const output = { keyId: key.id, keyName: key.name ?? null, previousStatus: key.status };
    const writes = key.status === "active" ? [setAnthropicKeyStatus(input.keyId, "inactive", context)] : [];
    return { writes, output };
  },
  async verify(input, context) {
    const status = (await anthropicKey(input.keyId, context))?.status ?? "missing";
    return {
      verified: status !== "active" && status !== "missing",
      observed: `Anthropic API key ${input.keyId} is ${status}`,
    };
  },
  async undo(input, context) {
    return [setAnthropicKeyStatus(input.keyId, "active", context)];
  },
});
