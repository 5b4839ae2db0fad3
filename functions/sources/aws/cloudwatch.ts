import * as z from "zod";
import {
  type AlertStatus,
  type AlertType,
  type CanonicalAlert,
  type Severity,
  tagsFor,
} from "../../shared/alert.js";
import { alertIdFor, type EventSourceAdapter } from "../source.js";
import {
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
  sageMakerEndpointArn,
  titleText,
} from "./common.js";
import {
  anyOf,
  at,
  type PatternNode,
  prefix,
  type RuleSettings,
  type ValueCondition,
} from "./event-pattern.js";

const AlarmState = z.looseObject({
  value: z.enum(["OK", "ALARM", "INSUFFICIENT_DATA"]),
  reason: freeText(4096),
  /** A JSON string; kept verbatim, never parsed here. */
  reasonData: freeText(16_384).optional(),
  timestamp: awsTimestamp,
});

const Metric = z.looseObject({
  id: label(255),
  metricStat: z
    .looseObject({
      metric: z.looseObject({
        namespace: label(255).optional(),
        name: label(255),
        dimensions: z.record(label(255), label(1024)).optional(),
      }),
      period: z.number().int().positive().optional(),
      stat: label(64).optional(),
    })
    .optional(),
  expression: freeText(2048).optional(),
  returnData: z.boolean().optional(),
});

const AlarmDetail = z.looseObject({
  alarmName: label(255),
  state: AlarmState,
  previousState: AlarmState.optional(),
  configuration: z
    .looseObject({
      description: freeText(1024).optional(),
      metrics: z.array(Metric).max(20).optional(),
      /** Composite alarms: a rule over other alarms instead of metrics. */
      alarmRule: freeText(10_240).optional(),
    })
    .optional(),
  /** Present when the alarm propagates its tags (`alarmTagsStatus` says whether that worked). */
  alarmTags: z.record(label(128), freeText(256)).optional(),
});

const ALARM_ARN = /^arn:aws[a-z-]*:cloudwatch:[a-z0-9-]+:\d{12}:alarm:[\x21-\x7E]+$/;

export const CloudWatchAlarmEvent = envelopeOf(
  "aws.cloudwatch",
  "CloudWatch Alarm State Change",
  AlarmDetail,
  z
    .array(identifier(2048))
    .max(100)
    .refine((resources) => resources.some((resource) => ALARM_ARN.test(resource) && resource.length <= 480), {
      message: "must name the alarm ARN (arn:aws:cloudwatch:<region>:<account>:alarm:<name>)",
    }),
);
export type CloudWatchAlarmEvent = z.infer<typeof CloudWatchAlarmEvent>;

/** AWS/Bedrock metrics that count tokens (per model), the ones R3 calls token spend. */
export const isBedrockTokenMetric = (namespace: string | undefined, name: string): boolean =>
  namespace === "AWS/Bedrock" && (/Token(s)?Count$/.test(name) || name === "EstimatedTPMQuotaUsage");

/**
 * The metric namespaces of AI services: Bedrock (AWS/Bedrock, AWS/Bedrock/Guardrails, AWS/Bedrock/Agents…),
 * Bedrock AgentCore, SageMaker AI (AWS/SageMaker…, and the endpoint and inference-component metrics under
 * /aws/sagemaker/).
 */
export const AI_METRIC_NAMESPACES: readonly ValueCondition[] = [
  "AWS/Bedrock",
  prefix("AWS/Bedrock/"),
  "Bedrock-AgentCore",
  "AWS/SageMaker",
  prefix("AWS/SageMaker/"),
  prefix("/aws/sagemaker/"),
];

/**
 * The rule lets in state changes of alarms on a metric in an AI namespace (any metric of a metric-math alarm),
 * and of alarms whose name starts with one of `cloudwatchAlarmNamePrefixes` (composite alarms included).
 */
export function cloudWatchDetailPattern({ cloudwatchAlarmNamePrefixes }: RuleSettings): PatternNode {
  cloudwatchAlarmNamePrefixes.forEach((name, i) => {
    if (name.trim().length === 0 || name.length > 255)
      throw new Error(
        `cloudwatchAlarmNamePrefixes[${i}]: ${JSON.stringify(name)} must be 1-255 characters and not blank (a blank prefix would take every alarm)`,
      );
  });
  const byNamespace = at(
    ["configuration", "metrics", "metricStat", "metric", "namespace"],
    AI_METRIC_NAMESPACES,
  );
  if (cloudwatchAlarmNamePrefixes.length === 0) return byNamespace;
  return anyOf(byNamespace, at(["alarmName"], [...new Set(cloudwatchAlarmNamePrefixes)].map(prefix)));
}

const SEVERITY_TAG: Readonly<Record<string, Severity>> = {
  critical: "critical",
  high: "high",
  medium: "medium",
  warning: "medium",
  low: "low",
  info: "info",
  informational: "info",
};

/** R1: the alarm's `severity` tag when it is a known level, else medium. */
function severityOf(tags: Record<string, string> | undefined): { severity: Severity; tag: string | null } {
  const tag = tags && Object.hasOwn(tags, "severity") ? tags.severity : undefined;
  if (tag === undefined) return { severity: "medium", tag: null };
  const level = tag.trim().toLowerCase();
  return { severity: Object.hasOwn(SEVERITY_TAG, level) ? (SEVERITY_TAG[level] as Severity) : "medium", tag };
}

/** The ARNs an alarm may name as its asset (tag `quell-asset`): what the rollback-model playbook acts on. */
const ASSET_ARN =
  /^arn:aws[a-z-]*:(bedrock:[a-z0-9-]+:\d{12}:agent-alias\/[A-Z0-9]{10}\/[A-Z0-9]{10}|sagemaker:[a-z0-9-]+:\d{12}:endpoint\/[a-z0-9](-*[a-z0-9]){0,62}|ssm:[a-z0-9-]+:\d{12}:parameter\/[A-Za-z0-9_./-]{1,1011})$/;

/**
 * The AI asset an alarm is about, as an ARN (`details.assetId`): the alarm's `quell-asset` tag when it holds
 * a Bedrock agent alias, SageMaker endpoint or SSM parameter ARN (its owners set it), else the SageMaker
 * endpoint of an endpoint metric (dimension EndpointName; SageMaker ARNs spell names in lower case).
 */
function assetOf(
  event: CloudWatchAlarmEvent,
  metric: { namespace?: string | undefined; dimensions?: Record<string, string> | undefined } | undefined,
): string | undefined {
  const tags = event.detail.alarmTags;
  const tagged = tags && Object.hasOwn(tags, "quell-asset") ? tags["quell-asset"] : undefined;
  if (tagged && ASSET_ARN.test(tagged)) return tagged;
  const namespace = metric?.namespace ?? "";
  const sageMaker = namespace === "AWS/SageMaker" || namespace.startsWith("/aws/sagemaker/");
  if (!sageMaker) return undefined;
  return sageMakerEndpointArn(metric?.dimensions?.EndpointName, event);
}

const STATUS: Record<z.infer<typeof AlarmState>["value"], AlertStatus> = {
  ALARM: "firing",
  OK: "resolved",
  INSUFFICIENT_DATA: "update",
};

/**
 * `aws.cloudwatch` / `CloudWatch Alarm State Change`. One open case per alarm: `cloudwatch:<alarm ARN>`, so
 * OK resolves and INSUFFICIENT_DATA annotates the case ALARM opened (R5). An alarm on AWS/Bedrock token
 * metrics is a `token_spend_anomaly`; any other alarm is `other` (out of scope).
 */
export const cloudwatch: EventSourceAdapter<CloudWatchAlarmEvent> = {
  source: "aws.cloudwatch",
  detailTypes: ["CloudWatch Alarm State Change"],
  detailPattern: cloudWatchDetailPattern,
  schema: CloudWatchAlarmEvent,
  normalize(event, receipt) {
    const { detail } = event;
    assertFresh(
      "aws.cloudwatch",
      [
        { path: "time", value: event.time },
        { path: "detail.state.timestamp", value: detail.state.timestamp },
      ],
      receipt,
    );
    const alarmArn = event.resources.find(
      (resource) => ALARM_ARN.test(resource) && resource.length <= 480,
    ) as string;
    const metrics = (detail.configuration?.metrics ?? []).flatMap((metric) =>
      metric.metricStat ? [metric.metricStat.metric] : [],
    );
    const tokenMetric = metrics.find((metric) => isBedrockTokenMetric(metric.namespace, metric.name));
    const type: AlertType = tokenMetric ? "token_spend_anomaly" : "other";
    const shown = tokenMetric ?? metrics[0];
    const dimensions = shown?.dimensions ?? {};
    const modelId = Object.hasOwn(dimensions, "ModelId") ? dimensions.ModelId : undefined;
    const { severity, tag } = severityOf(detail.alarmTags);
    const state = detail.state.value;
    const app = detail.alarmTags && Object.hasOwn(detail.alarmTags, "app") ? detail.alarmTags.app : undefined;

    const entities = new EntityList().add("account", event.account);
    if (modelId && /^[\x21-\x7E]+$/.test(modelId)) entities.add("model", modelId);
    const assetId = assetOf(event, shown);
    if (assetId) entities.add(assetId.includes(":agent-alias/") ? "agent" : "model", assetId);

    const alert: CanonicalAlert = {
      id: alertIdFor(receipt, 0),
      source: "aws.cloudwatch",
      sourceIds: boundedSourceIds({
        eventId: event.id,
        alarmArn,
        stateTimestamp: detail.state.timestamp,
        deliveryId: receipt.deliveryId,
      }),
      type,
      severity,
      status: STATUS[state],
      title: titleText(
        `${type === "token_spend_anomaly" ? "Bedrock token spend: " : ""}CloudWatch alarm ${detail.alarmName} is ${state}`,
      ),
      occurredAt: isoOf(detail.state.timestamp),
      receivedAt: receipt.receivedAt,
      dedupKey: `cloudwatch:${alarmArn}`,
      entities: entities.toArray(),
      tags: tagsFor(type),
      details: boundedDetails({
        alarmName: detail.alarmName,
        alarmArn,
        state,
        previousState: detail.previousState?.value ?? null,
        stateTimestamp: detail.state.timestamp,
        reason: detail.state.reason,
        metricNamespace: shown?.namespace ?? null,
        metricName: shown?.name ?? null,
        modelId: modelId ?? null,
        ...(assetId ? { assetId } : {}),
        composite: detail.configuration?.alarmRule !== undefined,
        severityTag: tag,
        app: app ?? null,
        alarmTags: detail.alarmTags ? JSON.stringify(detail.alarmTags) : null,
        description: detail.configuration?.description,
        accountId: event.account,
        region: event.region,
      }),
    };
    return [alert];
  },
};
