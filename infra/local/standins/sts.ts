/**
 * Local stand-in for AWS STS (not AWS): AssumeRole, as the AWS SDK v3 STS client sends it and as documented at
 * https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html:
 *   POST /  Action=AssumeRole&RoleArn=…&RoleSessionName=…&DurationSeconds=…&Version=2011-06-15
 * It answers with made-up temporary credentials (`ASIA…`) and the assumed-role ARN, and remembers which
 * session each issued key belongs to, so a test can tell which session signed a later call to another
 * stand-in. Reach it with `AWS_ENDPOINT_URL_STS`.
 */
import { randomBytes } from "node:crypto";
import { escapeXml, queryApi } from "./aws-query.js";
import { type Standin, startStandin } from "./server.js";

export interface AssumedSession {
  roleArn: string;
  sessionName: string;
  /** The assumed-role ARN CloudTrail would show: `arn:aws:sts::<account>:assumed-role/<role>/<session>`. */
  assumedRoleArn: string;
  accessKeyId: string;
}

export interface StsStandin extends Standin {
  /** Every session issued, in order. */
  sessions: AssumedSession[];
  /** The session an access key id was issued to, if this stand-in issued it. */
  sessionOf(accessKeyId: string): AssumedSession | undefined;
}

const sts = queryApi("sts", "https://sts.amazonaws.com/doc/2011-06-15/", "2011-06-15");
const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;

export async function startStsStandin(options: { port?: number } = {}): Promise<StsStandin> {
  const sessions: AssumedSession[] = [];
  const standin = await startStandin({
    name: "AWS STS",
    faultResponse: sts.fault,
    ...(options.port !== undefined ? { port: options.port } : {}),
    handle(request) {
      const parsed = sts.parse(request);
      if ("refused" in parsed) return parsed.refused;
      const { params } = parsed;
      if (params.Action !== "AssumeRole") {
        return sts.error(
          400,
          "InvalidAction",
          `Could not find operation ${params.Action ?? "(none)"} in this stand-in`,
        );
      }
      const role = ROLE_ARN.exec(params.RoleArn ?? "");
      if (!role) return sts.error(400, "ValidationError", "RoleArn must be an IAM role ARN");
      if (!SESSION_NAME.test(params.RoleSessionName ?? "")) {
        return sts.error(400, "ValidationError", "RoleSessionName must be 2 to 64 characters of [\\w+=,.@-]");
      }
      const session: AssumedSession = {
        roleArn: params.RoleArn as string,
        sessionName: params.RoleSessionName as string,
        assumedRoleArn: `arn:aws:sts::${role[1]}:assumed-role/${role[2]}/${params.RoleSessionName}`,
        accessKeyId: `ASIA${randomBytes(8).toString("hex").toUpperCase()}`,
      };
      sessions.push(session);
      const seconds = Number(params.DurationSeconds ?? 3600);
      const expiration = new Date(Date.now() + seconds * 1000).toISOString();
      return sts.ok(
        "AssumeRole",
        `<AssumedRoleUser><Arn>${escapeXml(session.assumedRoleArn)}</Arn>` +
          `<AssumedRoleId>AROA${randomBytes(6).toString("hex").toUpperCase()}:${escapeXml(session.sessionName)}</AssumedRoleId></AssumedRoleUser>` +
          `<Credentials><AccessKeyId>${session.accessKeyId}</AccessKeyId>` +
          `<SecretAccessKey>${randomBytes(20).toString("base64")}</SecretAccessKey>` +
          `<SessionToken>${randomBytes(32).toString("base64")}</SessionToken>` +
          `<Expiration>${expiration}</Expiration></Credentials>`,
      );
    },
  });
  return Object.assign(standin, {
    sessions,
    sessionOf: (accessKeyId: string) => sessions.find((session) => session.accessKeyId === accessKeyId),
  });
}
