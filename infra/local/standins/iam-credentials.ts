/**
 * Service-specific credentials for the IAM stand-in (see iam.ts): Amazon Bedrock long-term API keys and the other
 * services IAM issues them for, as documented at
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListServiceSpecificCredentials.html,
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateServiceSpecificCredential.html,
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_ServiceSpecificCredentialMetadata.html and
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_bedrock.html:
 *   ListServiceSpecificCredentials  UserName? ServiceName? AllUsers? Marker? MaxItems?
 *     → <ServiceSpecificCredentials><member>…</member></ServiceSpecificCredentials><IsTruncated/><Marker/>?
 *     AllUsers=true cannot be combined with UserName; without UserName (and without AllUsers) IAM lists the
 *     caller's own credentials. ServiceNotSupported is `NotSupportedService` (404).
 *   UpdateServiceSpecificCredential ServiceSpecificCredentialId Status=Active|Inactive UserName? → no result;
 *     NoSuchEntity (404) when the user or the credential does not exist.
 * Members carry UserName, Status (Active|Inactive|Expired), ServiceUserName (`<user>-at-<account>`, CodeCommit
 * and Keyspaces), ServiceCredentialAlias (Bedrock and CloudWatch Logs keys: "the public portion of the credential
 * that includes the IAM user name and a suffix"; pattern [\w+=,.@-]+, ≤200 chars), CreateDate, ExpirationDate
 * (only for keys created with an expiry), ServiceSpecificCredentialId ([\w]+, 20–128 chars) and ServiceName.
 */
import { escapeXml } from "./aws-query.js";
import {
  iam,
  iamDate,
  nonUserCaller,
  noSuchEntity,
  noSuchUser,
  pageTail,
  paginate,
  validationError,
} from "./iam-shared.js";
import type { StandinResponse } from "./server.js";

export type ServiceCredentialStatus = "Active" | "Inactive" | "Expired";

export interface ServiceCredentialSeed {
  userName: string;
  /** e.g. `bedrock.amazonaws.com`, `codecommit.amazonaws.com`. */
  serviceName: string;
  /** ServiceSpecificCredentialId, e.g. `ACCA…`: word characters, at least 20 of them. */
  id: string;
  /** Default Active. A credential whose expirationDate has passed is reported Expired whatever this says. */
  status?: ServiceCredentialStatus;
  /** Bedrock and CloudWatch Logs keys; default `<userName>-at-<accountId>` (see the note below). */
  alias?: string;
  /** CodeCommit and Keyspaces credentials; default `<userName>-at-<accountId>` as IAM documents it. */
  serviceUserName?: string;
  /** Defaults to the stand-in's start time. */
  createDate?: Date;
  expirationDate?: Date;
}

/** One UpdateServiceSpecificCredential the stand-in applied, in order. */
export interface ServiceCredentialUpdate {
  userName: string;
  serviceSpecificCredentialId: string;
  status: "Active" | "Inactive";
  at: Date;
}

/** The services IAM documents service-specific credentials for (CreateServiceSpecificCredential). */
const SUPPORTED_SERVICES = new Set([
  "bedrock.amazonaws.com",
  "logs.amazonaws.com",
  "codecommit.amazonaws.com",
  "cassandra.amazonaws.com",
]);
/** Services whose credentials are API keys with a public alias rather than a generated user name. */
const API_KEY_SERVICES = new Set(["bedrock.amazonaws.com", "logs.amazonaws.com"]);

interface StoredCredential {
  userName: string;
  serviceName: string;
  id: string;
  status: ServiceCredentialStatus;
  alias: string | undefined;
  serviceUserName: string | undefined;
  createDate: Date;
  expirationDate: Date | undefined;
}

export interface ServiceCredentialRequest {
  params: Record<string, string>;
  /** The seeded IAM user whose access key signed the request, if any. */
  callerUser: string | undefined;
  /** Whether an IAM user of this name exists (seeded with access keys or with credentials). */
  userExists(userName: string): boolean;
}

export interface ServiceCredentials {
  users(): string[];
  status(id: string): ServiceCredentialStatus | undefined;
  updates: ServiceCredentialUpdate[];
  /** The answer to a service-credential action, or undefined when `action` is not one. */
  handle(action: string | undefined, request: ServiceCredentialRequest): StandinResponse | undefined;
}

export function serviceCredentials(
  seeds: readonly ServiceCredentialSeed[],
  accountId: string,
  started: Date,
): ServiceCredentials {
  const stored: StoredCredential[] = [];
  for (const seed of seeds) {
    if (!/^\w{20,128}$/.test(seed.id)) {
      throw new Error(`IAM stand-in: ServiceSpecificCredentialId ${seed.id} must be 20-128 word characters`);
    }
    if (stored.some((credential) => credential.id === seed.id)) {
      throw new Error(`IAM stand-in: ServiceSpecificCredentialId ${seed.id} is seeded twice`);
    }
    const apiKey = API_KEY_SERVICES.has(seed.serviceName);
    stored.push({
      userName: seed.userName,
      serviceName: seed.serviceName,
      id: seed.id,
      status: seed.status ?? "Active",
      // Unverified form: IAM documents only "the IAM user name and a suffix containing version and creation
      // information"; long-term Bedrock keys decode to `BedrockAPIKey-<4 chars>-at-<account>:<secret>` when the
      // console made the user `BedrockAPIKey-<4 chars>`. Seed `alias` to pin an exact value.
      alias: seed.alias ?? (apiKey ? `${seed.userName}-at-${accountId}` : undefined),
      serviceUserName: seed.serviceUserName ?? (apiKey ? undefined : `${seed.userName}-at-${accountId}`),
      createDate: seed.createDate ?? started,
      expirationDate: seed.expirationDate,
    });
  }
  const updates: ServiceCredentialUpdate[] = [];
  const effectiveStatus = (credential: StoredCredential): ServiceCredentialStatus =>
    credential.expirationDate && credential.expirationDate.getTime() <= Date.now()
      ? "Expired"
      : credential.status;

  const member = (credential: StoredCredential): string =>
    `<member><UserName>${escapeXml(credential.userName)}</UserName><Status>${effectiveStatus(credential)}</Status>` +
    (credential.serviceUserName === undefined
      ? ""
      : `<ServiceUserName>${escapeXml(credential.serviceUserName)}</ServiceUserName>`) +
    (credential.alias === undefined
      ? ""
      : `<ServiceCredentialAlias>${escapeXml(credential.alias)}</ServiceCredentialAlias>`) +
    `<CreateDate>${iamDate(credential.createDate)}</CreateDate>` +
    (credential.expirationDate
      ? `<ExpirationDate>${iamDate(credential.expirationDate)}</ExpirationDate>`
      : "") +
    `<ServiceSpecificCredentialId>${escapeXml(credential.id)}</ServiceSpecificCredentialId>` +
    `<ServiceName>${escapeXml(credential.serviceName)}</ServiceName></member>`;

  function list({ params, callerUser, userExists }: ServiceCredentialRequest): StandinResponse {
    const { AllUsers: allUsersParam, ServiceName: serviceName } = params;
    if (allUsersParam !== undefined && allUsersParam !== "true" && allUsersParam !== "false") {
      return validationError(`Value '${allUsersParam}' at 'allUsers' is not a boolean`);
    }
    const allUsers = allUsersParam === "true";
    if (allUsers && params.UserName !== undefined) {
      return validationError("AllUsers cannot be specified together with UserName.");
    }
    if (serviceName !== undefined && !SUPPORTED_SERVICES.has(serviceName)) {
      if (!stored.some((credential) => credential.serviceName === serviceName)) {
        return iam.error(
          404,
          "NotSupportedService",
          `The service ${serviceName} does not support service-specific credentials.`,
        );
      }
    }
    let userName: string | undefined;
    if (!allUsers) {
      userName = params.UserName ?? callerUser;
      if (userName === undefined) return nonUserCaller();
      if (!userExists(userName)) return noSuchUser(userName);
    }
    const matching = stored
      .filter(
        (credential) =>
          (userName === undefined || credential.userName === userName) &&
          (serviceName === undefined || credential.serviceName === serviceName),
      )
      .sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0));
    const page = paginate(matching, sortKey, params);
    if ("refused" in page) return page.refused;
    return iam.ok(
      "ListServiceSpecificCredentials",
      `<ServiceSpecificCredentials>${page.items.map(member).join("")}</ServiceSpecificCredentials>${pageTail(page)}`,
    );
  }

  function update({ params, callerUser, userExists }: ServiceCredentialRequest): StandinResponse {
    const { ServiceSpecificCredentialId: id, Status: status } = params;
    if (!id) return validationError("ServiceSpecificCredentialId is required");
    if (!/^\w{20,128}$/.test(id)) {
      return validationError(
        `1 validation error detected: Value '${id}' at 'serviceSpecificCredentialId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w]+ and have length between 20 and 128`,
      );
    }
    // The current reference lists Expired among StatusType's values, but only Active and Inactive are states a
    // caller can set ("Sets the status of a service-specific credential to Active or Inactive").
    if (status !== "Active" && status !== "Inactive") {
      return validationError("Status must be Active or Inactive");
    }
    const userName = params.UserName ?? callerUser;
    if (userName === undefined) return nonUserCaller();
    if (!userExists(userName)) return noSuchUser(userName);
    const credential = stored.find((candidate) => candidate.id === id && candidate.userName === userName);
    if (!credential) {
      return noSuchEntity(`The Service Specific Credential with id ${id} cannot be found.`);
    }
    credential.status = status;
    updates.push({ userName, serviceSpecificCredentialId: id, status, at: new Date() });
    return iam.ok("UpdateServiceSpecificCredential", undefined);
  }

  return {
    updates,
    users: () => [...new Set(stored.map((credential) => credential.userName))],
    status(id) {
      const credential = stored.find((candidate) => candidate.id === id);
      return credential && effectiveStatus(credential);
    },
    handle(action, request) {
      if (action === "ListServiceSpecificCredentials") return list(request);
      if (action === "UpdateServiceSpecificCredential") return update(request);
      return undefined;
    },
  };
}

/** Pages run in user order, then credential id; "/" cannot occur in an IAM user name. */
const sortKey = (credential: StoredCredential): string => `${credential.userName}/${credential.id}`;
