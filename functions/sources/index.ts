import { alertmanager } from "./alertmanager.js";
import { bedrock } from "./aws/bedrock.js";
import { cloudwatch } from "./aws/cloudwatch.js";
import { guardduty } from "./aws/guardduty.js";
import { securityhub } from "./aws/securityhub.js";
import { datadog } from "./datadog.js";
import { bedrockGuardrails } from "./detectors/bedrock-guardrails.js";
import { lakera } from "./detectors/lakera.js";
import { llmGuard } from "./detectors/llm-guard.js";
import { promptShields } from "./detectors/prompt-shields.js";
import { generic } from "./generic.js";
import { github } from "./github.js";
import { grafana } from "./grafana.js";
import { pagerduty } from "./pagerduty.js";
import type { EventSourceAdapter, SourceAdapter } from "./source.js";

/** Every webhook source, by the name in `POST /alerts/{name}`. Adding one: its adapter and one line here. */
// biome-ignore lint/suspicious/noExplicitAny: adapters differ in payload type; each validates its own.
export const sources: Readonly<Record<string, SourceAdapter<any>>> = {
  github,
  generic,
  "bedrock-guardrails": bedrockGuardrails,
  lakera,
  "prompt-shields": promptShields,
  "llm-guard": llmGuard,
  alertmanager,
  grafana,
  datadog,
  pagerduty,
};

/** Every AWS source arriving through EventBridge, by its event `source`. Adding one: its adapter and one line. */
// biome-ignore lint/suspicious/noExplicitAny: adapters differ in envelope type; each validates its own.
export const eventSources: Readonly<Record<string, EventSourceAdapter<any>>> = {
  "aws.guardduty": guardduty,
  "aws.securityhub": securityhub,
  "aws.cloudwatch": cloudwatch,
  "aws.bedrock": bedrock,
};

export const sourceNames = Object.keys(sources).sort();
export const eventSourceNames = Object.keys(eventSources).sort();

export const sourceByName = (name: string) => (Object.hasOwn(sources, name) ? sources[name] : undefined);
export const eventSourceByName = (name: string) =>
  Object.hasOwn(eventSources, name) ? eventSources[name] : undefined;
