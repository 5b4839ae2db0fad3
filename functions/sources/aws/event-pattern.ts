/**
 * The part of EventBridge's event-pattern syntax Quell's rules use: exact string values, `prefix`, `suffix` and
 * `$or`. Each AWS adapter declares with these what its rule on the default bus lets in (`detailPattern`), so a
 * new source is one file; infra renders the patterns and the rule-corpus test evaluates them
 * (test/event-pattern/matcher.ts). Triage still checks every event that gets in: a pattern only keeps out what
 * Quell would never act on or record.
 */

/** One accepted value of a leaf field: equal to a string, or starting or ending with one. */
export type ValueCondition = string | { readonly prefix: string } | { readonly suffix: string };

/**
 * Fields that must all match: a leaf field lists the values it accepts (any one matches), a nested object
 * matches the event's object at that key, and `$or` holds alternatives of which one must match.
 */
export interface PatternNode {
  readonly [field: string]: readonly ValueCondition[] | PatternNode | readonly PatternNode[];
}

/** What a rule's pattern may depend on: the deploy configuration's parts that widen what a source lets in. */
export interface RuleSettings {
  /** CloudWatch alarms taken by name prefix, whatever their namespace (QuellConfig). */
  readonly cloudwatchAlarmNamePrefixes: readonly string[];
}

export const prefix = (value: string): ValueCondition => ({ prefix: value });
export const suffix = (value: string): ValueCondition => ({ suffix: value });

/** Alternatives: the node matches when one of them does. One alternative needs no `$or`. */
export function anyOf(...alternatives: PatternNode[]): PatternNode {
  if (alternatives.length === 0) throw new Error("anyOf needs at least one alternative");
  if (alternatives.length === 1) return alternatives[0] as PatternNode;
  return { $or: alternatives };
}

/** A nested field path (`["configuration", "metrics", …]`) ending in the accepted values. */
export function at(path: readonly string[], values: readonly ValueCondition[]): PatternNode {
  if (path.length === 0) throw new Error("a pattern path needs at least one field");
  if (values.length === 0)
    throw new Error(`${path.join(".")}: a field with no accepted values matches nothing`);
  const [head, ...rest] = path as [string, ...string[]];
  return { [head]: rest.length === 0 ? values : at(rest, values) };
}
