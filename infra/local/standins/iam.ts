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
 */
import { escapeXml, queryApi } from "./aws-query.js";
import { type Standin, startStandin } from "./server.js";

export type IamKeyStatus = "Active" | "Inactive";

export interface IamAccessKeySeed {
  accessKeyId: string;
  status?: IamKeyStatus;
  /** Defaults to the stand-in's start time. */
  createDate?: Date;
}

export interface IamUserSeed {
  userName: string;
  keys: IamAccessKeySeed[];
}

export interface IamStandinOptions {
  users: IamUserSeed[];
  port?: number;
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
}

const API_VERSION = "2010-05-08";
const iam = queryApi("iam", "https://iam.amazonaws.com/doc/2010-05-08/", API_VERSION);
const ok = iam.ok;
const iamError = iam.error;

export async function startIamStandin(options: IamStandinOptions): Promise<IamStandin> {
  const started = new Date();
  const users = new Map(
    options.users.map((user) => [
      user.userName,
      user.keys.map((key) => ({
        accessKeyId: key.accessKeyId,
        status: key.status ?? ("Active" as IamKeyStatus),
        createDate: key.createDate ?? started,
      })),
    ]),
  );
  const updates: IamKeyUpdate[] = [];

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
        default:
          return iamError(
            400,
            "InvalidAction",
            `Could not find operation ${params.Action ?? "(none)"} for version ${API_VERSION} in this stand-in`,
          );
      }
    },
  });

  return Object.assign(standin, {
    updates,
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
