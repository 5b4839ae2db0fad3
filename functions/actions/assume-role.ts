import type { STSClient } from "@aws-sdk/client-sts";
import { TransientError } from "../shared/errors.js";

let sts: STSClient | undefined;

/** Temporary credentials, in the shape the AWS SDK clients take. */
interface TemporaryCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration?: Date;
}

/** What an action's AWS calls run as: its own role, in a session named after the incident it serves. */
export interface ActionSession {
  readonly roleArn: string;
  readonly sessionName: string;
}

/**
 * Credentials of the action's role session, assumed on first use and kept for the invocation. The session
 * name (`quell-<incident>`) is what CloudTrail shows for every call, so triage links those events back to the
 * incident (functions/shared/action-session.ts) instead of treating them as a new attack.
 */
export function assumedRoleCredentials(session: ActionSession): () => Promise<TemporaryCredentials> {
  let assumed: Promise<TemporaryCredentials> | undefined;
  return () => {
    assumed ??= assume(session).catch((error) => {
      assumed = undefined;
      throw error;
    });
    return assumed;
  };
}

async function assume({ roleArn, sessionName }: ActionSession): Promise<TemporaryCredentials> {
  // Loaded on the first AWS call, not at cold start: an action that never assumes its role never loads STS.
  const { AssumeRoleCommand, STSClient } = await import("@aws-sdk/client-sts");
  sts ??= new STSClient({});
  const { Credentials } = await sts.send(
    new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: sessionName, DurationSeconds: 900 }),
  );
  if (!Credentials?.AccessKeyId || !Credentials.SecretAccessKey || !Credentials.SessionToken) {
    throw new TransientError(`STS returned no credentials for ${roleArn}`);
  }
  return {
    accessKeyId: Credentials.AccessKeyId,
    secretAccessKey: Credentials.SecretAccessKey,
    sessionToken: Credentials.SessionToken,
    ...(Credentials.Expiration ? { expiration: Credentials.Expiration } : {}),
  };
}
