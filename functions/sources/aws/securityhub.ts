import * as z from "zod";
import { type AlertStatus, type CanonicalAlert, type Severity, tagsFor } from "../../shared/alert.js";
import { alertIdFor, type EventSourceAdapter, type Receipt } from "../source.js";
import {
  AccountId,
  assertFresh,
  awsTimestamp,
  boundedDetails,
  boundedSourceIds,
  EntityList,
  envelopeOf,
  epochMillis,
  freeText,
  GUARDDUTY_AI_TYPES,
  guardDutyAlertType,
  guardDutyFinalSeverity,
  guardDutyFindingIdOf,
  identifier,
  isoOf,
  label,
  ownString,
  principalArnOf,
  Region,
  type Stamp,
  sageMakerEndpointArn,
  timeOf,
  titleText,
} from "./common.js";
import { anyOf, at, type PatternNode, prefix, suffix, type ValueCondition } from "./event-pattern.js";

/**
 * `aws.securityhub`: Security Hub CSPM findings in ASFF (`Security Hub Findings - Imported`, several per
 * event) and Security Hub v2 findings in OCSF (`Findings Imported V2`). GuardDuty findings forwarded through
 * Security Hub are read as GuardDuty findings (R3 type mapping, R2 floors) and share the raw finding's dedup
 * key `guardduty:<finding id>`, so both copies land on one incident. Everything else (control failures, other
 * products) is `other`: accepted, recorded, no playbook; control failures on AI resources are marked AI
 * posture in the details.
 */

// ---------------------------------------------------------------------------------------------- ASFF

const AsffSeverity = z
  .looseObject({
    Label: z.enum(["INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"]).optional(),
    /** Deprecated; read only when `Label` is absent. */
    Normalized: z.number().int().min(0).max(100).optional(),
    Original: label(64).optional(),
  })
  .refine((severity) => severity.Label !== undefined || severity.Normalized !== undefined, {
    message: "Severity needs Label (or the deprecated Normalized)",
  });

const AsffFinding = z.looseObject({
  SchemaVersion: label(32),
  Id: identifier(500),
  ProductArn: identifier(512),
  ProductName: label(128).optional(),
  GeneratorId: identifier(512),
  AwsAccountId: AccountId,
  Region: Region.optional(),
  Types: z.array(label(256)).max(50),
  CreatedAt: awsTimestamp,
  UpdatedAt: awsTimestamp,
  FirstObservedAt: awsTimestamp.optional(),
  LastObservedAt: awsTimestamp.optional(),
  Severity: AsffSeverity,
  Title: label(256),
  Description: freeText(1024),
  ProductFields: z.record(z.string().max(128), freeText(4096)).optional(),
  Resources: z
    .array(
      z.looseObject({
        Type: label(256),
        Id: identifier(2048),
        Partition: label(32).optional(),
        Region: label(32).optional(),
        Details: z
          .looseObject({
            AwsIamAccessKey: z
              .looseObject({
                PrincipalId: identifier(256).optional(),
                PrincipalType: label(64).optional(),
                PrincipalName: label(128).optional(),
              })
              .optional(),
          })
          .optional(),
      }),
    )
    .min(1)
    .max(32),
  Compliance: z
    .looseObject({
      Status: z.enum(["PASSED", "WARNING", "FAILED", "NOT_AVAILABLE"]).optional(),
      SecurityControlId: label(64).optional(),
    })
    .optional(),
  Workflow: z.looseObject({ Status: z.enum(["NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED"]) }).optional(),
  RecordState: z.enum(["ACTIVE", "ARCHIVED"]).optional(),
});
type AsffFinding = z.infer<typeof AsffFinding>;

const AsffEvent = envelopeOf(
  "aws.securityhub",
  "Security Hub Findings - Imported",
  z.looseObject({ findings: z.array(AsffFinding).min(1).max(100) }),
);

// ---------------------------------------------------------------------------------------------- OCSF

const OcsfFinding = z.looseObject({
  class_uid: z.number().int().nonnegative(),
  class_name: label(128).optional(),
  activity_id: z.number().int().nonnegative().optional(),
  severity_id: z.literal([0, 1, 2, 3, 4, 5, 6, 99], { error: "severity_id must be an integer 0-6 or 99" }),
  status_id: z.number().int().nonnegative().optional(),
  time: epochMillis,
  count: z.number().int().nonnegative().optional(),
  cloud: z.looseObject({
    account: z.looseObject({ uid: AccountId }),
    region: Region.optional(),
  }),
  finding_info: z.looseObject({
    uid: identifier(500),
    uid_alt: identifier(128).optional(),
    title: label(1024),
    desc: freeText(8192).optional(),
    types: z.array(label(256)).max(50).optional(),
    created_time: epochMillis.optional(),
    modified_time: epochMillis.optional(),
  }),
  metadata: z.looseObject({
    version: label(32),
    uid: identifier(1024).optional(),
    product: z.looseObject({
      name: label(128).optional(),
      uid: identifier(1024).optional(),
    }),
  }),
  compliance: z.looseObject({ status: label(64).optional(), control: label(128).optional() }).optional(),
  resources: z
    .array(
      z.looseObject({
        type: label(256).optional(),
        uid: identifier(2048).optional(),
        name: label(256).optional(),
        data: z
          .looseObject({
            access_key_id: identifier(128).optional(),
            principal_id: identifier(256).optional(),
            user_name: label(128).optional(),
            user_type: label(64).optional(),
          })
          .optional(),
      }),
    )
    .max(50)
    .optional(),
  evidences: z
    .array(
      z.looseObject({
        src_endpoint: z.looseObject({ ip: z.union([z.ipv4(), z.ipv6()]).optional() }).optional(),
        api: z
          .looseObject({
            operation: label(256).optional(),
            service: z.looseObject({ name: label(256).optional() }).optional(),
          })
          .optional(),
        /** Free-form JSON in OCSF: read field by field, never trusted for its shape. */
        data: z.record(z.string().max(256), z.unknown()).optional(),
      }),
    )
    .max(50)
    .optional(),
});
type OcsfFinding = z.infer<typeof OcsfFinding>;

const OcsfEvent = envelopeOf(
  "aws.securityhub",
  "Findings Imported V2",
  z.looseObject({ findings: z.array(OcsfFinding).min(1).max(100) }),
);

export const SecurityHubEvent = z.discriminatedUnion("detail-type", [AsffEvent, OcsfEvent]);
export type SecurityHubEvent = z.infer<typeof SecurityHubEvent>;

// ---------------------------------------------------------------------------------------------- shared

const ASFF_SEVERITY: Record<NonNullable<z.infer<typeof AsffSeverity>["Label"]>, Severity> = {
  INFORMATIONAL: "info",
  LOW: "low",
  MEDIUM: "medium",
  HIGH: "high",
  CRITICAL: "critical",
};

/** R1: `Label` when present; the deprecated `Normalized` (0-100) otherwise. */
function asffSeverity(severity: z.infer<typeof AsffSeverity>): Severity {
  if (severity.Label) return ASFF_SEVERITY[severity.Label];
  const normalized = severity.Normalized ?? 0;
  if (normalized >= 90) return "critical";
  if (normalized >= 70) return "high";
  if (normalized >= 40) return "medium";
  if (normalized >= 1) return "low";
  return "info";
}

/** R1: OCSF `severity_id`: 1 info ... 5 critical, 6 (Fatal) critical, 0 (Unknown) and 99 (Other) medium. */
const OCSF_SEVERITY: Record<number, Severity> = {
  0: "medium",
  1: "info",
  2: "low",
  3: "medium",
  4: "high",
  5: "critical",
  6: "critical",
  99: "medium",
};

/**
 * The GuardDuty type an ASFF `Types` entry carries: GuardDuty writes `<ThreatPurpose>:<ResourceType>-<Name>`
 * as the last path segment (`TTPs/Defense Evasion/DefenseEvasion:IAMUser-BedrockLoggingDisabled`).
 */
export function guardDutyTypeOfAsff(types: readonly string[]): string | undefined {
  for (const type of types) {
    const match = /^([A-Za-z0-9]+):([A-Za-z0-9]+)-([\x21-\x7E]+)$/.exec(type.split("/").at(-1) ?? "");
    if (match) return `${match[1]}:${match[2]}/${match[3]}`;
  }
  return undefined;
}

/** OCSF `finding_info.types` holds the GuardDuty type as GuardDuty spells it. */
const guardDutyTypeOfOcsf = (types: readonly string[] | undefined): string | undefined =>
  types?.find((type) => /^[A-Za-z0-9]+:[A-Za-z0-9]+\/[\x21-\x7E]+$/.test(type) && type.length <= 100);

/** Resource types and ids that make a control failure AI posture. */
const AI_RESOURCE = /bedrock|sagemaker/i;
const isAiResource = (values: readonly (string | undefined)[]) =>
  values.some((value) => value !== undefined && AI_RESOURCE.test(value));

// ---------------------------------------------------------------------------------------------- rule

/** ARNs of Bedrock (and Bedrock AgentCore) and SageMaker resources, in every partition. */
const AI_RESOURCE_ARNS: readonly ValueCondition[] = ["aws", "aws-cn", "aws-us-gov"].flatMap((partition) => [
  prefix(`arn:${partition}:bedrock`),
  prefix(`arn:${partition}:sagemaker:`),
]);

/** ASFF spells `Impact:IAMUser/Name` as `TTPs/<tactic>/Impact:IAMUser-Name`; the adapter reads the last segment. */
const asffTypesOf = (type: string): ValueCondition[] => {
  const asff = type.replace("/", "-");
  return [asff, suffix(`/${asff}`)];
};

/**
 * The rule lets in findings about AI: copies of the GuardDuty AI finding types (ASFF `Types`, OCSF
 * `finding_info.types`), and findings whose resources are Bedrock or SageMaker (ASFF `Resources[].Type`
 * AwsBedrock…/AwsSageMaker…, OCSF `resources[].type` AWS::Bedrock::…/AWS::SageMaker::…, or an ARN of those
 * services). Alternatives hold within one finding; an event with one such finding among others gets in whole,
 * and triage records the others as out of scope.
 */
export function securityHubDetailPattern(): PatternNode {
  const aiTypes = [...GUARDDUTY_AI_TYPES.keys()];
  return {
    findings: anyOf(
      at(["Types"], aiTypes.flatMap(asffTypesOf)),
      at(["Resources", "Type"], [prefix("AwsBedrock"), prefix("AwsSageMaker")]),
      at(["Resources", "Id"], AI_RESOURCE_ARNS),
      at(["finding_info", "types"], aiTypes),
      at(["resources", "type"], [prefix("AWS::Bedrock::"), prefix("AWS::SageMaker::")]),
      at(["resources", "uid"], AI_RESOURCE_ARNS),
    ),
  };
}

// ---------------------------------------------------------------------------------------------- normalise

function fromAsff(
  event: z.infer<typeof AsffEvent>,
  finding: AsffFinding,
  index: number,
  receipt: Receipt,
): CanonicalAlert {
  const fields = finding.ProductFields ?? {};
  const fromGuardDuty = /:product\/aws\/guardduty$/.test(finding.ProductArn);
  const guardDutyType = fromGuardDuty ? guardDutyTypeOfAsff(finding.Types) : undefined;
  const findingId = fromGuardDuty ? guardDutyFindingIdOf(finding.Id) : undefined;
  const keyResource = finding.Resources.find((resource) => resource.Type === "AwsIamAccessKey");
  const keyDetails = keyResource?.Details?.AwsIamAccessKey;
  const accessKeyId = keyResource?.Id.split(":").at(-1);
  const principalType =
    keyDetails?.PrincipalType ?? ownString(fields, "aws/guardduty/resource/accessKeyDetails/userType");
  const controlId =
    finding.Compliance?.SecurityControlId ??
    ownString(fields, "aws/securityhub/ControlId") ??
    ownString(fields, "ControlId");
  const isControl = !fromGuardDuty && (finding.Compliance !== undefined || controlId !== undefined);

  const type = guardDutyType ? guardDutyAlertType(guardDutyType) : "other";
  const base = asffSeverity(finding.Severity);
  const { severity, severityRule } = guardDutyType
    ? guardDutyFinalSeverity(base, guardDutyType, principalType)
    : { severity: base, severityRule: null };
  const archived =
    finding.RecordState === "ARCHIVED" ||
    finding.Workflow?.Status === "RESOLVED" ||
    ownString(fields, "aws/guardduty/service/archived") === "true" ||
    (isControl && finding.Compliance?.Status === "PASSED");
  const status: AlertStatus = archived
    ? "resolved"
    : timeOf(finding.UpdatedAt) > timeOf(finding.CreatedAt)
      ? "update"
      : "firing";
  const dedupKey = findingId ? `guardduty:${findingId}` : `securityhub:${finding.Id}`;

  const accountId = finding.AwsAccountId;
  const partition = keyResource?.Partition ?? "aws";
  const principalArn = principalArnOf({
    partition: /^aws(?:-[a-z]+)*$/.test(partition) ? partition : "aws",
    accountId,
    type: principalType,
    name: keyDetails?.PrincipalName ?? ownString(fields, "aws/guardduty/resource/accessKeyDetails/userName"),
  });
  const remoteIp =
    ownString(fields, "aws/guardduty/service/action/awsApiCallAction/remoteIpDetails/ipAddressV4") ??
    ownString(fields, "aws/guardduty/service/action/networkConnectionAction/remoteIpDetails/ipAddressV4");
  const entities = new EntityList().add("account", accountId);
  if (accessKeyId && /^[A-Z0-9]{16,128}$/.test(accessKeyId)) entities.add("access_key", accessKeyId);
  entities.add("principal", principalArn).addIp(remoteIp);
  for (const resource of finding.Resources) {
    if (/guardrail/i.test(resource.Type) || /:guardrail\//.test(resource.Id))
      entities.add("guardrail", resource.Id);
    else if (/agent/i.test(resource.Type) && /bedrock/i.test(resource.Type + resource.Id))
      entities.add("agent", resource.Id);
  }
  const aiResource = isAiResource(finding.Resources.flatMap((resource) => [resource.Type, resource.Id]));
  const countField = ownString(fields, "aws/guardduty/service/count");
  const where = { region: finding.Region ?? event.region, account: accountId };
  const assetId = firstAsset(
    finding.Resources.filter((resource) => resource.Type === "AwsSageMakerEndpoint").map((r) => r.Id),
    where,
  );

  return {
    id: alertIdFor(receipt, index),
    source: "aws.securityhub",
    sourceIds: boundedSourceIds({
      eventId: event.id,
      findingId: findingId ?? undefined,
      asffId: finding.Id,
      deliveryId: receipt.deliveryId,
    }),
    type,
    severity,
    status,
    title: titleText(
      guardDutyType ? `GuardDuty ${guardDutyType}: ${finding.Title}` : `Security Hub: ${finding.Title}`,
    ),
    occurredAt: isoOf(finding.UpdatedAt),
    receivedAt: receipt.receivedAt,
    dedupKey,
    entities: entities.toArray(),
    tags: tagsFor(type),
    details: boundedDetails({
      format: "asff",
      ...(assetId ? { assetId } : {}),
      product: finding.ProductName ?? finding.ProductArn.split("/").at(-1),
      productArn: finding.ProductArn,
      asffId: finding.Id,
      generatorId: finding.GeneratorId,
      findingId: findingId ?? null,
      findingType: guardDutyType ?? finding.Types[0] ?? null,
      aiFinding: type !== "other",
      asffSeverityLabel: finding.Severity.Label ?? null,
      severityRule,
      accountId,
      region: finding.Region ?? event.region,
      createdAt: finding.CreatedAt,
      updatedAt: finding.UpdatedAt,
      firstObservedAt: finding.FirstObservedAt,
      lastObservedAt: finding.LastObservedAt,
      recordState: finding.RecordState,
      workflowStatus: finding.Workflow?.Status,
      count: countField && /^\d{1,9}$/.test(countField) ? Number(countField) : undefined,
      accessKeyId: accessKeyId ?? null,
      principalArn: principalArn ?? null,
      principalType: principalType ?? null,
      userName: keyDetails?.PrincipalName ?? null,
      remoteIp: remoteIp ?? null,
      api: ownString(fields, "aws/guardduty/service/action/awsApiCallAction/api"),
      posture: isControl,
      aiPosture: isControl && aiResource,
      controlId,
      complianceStatus: finding.Compliance?.Status,
      resourceType: finding.Resources[0]?.Type,
      resourceId: finding.Resources[0]?.Id,
      description: finding.Description,
    }),
  };
}

/** OCSF Detection Finding (2004) from GuardDuty, or a Compliance Finding (2003) from a control. */
function fromOcsf(
  event: z.infer<typeof OcsfEvent>,
  finding: OcsfFinding,
  index: number,
  receipt: Receipt,
): CanonicalAlert {
  const info = finding.finding_info;
  const product = finding.metadata.product;
  const fromGuardDuty =
    /productv2\/aws\/guardduty$/.test(product.uid ?? "") ||
    (product.uid === undefined && product.name === "GuardDuty");
  const guardDutyType = fromGuardDuty ? guardDutyTypeOfOcsf(info.types) : undefined;
  const findingId = fromGuardDuty
    ? info.uid_alt && /^[A-Za-z0-9_-]{1,128}$/.test(info.uid_alt)
      ? info.uid_alt
      : guardDutyFindingIdOf(info.uid)
    : undefined;
  const keyResource = finding.resources?.find((resource) => resource.type === "AWS::IAM::AccessKey");
  const principalType = keyResource?.data?.user_type;
  const isControl = finding.class_uid === 2003 || finding.compliance !== undefined;

  const type = guardDutyType ? guardDutyAlertType(guardDutyType) : "other";
  const base = OCSF_SEVERITY[finding.severity_id] ?? "medium";
  const { severity, severityRule } = guardDutyType
    ? guardDutyFinalSeverity(base, guardDutyType, principalType)
    : { severity: base, severityRule: null };
  // status_id 4 Resolved, 5 Archived, 6 Deleted; activity_id 3 Close, 2 Update.
  const closed = [4, 5, 6].includes(finding.status_id ?? 0) || finding.activity_id === 3;
  const status: AlertStatus = closed ? "resolved" : finding.activity_id === 2 ? "update" : "firing";
  const dedupKey = findingId ? `guardduty:${findingId}` : `securityhub:${info.uid}`;

  const accountId = finding.cloud.account.uid;
  const accessKeyId = keyResource?.uid ?? keyResource?.data?.access_key_id;
  const principalArn = principalArnOf({
    partition: "aws",
    accountId,
    type: principalType,
    name: keyResource?.data?.user_name,
  });
  const entities = new EntityList().add("account", accountId);
  if (accessKeyId && /^[A-Z0-9]{16,128}$/.test(accessKeyId)) entities.add("access_key", accessKeyId);
  entities.add("principal", principalArn);
  const ips: string[] = [];
  const models: string[] = [];
  for (const evidence of finding.evidences ?? []) {
    const ip = evidence.src_endpoint?.ip;
    if (ip) {
      ips.push(ip);
      entities.addIp(ip);
    }
    const affected = evidence.data && Object.hasOwn(evidence.data, "affected_resource");
    const resources = affected ? evidence.data?.affected_resource : undefined;
    for (const resourceType of [
      "AWS::SageMaker::Endpoint",
      "AWS::Bedrock::Model",
      "AWS::Bedrock::FoundationModel",
    ]) {
      const model = ownString(resources, resourceType);
      if (model && /^[\x21-\x7E]{1,512}$/.test(model)) {
        models.push(model);
        entities.add("model", model);
      }
    }
  }
  for (const resource of finding.resources ?? []) {
    if (!resource.uid) continue;
    if (resource.type === "AWS::Bedrock::Guardrail") entities.add("guardrail", resource.uid);
    if (resource.type === "AWS::SageMaker::Endpoint" || resource.type === "AWS::Bedrock::Model")
      entities.add("model", resource.uid);
  }
  const endpointNames = [
    ...(finding.resources ?? []).flatMap((resource) =>
      resource.type === "AWS::SageMaker::Endpoint" && resource.uid ? [resource.uid] : [],
    ),
    ...(finding.evidences ?? []).flatMap((evidence) => {
      const data =
        evidence.data && Object.hasOwn(evidence.data, "affected_resource") ? evidence.data : undefined;
      const name = ownString(data?.affected_resource, "AWS::SageMaker::Endpoint");
      return name ? [name] : [];
    }),
  ];
  const assetId = firstAsset(endpointNames, {
    region: finding.cloud.region ?? event.region,
    account: accountId,
  });
  const firstApi = finding.evidences?.find((evidence) => evidence.api)?.api;
  const aiResource = isAiResource(
    (finding.resources ?? []).flatMap((resource) => [resource.type, resource.uid]),
  );

  return {
    id: alertIdFor(receipt, index),
    source: "aws.securityhub",
    sourceIds: boundedSourceIds({
      eventId: event.id,
      findingId: findingId ?? undefined,
      ocsfUid: info.uid,
      deliveryId: receipt.deliveryId,
    }),
    type,
    severity,
    status,
    title: titleText(
      guardDutyType ? `GuardDuty ${guardDutyType}: ${info.title}` : `Security Hub: ${info.title}`,
    ),
    occurredAt: isoOf(finding.time),
    receivedAt: receipt.receivedAt,
    dedupKey,
    entities: entities.toArray(),
    tags: tagsFor(type),
    details: boundedDetails({
      format: "ocsf",
      ...(assetId ? { assetId } : {}),
      ocsfVersion: finding.metadata.version,
      classUid: finding.class_uid,
      product: product.name ?? product.uid ?? null,
      productUid: product.uid,
      ocsfUid: info.uid,
      findingId: findingId ?? null,
      findingType: guardDutyType ?? info.types?.[0] ?? null,
      aiFinding: type !== "other",
      severityId: finding.severity_id,
      severityRule,
      statusId: finding.status_id,
      activityId: finding.activity_id,
      accountId,
      region: finding.cloud.region ?? event.region,
      count: finding.count,
      accessKeyId: accessKeyId ?? null,
      principalArn: principalArn ?? null,
      principalType: principalType ?? null,
      userName: keyResource?.data?.user_name ?? null,
      remoteIp: ips[0] ?? null,
      modelIds: models.length > 0 ? [...new Set(models)].join(",") : null,
      api: firstApi?.operation,
      apiServiceName: firstApi?.service?.name,
      posture: isControl,
      aiPosture: isControl && aiResource,
      controlId: finding.compliance?.control,
      complianceStatus: finding.compliance?.status,
      description: info.desc,
    }),
  };
}

function stampsOf(event: SecurityHubEvent): Stamp[] {
  const stamps: Stamp[] = [{ path: "time", value: event.time }];
  if (event["detail-type"] === "Security Hub Findings - Imported") {
    // CreatedAt may be old for a long-failing control; UpdatedAt is this import.
    event.detail.findings.forEach((finding, i) => {
      stamps.push({ path: `detail.findings.${i}.UpdatedAt`, value: finding.UpdatedAt });
    });
  } else {
    event.detail.findings.forEach((finding, i) => {
      stamps.push({ path: `detail.findings.${i}.time`, value: finding.time });
    });
  }
  return stamps;
}

export const securityhub: EventSourceAdapter<SecurityHubEvent> = {
  source: "aws.securityhub",
  detailTypes: ["Security Hub Findings - Imported", "Findings Imported V2"],
  detailPattern: securityHubDetailPattern,
  schema: SecurityHubEvent,
  normalize(event, receipt) {
    assertFresh("aws.securityhub", stampsOf(event), receipt);
    if (event["detail-type"] === "Security Hub Findings - Imported")
      return event.detail.findings.map((finding, i) => fromAsff(event, finding, i, receipt));
    return event.detail.findings.map((finding, i) => fromOcsf(event, finding, i, receipt));
  },
};

/**
 * The SageMaker endpoint a finding names (its ARN, or its name in the finding's region and account), as the asset
 * `details.assetId` gives the inventory and the rollback-model playbook; undefined when it names none or several.
 */
function firstAsset(
  endpoints: readonly string[],
  where: { region: string; account: string },
): string | undefined {
  const arns = new Set(endpoints.flatMap((endpoint) => sageMakerEndpointArn(endpoint, where) ?? []));
  return arns.size === 1 ? [...arns][0] : undefined;
}
