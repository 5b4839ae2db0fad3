import * as z from "zod";
import { ValidationError } from "../../shared/errors.js";
import { bedrockKeyIam, listBedrockApiKeys, setBedrockApiKeyStatus } from "../bedrock-api-keys.js";
import { type ActionContext, defineAction } from "../contract.js";

const Input = z.object({
  userName: z.string().regex(/^[\w+=,.@-]{1,64}$/),
  credentialId: z.string().regex(/^\w{20,128}$/),
});
type Input = z.infer<typeof Input>;

/** The user's Bedrock API key as IAM lists it now, or undefined when the user has no such key. */
async function keyOf(context: ActionContext, input: Input) {
  const keys = await listBedrockApiKeys(context, input.userName);
  return keys.find((key) => key.ServiceSpecificCredentialId === input.credentialId);
}

/** Deactivate a Bedrock long-term API key (reversible: undo sets it Active again). */
export const deactivateBedrockApiKey = defineAction({
  name: "aws.deactivate-bedrock-api-key",
  description: "Set an Amazon Bedrock long-term API key Inactive (iam:UpdateServiceSpecificCredential).",
  input: Input,
  output: z.object({
    userName: z.string(),
    credentialId: z.string(),
    previousStatus: z.enum(["Active", "Inactive", "Expired"]),
  }),
  secrets: [],
  iam: [bedrockKeyIam(["iam:ListServiceSpecificCredentials", "iam:UpdateServiceSpecificCredential"])],
  reversible: true,
  // Not low: whatever still calls Bedrock with this key stops until someone sets it Active again.
  blastRadius: { maxWrites: 1, low: false },
  timeoutSeconds: 30,
  changes: (input) => [input.userName, input.credentialId],
  async plan(input, context) {
    const key = await keyOf(context, input);
    if (!key?.Status) {
      throw new ValidationError(`IAM user ${input.userName} has no Bedrock API key ${input.credentialId}`);
    }
    const previousStatus = key.Status;
    const writes = previousStatus === "Active" ? [setBedrockApiKeyStatus(context, input, "Inactive")] : [];
    return { writes, output: { ...input, previousStatus } };
  },
  async verify(input, context) {
    const status = (await keyOf(context, input))?.Status ?? "missing";
    return {
      verified: status === "Inactive" || status === "Expired",
      observed: `Bedrock API key ${input.credentialId} is ${status}`,
    };
  },
  async undo(input, context) {
    return [setBedrockApiKeyStatus(context, input, "Active")];
  },
});
