import type { CanonicalAlert } from "./alert.js";

/**
 * How an alert is kept in DynamoDB: the JSON text of the canonical alert (`alertJson`), with its id beside it
 * (`alertId`, for lookups by id).
 *
 * Text, not a map, because an alert's details hold whatever numbers its sender wrote, and DynamoDB cannot take
 * every one of them: the document client refuses numbers beyond ±2^53 (9007199254740993 parses to 2^53, 1e125 is
 * far beyond), and DynamoDB itself holds 38 significant digits between 1e-130 and 1e125 (1e-131 is refused). An
 * alert the edge accepted (answered 202) must never fail to be stored, so alerts are kept as the text JSON.stringify
 * writes: any value JSON.parse produced survives the round trip unchanged, because ECMAScript writes each double as
 * the shortest decimal that parses back to that very double. What is kept is what the edge's parser produced, not
 * the sender's digits: 9007199254740993 arrived as the double 9007199254740992 (JSON.parse rounded it before Quell
 * answered 202, and triage saw the same double), and `-0` reads back as `0`, exactly as it travels on the bus.
 * Strings are kept as written too: a lone surrogate is escaped (`\ud800`) rather than sent to DynamoDB raw.
 */
export const alertAttributes = (alert: CanonicalAlert) => ({
  alertId: alert.id,
  alertJson: JSON.stringify(alert),
});

/** The alert an item holds: its JSON text, or (items written before alerts were kept as text) its map. */
export function alertOfItem(item: Record<string, unknown>): CanonicalAlert {
  if (typeof item.alertJson === "string") return JSON.parse(item.alertJson) as CanonicalAlert;
  return item.alert as CanonicalAlert;
}
