import type { CfnTemplate } from "./quell-app.js";

/**
 * What a synthesized template costs a month when nothing happens: every resource type is either priced here
 * (a fixed monthly price, us-east-1, as of PRICES_AS_OF) or named as free at idle with the reason (charged per
 * request, per GB stored, or not at all). A type in neither list makes `idleMonthlyCost` throw, so a new kind of
 * resource cannot slip past the budget unpriced.
 */
export const PRICES_AS_OF = "2026-12";

/** CloudWatch: $0.10 a month per metric of a standard-resolution alarm, $0.30 at high resolution (period < 60 s). */
const ALARM_METRIC = 0.1;
const HIGH_RESOLUTION_ALARM_METRIC = 0.3;
const COMPOSITE_ALARM = 0.5;
const DASHBOARD = 3;
const KMS_KEY = 1;
const SECRET = 0.4;
const ADVANCED_PARAMETER = 0.05;
const HOSTED_ZONE = 0.5;
const HOURS_A_MONTH = 730;
/** DynamoDB provisioned capacity (standard table class), per unit-hour. */
const WCU_HOUR = 0.00065;
const RCU_HOUR = 0.00013;

type Resource = CfnTemplate["Resources"][string];
type Props = Record<string, unknown>;

/** Resource types that cost nothing while nothing happens, and why. */
export const FREE_AT_IDLE: Readonly<Record<string, string>> = {
  "AWS::IAM::Role": "free",
  "AWS::IAM::Policy": "free",
  "AWS::Lambda::Function": "per request and GB-second; no provisioned concurrency (checked)",
  "AWS::Lambda::Url": "per request (as the function)",
  "AWS::Lambda::Permission": "free",
  "AWS::Lambda::EventInvokeConfig": "free",
  "AWS::Logs::LogGroup": "per GB ingested and stored",
  "AWS::StepFunctions::StateMachine": "Standard workflows: per state transition",
  "AWS::Events::EventBus": "per custom event published",
  "AWS::Events::Rule": "free for AWS service events; Quell's own events are charged when published",
  "AWS::SQS::Queue": "per request; an empty queue costs nothing",
  "AWS::SQS::QueuePolicy": "free",
  "AWS::SNS::Topic": "per publish and delivery (email: first 1,000 a month free)",
  "AWS::SNS::TopicPolicy": "free",
  "AWS::SNS::Subscription": "free",
  "AWS::AppConfig::Application": "per configuration request and received (triage caches it)",
  "AWS::AppConfig::Environment": "free",
  "AWS::AppConfig::DeploymentStrategy": "free",
  "AWS::AppConfig::ConfigurationProfile": "free",
  "AWS::AppConfig::HostedConfigurationVersion": "free (hosted configuration store)",
  "AWS::AppConfig::Deployment": "free",
  "AWS::DynamoDB::Table":
    "on demand: per request and GB stored (PITR per GB); provisioned is priced (checked)",
  "AWS::DynamoDB::GlobalTable": "as AWS::DynamoDB::Table",
  "AWS::S3::Bucket":
    "per GB stored and per request: the audit bucket holds one small object per exported chain head (bytes each)",
  "AWS::S3::BucketPolicy": "free",
  "AWS::Lambda::EventSourceMapping":
    "free: the audit exporter's DynamoDB stream reads are not billed to Lambda event source mappings",
  "AWS::SSM::Parameter": "standard tier free; advanced tier is priced (checked)",
  "AWS::KMS::Alias": "free",
  "AWS::CDK::Metadata": "not a resource",
};

function alarmMetrics(props: Props): number {
  const metrics = props.Metrics as { MetricStat?: unknown }[] | undefined;
  if (!metrics) return 1;
  return metrics.filter((metric) => metric.MetricStat !== undefined).length;
}

function alarmMonthly(props: Props): number {
  const metrics = props.Metrics as { MetricStat?: { Period?: number } }[] | undefined;
  const periods = metrics
    ? metrics.map((metric) => metric.MetricStat?.Period ?? 60)
    : [Number(props.Period ?? 60)];
  const price = periods.some((period) => period < 60) ? HIGH_RESOLUTION_ALARM_METRIC : ALARM_METRIC;
  return alarmMetrics(props) * price;
}

function provisionedTableMonthly(props: Props): number {
  if (props.BillingMode !== "PROVISIONED" && props.ProvisionedThroughput === undefined) return 0;
  const throughput = (props.ProvisionedThroughput ?? {}) as {
    ReadCapacityUnits?: number;
    WriteCapacityUnits?: number;
  };
  return (
    ((throughput.ReadCapacityUnits ?? 0) * RCU_HOUR + (throughput.WriteCapacityUnits ?? 0) * WCU_HOUR) *
    HOURS_A_MONTH
  );
}

/** A priced resource's monthly price, or undefined when the type is not priced here. */
function fixedMonthly(resource: Resource): number | undefined {
  const props = (resource.Properties ?? {}) as Props;
  switch (resource.Type) {
    case "AWS::CloudWatch::Alarm":
      return alarmMonthly(props);
    case "AWS::CloudWatch::CompositeAlarm":
      return COMPOSITE_ALARM;
    case "AWS::CloudWatch::Dashboard":
      return DASHBOARD;
    case "AWS::KMS::Key":
      return KMS_KEY;
    case "AWS::SecretsManager::Secret":
      return SECRET;
    case "AWS::Route53::HostedZone":
      return HOSTED_ZONE;
    case "AWS::SSM::Parameter":
      return props.Tier === "Advanced" ? ADVANCED_PARAMETER : 0;
    case "AWS::DynamoDB::Table":
      return provisionedTableMonthly(props);
    case "AWS::Lambda::Function":
      return 0;
    default:
      return undefined;
  }
}

export interface IdleCost {
  readonly total: number;
  /** Each priced resource: logical id, type, monthly price. */
  readonly items: readonly { id: string; type: string; monthly: number }[];
}

/** The idle monthly cost of the templates; throws on a resource type neither priced nor known free. */
export function idleMonthlyCost(templates: readonly CfnTemplate[]): IdleCost {
  const items: { id: string; type: string; monthly: number }[] = [];
  for (const template of templates) {
    for (const [id, resource] of Object.entries(template.Resources)) {
      if (resource.Type === "AWS::Lambda::Version" || resource.Type === "AWS::Lambda::Alias") {
        if (resource.Properties?.ProvisionedConcurrencyConfig !== undefined)
          throw new Error(`${id}: provisioned concurrency is billed every hour: price it here`);
        continue;
      }
      const monthly = fixedMonthly(resource);
      if (monthly === undefined && !(resource.Type in FREE_AT_IDLE)) {
        throw new Error(
          `${id} is a ${resource.Type}, which test/infra/idle-cost.ts neither prices nor knows to be free at idle`,
        );
      }
      if (monthly) items.push({ id, type: resource.Type, monthly });
    }
  }
  const total = Math.round(items.reduce((sum, item) => sum + item.monthly, 0) * 100) / 100;
  return { total, items };
}
