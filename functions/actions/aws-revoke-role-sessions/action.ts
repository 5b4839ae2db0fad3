import {
  DeleteRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  PutRolePolicyCommand,
} from "@aws-sdk/client-iam";
import * as z from "zod";
import { ValidationError } from "../../shared/errors.js";
import { type ActionContext, defineAction, type Write } from "../contract.js";

/** A role's ARN (any path); the role's name is its last segment. */
const RoleArn = z
  .string()
  .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/, "an IAM role ARN");
const IncidentId = z.string().regex(/^inc_[a-z0-9]{10,40}$/);

const Input = z.object({ roleArn: RoleArn, incidentId: IncidentId });
type Input = z.infer<typeof Input>;

const roleNameOf = (roleArn: string) => roleArn.slice(roleArn.lastIndexOf("/") + 1);
/** One policy per incident: a retried run finds the one it wrote instead of writing a second. */
const policyNameOf = (input: Input) => `QuellRevokeSessions-${input.incidentId}`;

/**
 * The documented way to revoke a role's active sessions: deny everything to sessions whose credentials were
 * issued before `issuedBefore` (`aws:TokenIssueTime`). Sessions issued afterwards are untouched.
 */
const revocationPolicy = (issuedBefore: string) => ({
  Version: "2012-10-17",
  Statement: [
    {
      Sid: "QuellRevokeOlderSessions",
      Effect: "Deny",
      Action: ["*"],
      Resource: ["*"],
      Condition: { DateLessThan: { "aws:TokenIssueTime": issuedBefore } },
    },
  ],
});

const RevocationPolicy = z.object({
  Statement: z
    .array(
      z.object({
        Effect: z.literal("Deny"),
        Action: z.union([z.literal("*"), z.tuple([z.literal("*")])]),
        Condition: z.object({ DateLessThan: z.object({ "aws:TokenIssueTime": z.string() }) }),
      }),
    )
    .length(1),
});

const isNoSuchEntity = (error: unknown) =>
  (error as Error).name === "NoSuchEntityException" || (error as Error).name === "NoSuchEntity";

/** When the sessions this incident's policy revokes were issued before, or null when the role has no such policy. */
async function revokedBefore(context: ActionContext, input: Input): Promise<string | null> {
  try {
    const found = await context.aws
      .iam()
      .send(
        new GetRolePolicyCommand({ RoleName: roleNameOf(input.roleArn), PolicyName: policyNameOf(input) }),
      );
    if (!found.PolicyDocument) return null;
    // IAM returns the document URL-encoded (RFC 3986); the SDK leaves it so.
    const parsed = RevocationPolicy.safeParse(JSON.parse(decodeURIComponent(found.PolicyDocument)));
    return parsed.success
      ? (parsed.data.Statement[0]?.Condition.DateLessThan["aws:TokenIssueTime"] ?? null)
      : null;
  } catch (error) {
    if (isNoSuchEntity(error)) return null;
    throw error;
  }
}

/**
 * Revoke every session of an IAM role issued before now: an inline deny policy on the role conditioned on
 * `aws:TokenIssueTime` (what the IAM console's "Revoke active sessions" does). Stolen temporary credentials
 * (`ASIA…`) of the role stop at once; so does every other current session of it, while sessions issued
 * afterwards work, so a service that assumes the role again recovers. Undo deletes exactly this policy.
 */
export const revokeRoleSessions = defineAction({
  name: "aws.revoke-role-sessions",
  description: "Deny every session of an IAM role issued before now (inline policy on aws:TokenIssueTime).",
  input: Input,
  output: z.object({
    roleName: z.string(),
    policyName: z.string(),
    issuedBefore: z.string(),
    alreadyRevoked: z.boolean(),
  }),
  secrets: [],
  iam: [
    {
      actions: ["iam:GetRole", "iam:GetRolePolicy", "iam:PutRolePolicy", "iam:DeleteRolePolicy"],
      // biome-ignore lint/suspicious/noTemplateCurlyInString: placeholders that infra fills per stack.
      resources: ["arn:${Partition}:iam::${Account}:role/*"],
    },
  ],
  reversible: true,
  // Not low: every current session of the role stops, the application's own included.
  blastRadius: { maxWrites: 1, low: false },
  timeoutSeconds: 30,
  changes: (input) => [input.roleArn, roleNameOf(input.roleArn)],
  async plan(input, context) {
    const roleName = roleNameOf(input.roleArn);
    try {
      await context.aws.iam().send(new GetRoleCommand({ RoleName: roleName }));
    } catch (error) {
      if (isNoSuchEntity(error)) throw new ValidationError(`IAM has no role ${roleName} in this account`);
      throw error;
    }
    const policyName = policyNameOf(input);
    const existing = await revokedBefore(context, input);
    if (existing !== null) {
      return { writes: [], output: { roleName, policyName, issuedBefore: existing, alreadyRevoked: true } };
    }
    const issuedBefore = new Date().toISOString();
    const request = {
      RoleName: roleName,
      PolicyName: policyName,
      PolicyDocument: JSON.stringify(revocationPolicy(issuedBefore)),
    };
    const write: Write = {
      description: { kind: "aws", service: "iam", operation: "PutRolePolicy", input: request },
      send: () => context.aws.iam().send(new PutRolePolicyCommand(request)),
    };
    return { writes: [write], output: { roleName, policyName, issuedBefore, alreadyRevoked: false } };
  },
  async verify(input, context) {
    const issuedBefore = await revokedBefore(context, input);
    return {
      verified: issuedBefore !== null,
      observed:
        issuedBefore === null
          ? `role ${roleNameOf(input.roleArn)} has no revocation policy ${policyNameOf(input)}`
          : `role ${roleNameOf(input.roleArn)} denies sessions issued before ${issuedBefore}`,
    };
  },
  async undo(input, context) {
    const request = { RoleName: roleNameOf(input.roleArn), PolicyName: policyNameOf(input) };
    return [
      {
        description: { kind: "aws", service: "iam", operation: "DeleteRolePolicy", input: request },
        send: () => context.aws.iam().send(new DeleteRolePolicyCommand(request)),
      },
    ];
  },
});
