import type { CanonicalAlert, Severity } from "../shared/alert.js";
import type { Risk } from "../shared/incident.js";
import type { Criticality, Environment } from "./config.js";
import type { Enrichment } from "./enrich.js";

const SEVERITY_POINTS: Record<Severity, number> = { info: 10, low: 25, medium: 45, high: 65, critical: 80 };
const CRITICALITY_POINTS: Record<Criticality, number> = { low: -10, medium: 0, high: 10, critical: 15 };
const ENVIRONMENT_POINTS: Record<Environment, number> = { development: -15, staging: -5, production: 10 };
const UNKNOWN_ASSET_POINTS = 10;
const DEFAULT_CONFIDENCE = 0.8;

const LEVEL_CONFIDENCE: Record<string, number> = { HIGH: 1, MEDIUM: 0.8, LOW: 0.6, NONE: 0.5 };
const VALIDITY_CONFIDENCE: Record<string, number> = { active: 1, unknown: 0.8, inactive: 0.5 };

/** How sure the source is, from the facts adapters keep; 0.8 when the source says nothing. */
export function confidenceOf(alert: CanonicalAlert): { value: number; because: string } {
  const { confidence, topFilterConfidence, validity } = alert.details;
  if (typeof confidence === "number" && confidence >= 0 && confidence <= 1) {
    return { value: confidence, because: `source confidence ${confidence}` };
  }
  if (typeof topFilterConfidence === "string" && topFilterConfidence in LEVEL_CONFIDENCE) {
    return {
      value: LEVEL_CONFIDENCE[topFilterConfidence] as number,
      because: `guardrail filter confidence ${topFilterConfidence}`,
    };
  }
  if (typeof validity === "string" && validity in VALIDITY_CONFIDENCE) {
    return { value: VALIDITY_CONFIDENCE[validity] as number, because: `secret validity ${validity}` };
  }
  return NO_CONFIDENCE;
}

const NO_CONFIDENCE = { value: DEFAULT_CONFIDENCE, because: "source gives no confidence" } as const;
const confidenceReason = (confidence: { value: number; because: string }) =>
  `confidence ${confidence.value} (${confidence.because}): ×${0.5 + 0.5 * confidence.value}`;
/** Most alerts carry no confidence: their reason is written once. */
const NO_CONFIDENCE_REASON = confidenceReason(NO_CONFIDENCE);

const RANK = { low: 0, medium: 1, high: 2, critical: 3, development: 0, staging: 1, production: 2 } as const;
const highest = <T extends keyof typeof RANK>(values: readonly T[]): T | undefined =>
  values.reduce<T | undefined>(
    (top, next) => (top === undefined || RANK[next] > RANK[top] ? next : top),
    undefined,
  );

/**
 * Risk = (source severity + the most critical asset's criticality + its environment + unknown AI assets),
 * clamped to 0–100, then weighed by confidence (half the score at zero confidence, all of it at full).
 */
export function scoreRisk(alert: CanonicalAlert, enrichment: Enrichment): Risk {
  const reasons: string[] = [];
  let points = SEVERITY_POINTS[alert.severity];
  reasons.push(SEVERITY_REASON[alert.severity]);

  const criticality = highest(enrichment.assets.map((asset) => asset.criticality));
  if (criticality) {
    points += CRITICALITY_POINTS[criticality];
    reasons.push(CRITICALITY_REASON[criticality]);
  }
  const environment = highest(enrichment.assets.map((asset) => asset.environment));
  if (environment) {
    points += ENVIRONMENT_POINTS[environment];
    reasons.push(ENVIRONMENT_REASON[environment]);
  }
  if (enrichment.unknownAssets.length > 0) {
    points += UNKNOWN_ASSET_POINTS;
    const names = enrichment.unknownAssets.map((ref) => `${ref.kind} ${ref.id}`).join(", ");
    reasons.push(`not in the AI asset inventory (${names}): ${signed(UNKNOWN_ASSET_POINTS)}`);
  }
  const clamped = Math.min(100, Math.max(0, points));
  const confidence = confidenceOf(alert);
  const score = Math.round(clamped * (0.5 + 0.5 * confidence.value));
  reasons.push(confidence === NO_CONFIDENCE ? NO_CONFIDENCE_REASON : confidenceReason(confidence));
  return { score, reasons };
}

const signed = (value: number) => (value >= 0 ? `+${value}` : `${value}`);

/** Each reason a severity, criticality or environment gives, written once. */
const reasonsFor = <K extends string>(points: Record<K, number>, say: (key: K, points: number) => string) =>
  Object.fromEntries(
    Object.entries<number>(points).map(([key, value]) => [key, say(key as K, value)]),
  ) as Record<K, string>;
const SEVERITY_REASON = reasonsFor(SEVERITY_POINTS, (severity, points) => `severity ${severity}: ${points}`);
const CRITICALITY_REASON = reasonsFor(
  CRITICALITY_POINTS,
  (criticality, points) => `asset criticality ${criticality}: ${signed(points)}`,
);
const ENVIRONMENT_REASON = reasonsFor(
  ENVIRONMENT_POINTS,
  (environment, points) => `environment ${environment}: ${signed(points)}`,
);
