import * as z from "zod";
import { type CanonicalAlert, tagsFor } from "../../shared/alert.js";
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
  GUARDDUTY_AI_TYPES,
  GuardDutyFindingType,
  guardDutyAlertType,
  guardDutyFinalSeverity,
  guardDutySeverity,
  identifier,
  isoOf,
  label,
  ownString,
  Partition,
  principalArnOf,
  Region,
  sageMakerEndpointArn,
  timeOf,
  titleText,
} from "./common.js";
import { at, type PatternNode } from "./event-pattern.js";

const RemoteIpDetails = z.looseObject({
  ipAddressV4: z.ipv4().optional(),
  ipAddressV6: z.ipv6().optional(),
  organization: z
    .looseObject({
      asn: label(32).optional(),
      asnOrg: freeText(256).optional(),
      isp: freeText(256).optional(),
    })
    .optional(),
  country: z
    .looseObject({ countryCode: label(8).optional(), countryName: freeText(128).optional() })
    .optional(),
});

const GuardrailVersion = z.union([z.number().int().nonnegative(), label(32)]);

/** The parts of a GuardDuty finding Quell reads, typed strictly; everything else passes through. */
const GuardDutyFinding = z.looseObject({
  schemaVersion: label(16).optional(),
  accountId: AccountId,
  region: Region,
  partition: Partition,
  id: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,128}$/, "must be a GuardDuty finding id (letters, digits, - and _, ≤ 128)"),
  arn: identifier(2048),
  type: GuardDutyFindingType,
  severity: z.number().min(0).max(10),
  createdAt: awsTimestamp,
  updatedAt: awsTimestamp,
  title: label(1024),
  description: freeText(8192).optional(),
  associatedAttackSequenceArn: identifier(2048).optional(),
  resource: z.looseObject({
    resourceType: label(64),
    accessKeyDetails: z
      .looseObject({
        accessKeyId: identifier(128).optional(),
        principalId: identifier(256).optional(),
        userName: label(128).optional(),
        userType: label(64).optional(),
      })
      .optional(),
    modelDetails: z
      .array(z.looseObject({ modelId: identifier(2048) }))
      .max(50)
      .optional(),
    bedrockGuardrailDetails: z
      .looseObject({
        guardrails: z
          .array(z.looseObject({ arn: identifier(2048), version: GuardrailVersion.optional() }))
          .max(20)
          .optional(),
        /** Deprecated by GuardDuty in favour of `guardrails[]`; still read when it is the only one. */
        guardrailArn: identifier(2048).optional(),
        guardrailVersion: GuardrailVersion.optional(),
        guardrailAction: label(64).optional(),
        guardrailSource: label(32).optional(),
        contentPolicyFilters: z
          .array(
            z.looseObject({
              type: label(64),
              confidence: label(32).optional(),
              action: label(32).optional(),
            }),
          )
          .max(20)
          .optional(),
      })
      .optional(),
  }),
  service: z.looseObject({
    detectorId: identifier(64).optional(),
    featureName: label(64).optional(),
    archived: z.boolean(),
    count: z.number().int().nonnegative(),
    eventFirstSeen: awsTimestamp.optional(),
    eventLastSeen: awsTimestamp.optional(),
    action: z
      .looseObject({
        actionType: label(64).optional(),
        awsApiCallAction: z
          .looseObject({
            api: label(128).optional(),
            serviceName: label(128).optional(),
            callerType: label(64).optional(),
            userAgent: freeText(4096).optional(),
            remoteIpDetails: RemoteIpDetails.optional(),
            /** The resources the call touched, by CloudFormation type (`AWS::SageMaker::Endpoint`: its name). */
            affectedResources: z.record(label(128), identifier(2048)).optional(),
          })
          .optional(),
        networkConnectionAction: z.looseObject({ remoteIpDetails: RemoteIpDetails.optional() }).optional(),
        portProbeAction: z
          .looseObject({
            portProbeDetails: z
              .array(z.looseObject({ remoteIpDetails: RemoteIpDetails.optional() }))
              .max(50)
              .optional(),
          })
          .optional(),
      })
      .optional(),
  }),
});

export const GuardDutyEvent = envelopeOf("aws.guardduty", "GuardDuty Finding", GuardDutyFinding);
export type GuardDutyEvent = z.infer<typeof GuardDutyEvent>;
type Finding = GuardDutyEvent["detail"];

/** The remote IPs a finding names, from whichever action it describes. */
function remoteIpsOf(finding: Finding): z.infer<typeof RemoteIpDetails>[] {
  const action = finding.service.action;
  return [
    action?.awsApiCallAction?.remoteIpDetails,
    action?.networkConnectionAction?.remoteIpDetails,
    ...(action?.portProbeAction?.portProbeDetails ?? []).map((detail) => detail.remoteIpDetails),
  ].filter((ip): ip is z.infer<typeof RemoteIpDetails> => ip !== undefined);
}

function guardrailsOf(finding: Finding): { arn: string; version: string | null }[] {
  const details = finding.resource.bedrockGuardrailDetails;
  if (!details) return [];
  const listed = (details.guardrails ?? []).map((guardrail) => ({
    arn: guardrail.arn,
    version: guardrail.version === undefined ? null : String(guardrail.version),
  }));
  if (listed.length > 0 || !details.guardrailArn) return listed;
  return [
    {
      arn: details.guardrailArn,
      version: details.guardrailVersion === undefined ? null : String(details.guardrailVersion),
    },
  ];
}

const CONFIDENCE_ORDER = ["NONE", "LOW", "MEDIUM", "HIGH"];

/**
 * The rule lets in the AI finding types Quell maps (GUARDDUTY_AI_TYPES), by their exact `detail.type`, as the
 * adapter matches them: EC2, S3, Kubernetes, malware and other IAM findings stay out, look-alikes too.
 */
export const guardDutyDetailPattern = (): PatternNode => at(["type"], [...GUARDDUTY_AI_TYPES.keys()]);

/**
 * `aws.guardduty` / `GuardDuty Finding`. AI Protection types map per R3 (llmjacking, prompt_injection,
 * guardrail_tampering); every other type is `other`, which triage records as out of scope. Severity per R1
 * with the R2 floors. One finding id is one alert across re-publications: `guardduty:<id>`, the key Security
 * Hub copies of the same finding use too. A re-published finding (updated after it was created, its
 * `service.count` grown) is an `update`; an archived one is `resolved`.
 */
export const guardduty: EventSourceAdapter<GuardDutyEvent> = {
  source: "aws.guardduty",
  detailTypes: ["GuardDuty Finding"],
  detailPattern: guardDutyDetailPattern,
  schema: GuardDutyEvent,
  normalize(event, receipt) {
    const finding = event.detail;
    assertFresh(
      "aws.guardduty",
      [
        { path: "time", value: event.time },
        { path: "detail.createdAt", value: finding.createdAt },
        { path: "detail.updatedAt", value: finding.updatedAt },
      ],
      receipt,
    );
    const type = guardDutyAlertType(finding.type);
    const key = finding.resource.accessKeyDetails;
    const { severity, severityRule } = guardDutyFinalSeverity(
      guardDutySeverity(finding.severity),
      finding.type,
      key?.userType,
    );
    const status = finding.service.archived
      ? "resolved"
      : timeOf(finding.updatedAt) > timeOf(finding.createdAt)
        ? "update"
        : "firing";

    const principalArn = principalArnOf({
      partition: finding.partition,
      accountId: finding.accountId,
      type: key?.userType,
      name: key?.userName,
    });
    const ips = remoteIpsOf(finding);
    const firstIp = ips[0];
    const models = (finding.resource.modelDetails ?? []).map((model) => model.modelId);
    const guardrails = guardrailsOf(finding);
    const guardrailDetails = finding.resource.bedrockGuardrailDetails;
    const filters = guardrailDetails?.contentPolicyFilters ?? [];
    const topConfidence = filters
      .map((filter) => filter.confidence?.toUpperCase() ?? "NONE")
      .sort((a, b) => CONFIDENCE_ORDER.indexOf(b) - CONFIDENCE_ORDER.indexOf(a))[0];

    const entities = new EntityList().add("account", finding.accountId);
    entities.add("access_key", key?.accessKeyId).add("principal", principalArn);
    for (const ip of ips) entities.addIp(ip.ipAddressV4).addIp(ip.ipAddressV6);
    for (const model of models) entities.add("model", model);
    for (const guardrail of guardrails) entities.add("guardrail", guardrail.arn);

    const api = finding.service.action?.awsApiCallAction;
    const endpoint = ownString(api?.affectedResources, "AWS::SageMaker::Endpoint");
    const assetId = sageMakerEndpointArn(endpoint, { region: finding.region, account: finding.accountId });
    const alert: CanonicalAlert = {
      id: alertIdFor(receipt, 0),
      source: "aws.guardduty",
      sourceIds: boundedSourceIds({
        eventId: event.id,
        findingId: finding.id,
        findingArn: finding.arn,
        deliveryId: receipt.deliveryId,
      }),
      type,
      severity,
      status,
      title: titleText(`GuardDuty ${finding.type}: ${finding.title}`),
      occurredAt: isoOf(finding.updatedAt),
      receivedAt: receipt.receivedAt,
      dedupKey: `guardduty:${finding.id}`,
      entities: entities.toArray(),
      tags: tagsFor(type),
      details: boundedDetails({
        ...(assetId ? { assetId } : {}),
        findingId: finding.id,
        findingType: finding.type,
        findingArn: finding.arn,
        aiFinding: type !== "other",
        guardDutySeverity: finding.severity,
        severityRule,
        accountId: finding.accountId,
        region: finding.region,
        resourceType: finding.resource.resourceType,
        count: finding.service.count,
        archived: finding.service.archived,
        createdAt: finding.createdAt,
        updatedAt: finding.updatedAt,
        eventFirstSeen: finding.service.eventFirstSeen,
        eventLastSeen: finding.service.eventLastSeen,
        detectorId: finding.service.detectorId,
        featureName: finding.service.featureName,
        accessKeyId: key?.accessKeyId ?? null,
        principalId: key?.principalId ?? null,
        principalArn: principalArn ?? null,
        userName: key?.userName ?? null,
        userType: key?.userType ?? null,
        actionType: finding.service.action?.actionType,
        api: api?.api,
        apiServiceName: api?.serviceName,
        userAgent: api?.userAgent,
        remoteIp: firstIp?.ipAddressV4 ?? firstIp?.ipAddressV6 ?? null,
        remoteAsn: firstIp?.organization?.asn,
        remoteAsnOrg: firstIp?.organization?.asnOrg,
        remoteCountry: firstIp?.country?.countryCode,
        modelIds: models.length > 0 ? models.join(",") : null,
        guardrailArn: guardrails[0]?.arn,
        guardrailId: guardrails[0]?.arn.split("/").at(-1),
        guardrailVersion: guardrails[0]?.version,
        guardrailAction: guardrailDetails?.guardrailAction,
        guardrailSource: guardrailDetails?.guardrailSource,
        contentPolicyFilters:
          filters.length > 0
            ? filters
                .map((filter) => `${filter.type}:${filter.confidence ?? "-"}:${filter.action ?? "-"}`)
                .join(",")
            : undefined,
        topFilterConfidence: topConfidence,
        attackSequenceArn: finding.associatedAttackSequenceArn,
        description: finding.description,
      }),
    };
    return [alert];
  },
};
