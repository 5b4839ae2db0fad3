import { ListAccessKeysCommand, UpdateAccessKeyCommand } from "@aws-sdk/client-iam";
import * as z from "zod";
import { ValidationError } from "../../shared/errors.js";
import { type ActionContext, defineAction, type Write } from "../contract.js";

const Input = z.object({
  userName: z.string().regex(/^[\w+=,.@-]{1,64}$/),
  accessKeyId: z.string().regex(/^(AKIA|ASIA)[A-Z0-9]{12,124}$/),
});
type Input = z.infer<typeof Input>;

const setStatus = (context: ActionContext, input: Input, status: "Active" | "Inactive"): Write => {
  const request = { UserName: input.userName, AccessKeyId: input.accessKeyId, Status: status };
  return {
    description: { kind: "aws", service: "iam", operation: "UpdateAccessKey", input: request },
    send: () => context.aws.iam().send(new UpdateAccessKeyCommand(request)),
  };
};

/** The user's access key as IAM lists it, or undefined when the user has no such key. */
async function keyOf(context: ActionContext, input: Input) {
  const listed = await context.aws.iam().send(new ListAccessKeysCommand({ UserName: input.userName }));
  return listed.AccessKeyMetadata?.find((metadata) => metadata.AccessKeyId === input.accessKeyId);
}

/** Deactivate an IAM user's access key (reversible: undo sets it Active again). */
export const deactivateAwsAccessKey = defineAction({
  name: "aws.deactivate-access-key",
  description: "Set an IAM user's access key to Inactive (iam:UpdateAccessKey).",
  input: Input,
  output: z.object({
    userName: z.string(),
    accessKeyId: z.string(),
    previousStatus: z.enum(["Active", "Inactive"]),
  }),
  secrets: [],
  iam: [
    {
      actions: ["iam:ListAccessKeys", "iam:UpdateAccessKey"],
      // biome-ignore lint/suspicious/noTemplateCurlyInString: placeholders that infra fills per stack.
      resources: ["arn:${Partition}:iam::${Account}:user/*"],
    },
  ],
  reversible: true,
  // Not low: whatever still runs on this key stops working until someone sets it Active again.
  blastRadius: { maxWrites: 1, low: false },
  timeoutSeconds: 30,
  changes: (input) => [input.userName, input.accessKeyId],
  async plan(input, context) {
    const key = await keyOf(context, input);
    if (!key?.Status) {
      throw new ValidationError(
        `access key ${input.accessKeyId} does not belong to IAM user ${input.userName}`,
      );
    }
    const previousStatus = key.Status === "Active" ? "Active" : "Inactive";
    const output = { ...input, previousStatus } as const;
    return { writes: previousStatus === "Active" ? [setStatus(context, input, "Inactive")] : [], output };
  },
  async verify(input, context) {
    const status = (await keyOf(context, input))?.Status ?? "missing";
    return { verified: status === "Inactive", observed: `access key ${input.accessKeyId} is ${status}` };
  },
  async undo(input, context) {
    return [setStatus(context, input, "Active")];
  },
});
