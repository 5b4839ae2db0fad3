import { bedrock } from "./aws/bedrock.js";
import { cloudwatch } from "./aws/cloudwatch.js";
import { guardduty } from "./aws/guardduty.js";
import { sagemaker } from "./aws/sagemaker.js";
import { securityhub } from "./aws/securityhub.js";
import type { EventSourceAdapter } from "./source.js";

/**
 * Every AWS source arriving through EventBridge, by its event `source`. Adding one: its adapter and one line.
 * Apart from the webhook sources (index.ts): triage normalises AWS events itself, but takes a webhook's alerts as
 * ingest normalised them, so its bundle carries only these adapters.
 */
// biome-ignore lint/suspicious/noExplicitAny: adapters differ in envelope type; each validates its own.
export const eventSources: Readonly<Record<string, EventSourceAdapter<any>>> = {
  "aws.guardduty": guardduty,
  "aws.securityhub": securityhub,
  "aws.cloudwatch": cloudwatch,
  "aws.bedrock": bedrock,
  "aws.sagemaker": sagemaker,
};

export const eventSourceNames = Object.keys(eventSources).sort();

export const eventSourceByName = (name: string) =>
  Object.hasOwn(eventSources, name) ? eventSources[name] : undefined;
