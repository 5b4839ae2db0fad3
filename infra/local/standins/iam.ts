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
import { randomUUID } from "node:crypto";
import { type Standin, type StandinResponse, startStandin } from "./server.js";

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

const NAMESPACE = "https://iam.amazonaws.com/doc/2010-05-08/";
const API_VERSION = "2010-05-08";
const XML = { "content-type": "text/xml" };

function escapeXml(value: string): string {
  return value
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

function ok(action: string, result: string | undefined): StandinResponse {
  const requestId = randomUUID();
  const body =
    `<${action}Response xmlns="${NAMESPACE}">` +
    (result === undefined ? "" : `<${action}Result>${result}</${action}Result>`) +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`;
  return { status: 200, body, headers: { ...XML, "x-amzn-requestid": requestId } };
}

function iamError(status: number, code: string, message: string, type = "Sender"): StandinResponse {
  const requestId = randomUUID();
  const body =
    `<ErrorResponse xmlns="${NAMESPACE}"><Error><Type>${type}</Type><Code>${code}</Code>` +
    `<Message>${escapeXml(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
  return { status, body, headers: { ...XML, "x-amzn-requestid": requestId } };
}

/** `AWS4-HMAC-SHA256 Credential=<id>/<date>/<region>/iam/aws4_request, SignedHeaders=…, Signature=…` */
const SIGV4_IAM =
  /^AWS4-HMAC-SHA256 Credential=[^/\s]+\/\d{8}\/[a-z0-9-]+\/iam\/aws4_request, ?SignedHeaders=[^,]+, ?Signature=[0-9a-f]{64}$/;

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
    ...(options.port !== undefined ? { port: options.port } : {}),
    handle(request) {
      if (request.method !== "POST" || request.path !== "/") {
        return iamError(
          404,
          "UnknownOperation",
          `${request.method} ${request.path} is not an IAM Query API route`,
        );
      }
      if (!request.authorization) {
        return iamError(403, "MissingAuthenticationToken", "Request is missing Authentication Token");
      }
      if (!SIGV4_IAM.test(request.authorization)) {
        return iamError(403, "IncompleteSignature", "The request signature is not a SigV4 signature for iam");
      }
      if (!(request.contentType ?? "").toLowerCase().startsWith("application/x-www-form-urlencoded")) {
        return iamError(400, "InvalidParameterValue", "IAM Query API requests are form-encoded");
      }
      const params = (request.body ?? {}) as Record<string, string>;
      if (params.Version !== API_VERSION) {
        return iamError(400, "InvalidParameterValue", `Version must be ${API_VERSION}`);
      }
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
