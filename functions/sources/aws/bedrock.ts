import * as z from "zod";
import { type AlertType, type CanonicalAlert, type Severity, tagsFor } from "../../shared/alert.js";
import { sha256Hex } from "../../shared/hash.js";
import { alertIdFor, type EventSourceAdapter } from "../source.js";
import {
  AccountId,
  assertFresh,
  awsTimestamp,
  boundedDetails,
  boundedSourceIds,
  EntityList,
  envelopeOf,
  freeText,
  identifier,
  isoOf,
  label,
  Region,
  titleText,
} from "./common.js";
import { at, type PatternNode } from "./event-pattern.js";

/**
 * The guardrail-admin allow-list: `QUELL_GUARDRAIL_ADMINS`, comma-separated IAM ARNs of the users and roles
 * allowed to change Bedrock guardrails, e.g.
 * `arn:aws:iam::111122223333:role/GuardrailAdmins,arn:aws:iam::111122223333:role/ci-deployer`.
 * A role matches every session of it (CloudTrail's `sessionContext.sessionIssuer.arn`). Unset or empty: nobody
 * is allow-listed, so every guardrail change is `guardrail_tampering`. Entries that are not IAM user, role or
 * root ARNs are ignored, which only narrows the list (their changes are flagged, never hidden).
 */
export const GUARDRAIL_ADMINS_ENV = "QUELL_GUARDRAIL_ADMINS";

const IAM_PRINCIPAL_ARN =
  /^arn:aws[a-z-]*:iam::\d{12}:(?:root|user\/[\w+=,.@/-]{1,512}|role\/[\w+=,.@/-]{1,512})$/;

export function guardrailAdminsFrom(env: Readonly<Record<string, string | undefined>>): ReadonlySet<string> {
  const value = env[GUARDRAIL_ADMINS_ENV] ?? "";
  return new Set(
    value
      .split(",")
      .map((entry) => entry.trim())
      .filter((entry) => IAM_PRINCIPAL_ARN.test(entry)),
  );
}

/** The Bedrock control-plane calls Quell watches; the AWS rule should match `detail.eventName` to these. */
export const GUARDRAIL_CHANGES = ["UpdateGuardrail", "DeleteGuardrail"] as const;
export const MODEL_ENUMERATION = [
  "ListFoundationModels",
  "GetFoundationModelAvailability",
  "PutUseCaseForModelAccess",
] as const;
export const WATCHED_EVENT_NAMES = [...GUARDRAIL_CHANGES, ...MODEL_ENUMERATION] as const;

/** The rule lets in only the watched calls: every other Bedrock API call would be an info alert per call. */
export const bedrockDetailPattern = (): PatternNode => at(["eventName"], WATCHED_EVENT_NAMES);

/**
 * `details.signal` of a model-enumeration alert. One call is not an attack: triage (functions/triage/
 * enumeration.ts) lets it through as an LLMjacking precursor only in a burst from a source new to the principal.
 */
export const MODEL_ENUMERATION_SIGNAL = "model_enumeration";

/**
 * Who enumerated, as the baseline of source IPs knows them: the role behind an assumed-role session (session
 * names change every time), else the identity's ARN, principal id or access key.
 */
const enumeratorOf = (identity: BedrockCloudTrailEvent["detail"]["userIdentity"]) =>
  identity.sessionContext?.sessionIssuer?.arn ??
  identity.arn ??
  identity.principalId ??
  identity.accessKeyId ??
  identity.type;

/** One incident per enumerating principal and source IP: the burst and whatever follows it join it. */
function enumerationDedupKey(accountId: string, enumerator: string, sourceIp: string): string {
  const key = `bedrock-enumeration:${accountId}:${enumerator}:${sourceIp}`;
  return key.length <= 256 ? key : `bedrock-enumeration:${sha256Hex(key)}`;
}

export const UserIdentity = z.looseObject({
  type: label(64),
  principalId: identifier(256).optional(),
  arn: identifier(2048).optional(),
  accountId: AccountId.optional(),
  accessKeyId: identifier(128).optional(),
  userName: label(128).optional(),
  invokedBy: label(256).optional(),
  sessionContext: z
    .looseObject({
      sessionIssuer: z
        .looseObject({
          type: label(64).optional(),
          arn: identifier(2048).optional(),
          userName: label(128).optional(),
        })
        .optional(),
    })
    .optional(),
});

const CloudTrailDetail = z.looseObject({
  eventVersion: label(16).optional(),
  userIdentity: UserIdentity,
  eventTime: awsTimestamp,
  eventSource: z
    .string()
    .max(128)
    .regex(/^bedrock[a-z-]*\.amazonaws\.com$/, "must be a Bedrock service (bedrock.amazonaws.com)"),
  eventName: z.string().regex(/^[A-Za-z0-9]{1,128}$/, "must be an API name such as UpdateGuardrail"),
  awsRegion: Region,
  /** An IP address, or a service name (`bedrock.amazonaws.com`, `AWS Internal`) for calls made by AWS. */
  sourceIPAddress: label(256),
  userAgent: freeText(2048).optional(),
  requestParameters: z
    .looseObject({
      guardrailIdentifier: identifier(2048).optional(),
      guardrailVersion: label(64).optional(),
      modelId: identifier(2048).optional(),
      contentPolicyConfig: z
        .looseObject({
          filtersConfig: z
            .array(
              z.looseObject({
                type: label(64),
                inputStrength: label(32).optional(),
                outputStrength: label(32).optional(),
              }),
            )
            .max(20)
            .optional(),
        })
        .optional(),
    })
    .nullable()
    .optional(),
  responseElements: z
    .looseObject({
      guardrailId: identifier(256).optional(),
      guardrailArn: identifier(2048).optional(),
      version: label(64).optional(),
    })
    .nullable()
    .optional(),
  errorCode: label(256).optional(),
  errorMessage: freeText(4096).optional(),
  requestID: identifier(128).optional(),
  eventID: z.string().regex(/^[A-Za-z0-9-]{1,128}$/, "must be a CloudTrail event id"),
  readOnly: z.boolean().optional(),
  eventType: label(64).optional(),
  recipientAccountId: AccountId.optional(),
});

export const BedrockCloudTrailEvent = envelopeOf(
  "aws.bedrock",
  "AWS API Call via CloudTrail",
  CloudTrailDetail,
);
export type BedrockCloudTrailEvent = z.infer<typeof BedrockCloudTrailEvent>;
type Identity = BedrockCloudTrailEvent["detail"]["userIdentity"];

/** The ARNs a caller may be allow-listed under: its own, and for a role session the role's. */
export function principalArnsOf(identity: Identity): string[] {
  const arns = [identity.arn, identity.sessionContext?.sessionIssuer?.arn];
  // An assumed-role session without sessionContext: the role ARN on the default path.
  const session = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([\w+=,.@-]+)\/[^/]+$/.exec(
    identity.arn ?? "",
  );
  if (session) arns.push(`arn:${session[1]}:iam::${session[2]}:role/${session[3]}`);
  return [...new Set(arns.filter((arn): arn is string => arn !== undefined))];
}

const isOneOf = <T extends string>(list: readonly T[], value: string): value is T =>
  (list as readonly string[]).includes(value);

interface Verdict {
  readonly type: AlertType;
  readonly severity: Severity;
  readonly title: string;
  readonly details: Record<string, string | boolean | null>;
}

function verdictOf(
  detail: BedrockCloudTrailEvent["detail"],
  admins: ReadonlySet<string>,
  guardrail: string | undefined,
): Verdict {
  const { eventName, errorCode } = detail;
  const who = detail.userIdentity.arn ?? detail.userIdentity.type;
  if (isOneOf(GUARDRAIL_CHANGES, eventName)) {
    const admin = principalArnsOf(detail.userIdentity).find((arn) => admins.has(arn));
    if (admin)
      return {
        type: "other",
        severity: "info",
        title: `${eventName} on guardrail ${guardrail ?? "?"} by guardrail admin ${admin}`,
        details: {
          allowListed: true,
          allowListedAs: admin,
          note: `changed by ${admin}, which is on the guardrail-admin allow-list (${GUARDRAIL_ADMINS_ENV})`,
        },
      };
    // A refused call changed nothing: still tampering, one step lower.
    return {
      type: "guardrail_tampering",
      severity: errorCode ? "medium" : "high",
      title: `${errorCode ? "Attempted " : ""}${eventName} on guardrail ${guardrail ?? "?"} by ${who}, not a guardrail admin`,
      details: { allowListed: false, allowListedAs: null, note: null },
    };
  }
  if (isOneOf(MODEL_ENUMERATION, eventName)) {
    // A precursor only in a burst from a source new to the principal: triage keeps the baseline and decides.
    return {
      type: "llmjacking",
      severity: "medium",
      title: `Bedrock model enumeration (${eventName}) by ${who} from ${detail.sourceIPAddress}`,
      details: {
        signal: MODEL_ENUMERATION_SIGNAL,
        enumerator: enumeratorOf(detail.userIdentity),
        note: "LLMjacking precursor when it comes in a burst from a source IP new to this principal",
      },
    };
  }
  return {
    type: "other",
    severity: "info",
    title: `Bedrock ${eventName} by ${who}`,
    details: { note: `${eventName} is not one of the Bedrock calls Quell watches` },
  };
}

export interface BedrockCloudTrailOptions {
  /** The guardrail-admin allow-list, read when an event is normalised. */
  readonly guardrailAdmins: () => ReadonlySet<string>;
}

/**
 * `aws.bedrock` / `AWS API Call via CloudTrail` (Bedrock management events; the rule needs state
 * ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS to receive the read-only ones). UpdateGuardrail and
 * DeleteGuardrail by a principal outside the allow-list are `guardrail_tampering` (high), deduplicated per
 * CloudTrail event (`cloudtrail:<eventID>`); model enumeration calls are an `llmjacking` signal (medium),
 * keyed per principal and source IP, which triage lets through as a precursor only in a burst from a new
 * source (functions/triage/enumeration.ts). One CloudTrail event is one alert.
 */
export function createBedrockCloudTrailAdapter(
  options: BedrockCloudTrailOptions,
): EventSourceAdapter<BedrockCloudTrailEvent> {
  return {
    source: "aws.bedrock",
    detailTypes: ["AWS API Call via CloudTrail"],
    detailPattern: bedrockDetailPattern,
    schema: BedrockCloudTrailEvent,
    normalize(event, receipt) {
      const { detail } = event;
      assertFresh(
        "aws.bedrock",
        [
          { path: "time", value: event.time },
          { path: "detail.eventTime", value: detail.eventTime },
        ],
        receipt,
      );
      const identity = detail.userIdentity;
      const request = detail.requestParameters ?? undefined;
      const response = detail.responseElements ?? undefined;
      const guardrailArn =
        response?.guardrailArn ??
        (request?.guardrailIdentifier?.startsWith("arn:") ? request.guardrailIdentifier : undefined);
      const guardrailId =
        response?.guardrailId ??
        request?.guardrailIdentifier?.split("/").at(-1) ??
        guardrailArn?.split("/").at(-1);
      const verdict = verdictOf(detail, options.guardrailAdmins(), guardrailId);
      const filters = request?.contentPolicyConfig?.filtersConfig ?? [];
      const promptAttack = filters.find((filter) => filter.type === "PROMPT_ATTACK");
      const accountId = detail.recipientAccountId ?? event.account;
      const roleArn = identity.sessionContext?.sessionIssuer?.arn;

      const entities = new EntityList().add("account", accountId);
      entities.add("principal", identity.arn).add("principal", roleArn);
      entities.add("access_key", identity.accessKeyId).addIp(detail.sourceIPAddress);
      entities.add("guardrail", guardrailArn ?? guardrailId).add("model", request?.modelId);

      const alert: CanonicalAlert = {
        id: alertIdFor(receipt, 0),
        source: "aws.bedrock",
        sourceIds: boundedSourceIds({
          eventId: event.id,
          cloudTrailEventId: detail.eventID,
          requestId: detail.requestID,
          deliveryId: receipt.deliveryId,
        }),
        type: verdict.type,
        severity: verdict.severity,
        status: "firing",
        title: titleText(verdict.title),
        occurredAt: isoOf(detail.eventTime),
        receivedAt: receipt.receivedAt,
        dedupKey:
          verdict.details.signal === MODEL_ENUMERATION_SIGNAL
            ? enumerationDedupKey(accountId, enumeratorOf(identity), detail.sourceIPAddress)
            : `cloudtrail:${detail.eventID}`,
        entities: entities.toArray(),
        tags: tagsFor(verdict.type),
        details: boundedDetails({
          eventName: detail.eventName,
          eventSource: detail.eventSource,
          eventId: detail.eventID,
          eventTime: detail.eventTime,
          accountId,
          region: detail.awsRegion,
          principalArn: identity.arn ?? null,
          principalType: identity.type,
          principalId: identity.principalId ?? null,
          userName: identity.userName ?? null,
          roleArn: roleArn ?? null,
          accessKeyId: identity.accessKeyId ?? null,
          sourceIPAddress: detail.sourceIPAddress,
          userAgent: detail.userAgent ?? null,
          readOnly: detail.readOnly ?? null,
          errorCode: detail.errorCode ?? null,
          succeeded: detail.errorCode === undefined,
          guardrailId: guardrailId ?? null,
          guardrailArn: guardrailArn ?? null,
          guardrailVersion: response?.version ?? request?.guardrailVersion ?? null,
          filtersConfig:
            filters.length > 0
              ? filters
                  .map(
                    (filter) =>
                      `${filter.type}:${filter.inputStrength ?? "-"}/${filter.outputStrength ?? "-"}`,
                  )
                  .join(",")
              : null,
          promptAttackInputStrength: promptAttack?.inputStrength ?? null,
          modelId: request?.modelId ?? null,
          ...verdict.details,
        }),
      };
      return [alert];
    },
  };
}

/** The registered adapter: the allow-list comes from the function's environment. */
export const bedrock = createBedrockCloudTrailAdapter({
  guardrailAdmins: () => guardrailAdminsFrom(process.env),
});
