/**
 * Local stand-in for AWS IAM (not AWS): the two Query API operations Quell's `aws.deactivate-access-key`
 * action sends, as the AWS SDK v3 IAM client sends them and as documented at
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListAccessKeys.html and
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateAccessKey.html:
 *   POST /  Content-Type: application/x-www-form-urlencoded
 *           Action=ListAccessKeys&UserName=…&Version=2010-05-08
 *           Action=UpdateAccessKey&AccessKeyId=…&Status=Active|Inactive&UserName=…&Version=2010-05-08
 * Answers are IAM's XML (`<ListAccessKeysResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">…`);
 * errors are `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`. A request
 * must carry a SigV4 Authorization header scoped to the `iam` service; the signature itself is not checked.
 * Reach it with `AWS_ENDPOINT_URL_IAM`.
 *
 * Also answered (each documented in its own file):
 *   GetAccessKeyLastUsed AccessKeyId → <UserName/><AccessKeyLastUsed><LastUsedDate/>?<ServiceName/><Region/>…
 *     https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccessKeyLastUsed.html and
 *     https://docs.aws.amazon.com/IAM/latest/APIReference/API_AccessKeyLastUsed.html: ServiceName and Region are
 *     "N/A" and LastUsedDate is absent for a key never used. For a key the account does not have, the current
 *     reference lists no error of its own (an older edition listed NoSuchEntity 404); IAM answers 403 AccessDenied
 *     ("User: … is not authorized to perform: iam:GetAccessKeyLastUsed on resource: access key …"). That is not in
 *     AWS's reference: it is what IAM emulators reproduce and what client code written against IAM handles as
 *     "key not found". This stand-in answers that.
 *   ListServiceSpecificCredentials, UpdateServiceSpecificCredential: iam-credentials.ts (Bedrock API keys).
 *   GetRole, PutRolePolicy, GetRolePolicy, ListRolePolicies, DeleteRolePolicy: iam-roles.ts.
 * Operations that default to "the user whose credentials are used" find that user by the SigV4 access key id
 * among the seeded keys; any other caller is treated as non-user credentials, as IAM does for a role session.
 */
import { escapeXml } from "./aws-query.js";
import {
  type ServiceCredentialSeed,
  type ServiceCredentialStatus,
  type ServiceCredentialUpdate,
  serviceCredentials,
} from "./iam-credentials.js";
import { type RolePolicyChange, type RoleSeed, roles } from "./iam-roles.js";
import { IAM_API_VERSION, iam, iamDate, signingKeyId, validationError } from "./iam-shared.js";
import { type Standin, startStandin } from "./server.js";

export type {
  ServiceCredentialSeed,
  ServiceCredentialStatus,
  ServiceCredentialUpdate,
} from "./iam-credentials.js";
export type { RolePolicyChange, RoleSeed } from "./iam-roles.js";

export type IamKeyStatus = "Active" | "Inactive";

/** When and where IAM last saw a key used (GetAccessKeyLastUsed). */
export interface IamKeyLastUsed {
  date: Date;
  /** e.g. `s3`, `bedrock`. */
  serviceName: string;
  region: string;
}

export interface IamAccessKeySeed {
  accessKeyId: string;
  status?: IamKeyStatus;
  /** Defaults to the stand-in's start time. */
  createDate?: Date;
  /** Default: never used (ServiceName and Region "N/A", no LastUsedDate). */
  lastUsed?: IamKeyLastUsed;
}

export interface IamUserSeed {
  userName: string;
  keys: IamAccessKeySeed[];
}

export interface IamStandinOptions {
  users: IamUserSeed[];
  port?: number;
  /** The account in ARNs and generated names; default "000000000000". */
  accountId?: string;
  /** Service-specific credentials (Bedrock long-term API keys, CodeCommit, …); their users exist too. */
  serviceCredentials?: ServiceCredentialSeed[];
  roles?: RoleSeed[];
}

/** One UpdateAccessKey the stand-in applied, in order. */
export interface IamKeyUpdate {
  userName: string;
  accessKeyId: string;
  status: IamKeyStatus;
  at: Date;
}

export interface IamStandin extends Standin {
  /** A key's current status, or undefined when the user or key does not exist. */
  keyStatus(userName: string, accessKeyId: string): IamKeyStatus | undefined;
  /** Every UpdateAccessKey applied, in order. */
  updates: IamKeyUpdate[];
  /** The IAM actions received (`ListAccessKeys`, `UpdateAccessKey`, …), in order; refused ones included. */
  actions(): string[];
  /** A service-specific credential's current status (Expired once its expiration date has passed), or undefined. */
  serviceCredentialStatus(id: string): ServiceCredentialStatus | undefined;
  /** Every UpdateServiceSpecificCredential applied, in order. */
  serviceCredentialUpdates: ServiceCredentialUpdate[];
  /** A role's inline policy, parsed, or undefined when the role or policy does not exist. */
  rolePolicy(roleName: string, policyName: string): object | undefined;
  /** Every PutRolePolicy and DeleteRolePolicy applied, in order. */
  rolePolicyChanges: RolePolicyChange[];
}

const API_VERSION = IAM_API_VERSION;
const ok = iam.ok;
const iamError = iam.error;
const DEFAULT_ACCOUNT = "000000000000";

export async function startIamStandin(options: IamStandinOptions): Promise<IamStandin> {
  const started = new Date();
  const users = new Map(
    options.users.map((user) => [
      user.userName,
      user.keys.map((key) => ({
        accessKeyId: key.accessKeyId,
        status: key.status ?? ("Active" as IamKeyStatus),
        createDate: key.createDate ?? started,
        lastUsed: key.lastUsed,
      })),
    ]),
  );
  const updates: IamKeyUpdate[] = [];
  const accountId = options.accountId ?? DEFAULT_ACCOUNT;
  const credentials = serviceCredentials(options.serviceCredentials ?? [], accountId, started);
  const roleStore = roles(options.roles ?? [], accountId, started);
  const credentialUsers = new Set(credentials.users());
  const userExists = (userName: string) => users.has(userName) || credentialUsers.has(userName);
  /** The seeded user owning `accessKeyId`, with the key. */
  const keyOwner = (accessKeyId: string | undefined) => {
    if (accessKeyId === undefined) return undefined;
    for (const [userName, keys] of users) {
      const key = keys.find((candidate) => candidate.accessKeyId === accessKeyId);
      if (key) return { userName, key };
    }
    return undefined;
  };

  const noSuchUser = (userName: string) =>
    iamError(404, "NoSuchEntity", `The user with name ${userName} cannot be found.`);

  const standin = await startStandin({
    name: "AWS IAM",
    faultResponse: iam.fault,
    ...(options.port !== undefined ? { port: options.port } : {}),
    handle(request) {
      const parsed = iam.parse(request);
      if ("refused" in parsed) return parsed.refused;
      const { params } = parsed;
      const userName = params.UserName;
      switch (params.Action) {
        case "ListAccessKeys": {
          if (!userName) return iamError(400, "ValidationError", "UserName is required by this stand-in");
          const keys = users.get(userName);
          if (!keys) return noSuchUser(userName);
          const members = keys
            .map(
              (key) =>
                `<member><UserName>${escapeXml(userName)}</UserName><AccessKeyId>${escapeXml(key.accessKeyId)}</AccessKeyId>` +
                `<Status>${key.status}</Status><CreateDate>${key.createDate.toISOString()}</CreateDate></member>`,
            )
            .join("");
          return ok(
            "ListAccessKeys",
            `<AccessKeyMetadata>${members}</AccessKeyMetadata><IsTruncated>false</IsTruncated>`,
          );
        }
        case "UpdateAccessKey": {
          const { AccessKeyId: accessKeyId, Status: status } = params;
          if (!userName) return iamError(400, "ValidationError", "UserName is required by this stand-in");
          if (!accessKeyId) return iamError(400, "ValidationError", "AccessKeyId is required");
          if (status !== "Active" && status !== "Inactive") {
            return iamError(400, "ValidationError", "Status must be Active or Inactive");
          }
          const keys = users.get(userName);
          if (!keys) return noSuchUser(userName);
          const key = keys.find((candidate) => candidate.accessKeyId === accessKeyId);
          if (!key) {
            return iamError(404, "NoSuchEntity", `The Access Key with id ${accessKeyId} cannot be found.`);
          }
          key.status = status;
          updates.push({ userName, accessKeyId, status, at: new Date() });
          return ok("UpdateAccessKey", undefined);
        }
        case "GetAccessKeyLastUsed": {
          const accessKeyId = params.AccessKeyId;
          if (!accessKeyId) return validationError("AccessKeyId is required");
          if (!/^\w{16,128}$/.test(accessKeyId)) {
            return validationError(
              `1 validation error detected: Value '${accessKeyId}' at 'accessKeyId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w]+ and have length between 16 and 128`,
            );
          }
          const owner = keyOwner(accessKeyId);
          if (!owner) {
            const caller = keyOwner(signingKeyId(request.authorization))?.userName;
            const principal = `arn:aws:iam::${accountId}:${caller === undefined ? "root" : `user/${caller}`}`;
            return iamError(
              403,
              "AccessDenied",
              `User: ${principal} is not authorized to perform: iam:GetAccessKeyLastUsed on resource: access key ${accessKeyId}`,
            );
          }
          const used = owner.key.lastUsed;
          return ok(
            "GetAccessKeyLastUsed",
            `<UserName>${escapeXml(owner.userName)}</UserName><AccessKeyLastUsed>` +
              (used
                ? `<LastUsedDate>${iamDate(used.date)}</LastUsedDate><ServiceName>${escapeXml(used.serviceName)}</ServiceName>` +
                  `<Region>${escapeXml(used.region)}</Region>`
                : "<ServiceName>N/A</ServiceName><Region>N/A</Region>") +
              "</AccessKeyLastUsed>",
          );
        }
        default: {
          const answered =
            roleStore.handle(params.Action, params) ??
            credentials.handle(params.Action, {
              params,
              callerUser: keyOwner(signingKeyId(request.authorization))?.userName,
              userExists,
            });
          if (answered) return answered;
          return iamError(
            400,
            "InvalidAction",
            `Could not find operation ${params.Action ?? "(none)"} for version ${API_VERSION} in this stand-in`,
          );
        }
      }
    },
  });

  return Object.assign(standin, {
    updates,
    serviceCredentialUpdates: credentials.updates,
    rolePolicyChanges: roleStore.changes,
    serviceCredentialStatus: (id: string) => credentials.status(id),
    rolePolicy: (roleName: string, policyName: string) => roleStore.policy(roleName, policyName),
    keyStatus(userName: string, accessKeyId: string) {
      return users.get(userName)?.find((key) => key.accessKeyId === accessKeyId)?.status;
    },
    actions() {
      return standin.requests.map((request) =>
        String((request.body as { Action?: string } | undefined)?.Action),
      );
    },
  });
}
