import {
  ListServiceSpecificCredentialsCommand,
  type ServiceSpecificCredentialMetadata,
  UpdateServiceSpecificCredentialCommand,
} from "@aws-sdk/client-iam";
import type { ActionContext, IamNeed, Write } from "./contract.js";

/**
 * Amazon Bedrock long-term API keys are IAM service-specific credentials of an IAM user for
 * `bedrock.amazonaws.com`. The key a client sends is `ABSK` + base64(`<alias>:<secret>`), where the alias is the
 * credential's public `ServiceCredentialAlias` (`BedrockAPIKey-…`): so a leaked key names its credential exactly.
 * Short-term keys (`bedrock-api-key-…`) are presigned URLs of another identity's session: no credential to disable.
 */
export const BEDROCK_SERVICE = "bedrock.amazonaws.com";
const LONG_TERM_PREFIX = "ABSK";
const SHORT_TERM_PREFIX = "bedrock-api-key-";
const ALIAS_PREFIX = "BedrockAPIKey-";
const MAX_PAGES = 50;

export type BedrockKeyKind = "long-term" | "short-term" | "unrecognised";

/** What a leaked secret is, and for a long-term key, the public alias it carries (never the secret part). */
export function bedrockKeyOf(secret: string): { kind: BedrockKeyKind; alias: string | null } {
  if (secret.startsWith(SHORT_TERM_PREFIX)) return { kind: "short-term", alias: null };
  if (!secret.startsWith(LONG_TERM_PREFIX)) return { kind: "unrecognised", alias: null };
  const decoded = Buffer.from(secret.slice(LONG_TERM_PREFIX.length), "base64").toString("utf8");
  const separator = decoded.indexOf(":");
  const alias = separator > 0 ? decoded.slice(0, separator) : "";
  return alias.startsWith(ALIAS_PREFIX) && /^[\w.@+=,-]{1,200}$/.test(alias)
    ? { kind: "long-term", alias }
    : { kind: "unrecognised", alias: null };
}

/** Every Bedrock API key IAM lists, of one user or (no user) of every user of the account, all pages. */
export async function listBedrockApiKeys(
  context: ActionContext,
  userName?: string,
): Promise<ServiceSpecificCredentialMetadata[]> {
  const credentials: ServiceSpecificCredentialMetadata[] = [];
  let marker: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const listed = await context.aws.iam().send(
      new ListServiceSpecificCredentialsCommand({
        ServiceName: BEDROCK_SERVICE,
        ...(userName ? { UserName: userName } : { AllUsers: true }),
        ...(marker ? { Marker: marker } : {}),
      }),
    );
    credentials.push(...(listed.ServiceSpecificCredentials ?? []));
    if (!listed.IsTruncated || !listed.Marker) return credentials;
    marker = listed.Marker;
  }
  return credentials;
}

/** `iam:UpdateServiceSpecificCredential` setting a Bedrock API key's status. */
export function setBedrockApiKeyStatus(
  context: ActionContext,
  key: { userName: string; credentialId: string },
  status: "Active" | "Inactive",
): Write {
  const request = { UserName: key.userName, ServiceSpecificCredentialId: key.credentialId, Status: status };
  return {
    description: {
      kind: "aws",
      service: "iam",
      operation: "UpdateServiceSpecificCredential",
      input: request,
    },
    send: () => context.aws.iam().send(new UpdateServiceSpecificCredentialCommand(request)),
  };
}

/** The users whose service-specific credentials the Bedrock key actions read or change. */
export const bedrockKeyIam = (actions: string[]): IamNeed => ({
  actions,
  // biome-ignore lint/suspicious/noTemplateCurlyInString: placeholders that infra fills per stack.
  resources: ["arn:${Partition}:iam::${Account}:user/*"],
});
