import * as z from "zod";
import { type CanonicalAlert, tagsFor } from "../../shared/alert.js";
import { alertIdFor, type EventSourceAdapter } from "../source.js";
import { UserIdentity } from "./bedrock.js";
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
  sageMakerEndpointArn,
  titleText,
} from "./common.js";
import { at, type PatternNode } from "./event-pattern.js";

/** The SageMaker calls that put an endpoint configuration live: what Quell learns an endpoint's history from. */
export const ENDPOINT_DEPLOYMENTS = ["CreateEndpoint", "UpdateEndpoint"] as const;

/** `details.signal` of a deployment record: triage keeps it as the endpoint's history, and opens nothing. */
export const ENDPOINT_DEPLOYMENT_SIGNAL = "endpoint_deployment";

const EndpointName = z
  .string()
  .regex(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/, "must be a SageMaker endpoint name");

const CloudTrailDetail = z.looseObject({
  userIdentity: UserIdentity,
  eventTime: awsTimestamp,
  eventSource: z.literal("sagemaker.amazonaws.com"),
  eventName: z.string().regex(/^[A-Za-z0-9]{1,128}$/, "must be an API name such as UpdateEndpoint"),
  awsRegion: Region,
  sourceIPAddress: label(256),
  userAgent: freeText(2048).optional(),
  requestParameters: z
    .looseObject({ endpointName: EndpointName.optional(), endpointConfigName: EndpointName.optional() })
    .nullable()
    .optional(),
  responseElements: z
    .looseObject({ endpointArn: identifier(2048).optional() })
    .nullable()
    .optional(),
  errorCode: label(256).optional(),
  requestID: identifier(128).optional(),
  eventID: z.string().regex(/^[A-Za-z0-9-]{1,128}$/, "must be a CloudTrail event id"),
  recipientAccountId: AccountId.optional(),
});

export const SageMakerCloudTrailEvent = envelopeOf(
  "aws.sagemaker",
  "AWS API Call via CloudTrail",
  CloudTrailDetail,
);
export type SageMakerCloudTrailEvent = z.infer<typeof SageMakerCloudTrailEvent>;

/** The rule lets in only the calls that deploy a configuration (a refused one is kept too, and learnt from not). */
const sageMakerDetailPattern = (): PatternNode => at(["eventName"], ENDPOINT_DEPLOYMENTS);

/**
 * `aws.sagemaker` / `AWS API Call via CloudTrail`: CreateEndpoint and UpdateEndpoint, the calls that put an endpoint
 * configuration live. SageMaker keeps no history of the configurations an endpoint ran; Quell learns it from these,
 * so the rollback-model playbook can name the one that served before the current one. Each is an `info` record
 * (`details.signal: endpoint_deployment`, `details.assetId`: the endpoint's ARN) that triage keeps as history and
 * lists as unmatched with why; it opens no incident. A refused call (errorCode) deployed nothing: kept, not learnt.
 */
export const sagemaker: EventSourceAdapter<SageMakerCloudTrailEvent> = {
  source: "aws.sagemaker",
  detailTypes: ["AWS API Call via CloudTrail"],
  detailPattern: sageMakerDetailPattern,
  schema: SageMakerCloudTrailEvent,
  normalize(event, receipt) {
    const { detail } = event;
    assertFresh(
      "aws.sagemaker",
      [
        { path: "time", value: event.time },
        { path: "detail.eventTime", value: detail.eventTime },
      ],
      receipt,
    );
    const accountId = detail.recipientAccountId ?? event.account;
    const endpointName = detail.requestParameters?.endpointName;
    const endpointConfigName = detail.requestParameters?.endpointConfigName;
    // The rule lets in only deployments; any other SageMaker call (an unfiltered rule) is kept as not AI.
    const deployment =
      (ENDPOINT_DEPLOYMENTS as readonly string[]).includes(detail.eventName) &&
      endpointName !== undefined &&
      endpointConfigName !== undefined;
    const where = { region: detail.awsRegion, account: accountId };
    const assetId =
      sageMakerEndpointArn(detail.responseElements?.endpointArn, where) ??
      sageMakerEndpointArn(endpointName, where);
    const identity = detail.userIdentity;
    const by =
      identity.sessionContext?.sessionIssuer?.arn ?? identity.arn ?? identity.principalId ?? identity.type;
    const deployed = detail.errorCode === undefined;
    const entities = new EntityList().add("account", accountId).add("model", assetId);
    entities.add("principal", identity.arn).add("access_key", identity.accessKeyId);
    const alert: CanonicalAlert = {
      id: alertIdFor(receipt, 0),
      source: "aws.sagemaker",
      sourceIds: boundedSourceIds({
        eventId: event.id,
        cloudTrailEventId: detail.eventID,
        requestId: detail.requestID,
        deliveryId: receipt.deliveryId,
      }),
      type: deployment ? "model_integrity_change" : "other",
      severity: "info",
      status: "firing",
      title: titleText(
        !deployment
          ? `SageMaker ${detail.eventName} by ${by}`
          : deployed
            ? `SageMaker endpoint ${endpointName} now deploys configuration ${endpointConfigName} (${detail.eventName} by ${by})`
            : `Refused ${detail.eventName} of SageMaker endpoint ${endpointName} to ${endpointConfigName} by ${by} (${detail.errorCode})`,
      ),
      occurredAt: isoOf(detail.eventTime),
      receivedAt: receipt.receivedAt,
      dedupKey: `cloudtrail:${detail.eventID}`,
      entities: entities.toArray(),
      tags: tagsFor(deployment ? "model_integrity_change" : "other"),
      details: boundedDetails({
        ...(deployment
          ? { signal: ENDPOINT_DEPLOYMENT_SIGNAL }
          : { note: `${detail.eventName} is not one of the SageMaker calls Quell learns from` }),
        eventName: detail.eventName,
        eventId: detail.eventID,
        eventTime: detail.eventTime,
        accountId,
        region: detail.awsRegion,
        endpointName: endpointName ?? null,
        endpointConfigName: endpointConfigName ?? null,
        assetId: assetId ?? null,
        deployedBy: by,
        principalArn: identity.arn ?? null,
        sourceIPAddress: detail.sourceIPAddress,
        errorCode: detail.errorCode ?? null,
        succeeded: deployed,
      }),
    };
    return [alert];
  },
};
