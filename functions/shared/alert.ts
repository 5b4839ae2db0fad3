import * as z from "zod";

/** Quell's internal canonical alert. Every source adapter produces exactly this. */

export const AlertType = z.enum([
  "prompt_injection",
  "jailbreak",
  "sensitive_data_leak",
  "system_prompt_leak",
  "leaked_api_key",
  "llmjacking",
  "token_spend_anomaly",
  "unauthorized_model_access",
  "model_poisoning",
  "model_integrity_change",
  "malicious_model_artifact",
  "agent_tool_misuse",
  "guardrail_tampering",
  "model_extraction",
  "other",
]);
export type AlertType = z.infer<typeof AlertType>;

export const Severity = z.enum(["info", "low", "medium", "high", "critical"]);
export type Severity = z.infer<typeof Severity>;

/** A severity's place on the scale, info 0 to critical 4: compare severities by it. */
export const severityRank = (severity: Severity): number => Severity.options.indexOf(severity);

export const AlertStatus = z.enum(["firing", "update", "resolved"]);
export type AlertStatus = z.infer<typeof AlertStatus>;

export const EntityKind = z.enum([
  "account",
  "access_key",
  "principal",
  "end_user",
  "tenant",
  "ip",
  "model",
  "guardrail",
  "agent",
  "provider_key",
  "repository",
]);
export type EntityKind = z.infer<typeof EntityKind>;

const boundedText = (max: number) => z.string().min(1).max(max);

export const Entity = z.object({
  kind: EntityKind,
  id: boundedText(512),
  /** Which system names this entity (openai, aws, github, ...). */
  provider: boundedText(64).optional(),
});
export type Entity = z.infer<typeof Entity>;

const DetailValue = z.union([z.string().max(2048), z.number(), z.boolean(), z.null()]);

export const CanonicalAlert = z.object({
  id: boundedText(64),
  source: boundedText(64),
  /** The ids the source uses for this alert (delivery id, alert number, finding id...). */
  sourceIds: z.record(z.string().max(64), z.string().max(512)),
  type: AlertType,
  severity: Severity,
  status: AlertStatus,
  title: boundedText(300),
  occurredAt: z.iso.datetime({ offset: true }),
  receivedAt: z.iso.datetime({ offset: true }),
  /** Identifies the same alert across redeliveries and updates. */
  dedupKey: boundedText(512),
  entities: z.array(Entity).max(50),
  tags: z.object({ owasp: z.array(z.string()), atlas: z.array(z.string()) }),
  /** Flat source facts that playbooks read by JSONPath (`$.alert.details.repository`). */
  details: z.record(z.string().max(64), DetailValue),
});
export type CanonicalAlert = z.infer<typeof CanonicalAlert>;

/** OWASP Top 10 for LLM Applications 2025 and MITRE ATLAS technique ids, per alert type. */
export const taxonomyTags: Partial<Record<AlertType, CanonicalAlert["tags"]>> = {
  // A leaked provider key discloses a credential (LLM02) and lets anyone spend on it (LLM10).
  leaked_api_key: { owasp: ["LLM02:2025", "LLM10:2025"], atlas: ["AML.T0055"] },
  llmjacking: { owasp: ["LLM10:2025"], atlas: ["AML.T0012"] },
  prompt_injection: { owasp: ["LLM01:2025"], atlas: ["AML.T0051"] },
  jailbreak: { owasp: ["LLM01:2025"], atlas: ["AML.T0054"] },
  system_prompt_leak: { owasp: ["LLM07:2025"], atlas: ["AML.T0056"] },
  sensitive_data_leak: { owasp: ["LLM02:2025"], atlas: ["AML.T0057"] },
  // Spend and extraction are both unbounded consumption (LLM10); cost harvesting, inference-API exfiltration.
  token_spend_anomaly: { owasp: ["LLM10:2025"], atlas: ["AML.T0034"] },
  model_extraction: { owasp: ["LLM10:2025"], atlas: ["AML.T0024"] },
  unauthorized_model_access: { owasp: ["LLM10:2025"], atlas: ["AML.T0040", "AML.T0012"] },
  model_poisoning: { owasp: ["LLM04:2025"], atlas: ["AML.T0020"] },
  // A swapped model or config erodes its integrity; an unsafe artifact arrives through the supply chain.
  model_integrity_change: { owasp: ["LLM04:2025"], atlas: ["AML.T0031"] },
  malicious_model_artifact: { owasp: ["LLM03:2025"], atlas: ["AML.T0011"] },
  agent_tool_misuse: { owasp: ["LLM06:2025"], atlas: ["AML.T0053"] },
  // Weakening a guardrail switches off the prompt-injection defence (LLM01) so attacks evade it.
  guardrail_tampering: { owasp: ["LLM01:2025"], atlas: ["AML.T0015"] },
};

/** The tags for a type: a fresh copy, since alerts carry it on (and parsing no longer copies it). */
export const tagsFor = (type: AlertType): CanonicalAlert["tags"] => {
  const tags = taxonomyTags[type];
  return tags ? { owasp: [...tags.owasp], atlas: [...tags.atlas] } : { owasp: [], atlas: [] };
};
