import { alertmanager } from "./alertmanager.js";
import { datadog } from "./datadog.js";
import { bedrockGuardrails } from "./detectors/bedrock-guardrails.js";
import { lakera } from "./detectors/lakera.js";
import { llmGuard } from "./detectors/llm-guard.js";
import { promptShields } from "./detectors/prompt-shields.js";
import { generic } from "./generic.js";
import { github } from "./github.js";
import { grafana } from "./grafana.js";
import { pagerduty } from "./pagerduty.js";
import type { SourceAdapter } from "./source.js";

/** The AWS sources, kept in their own module so that triage can import them without the webhook sources. */
export { eventSourceByName, eventSourceNames, eventSources } from "./event-sources.js";

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

export const sourceNames = Object.keys(sources).sort();

export const sourceByName = (name: string) => (Object.hasOwn(sources, name) ? sources[name] : undefined);
