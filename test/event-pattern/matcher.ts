/**
 * A small EventBridge event-pattern matcher for the subset Quell's rules use (functions/sources/aws/event-pattern.ts):
 * exact string values, `prefix`, `suffix` and `$or`. There is no maintained npm matcher (STACK.md pitfall 8), so
 * the rule-corpus test runs the synthesized patterns through this. Anything outside the subset (numbers, `exists`,
 * `anything-but`, `wildcard`…) throws instead of guessing, so a pattern that grows past it fails the test loudly.
 *
 * EventBridge semantics followed:
 * - every field of the pattern must match (AND); the values listed for a leaf field are alternatives (OR);
 *   `$or` holds alternative sub-patterns, one of which must match;
 * - a field missing from the event matches nothing; an object where the pattern expects a value matches nothing
 *   (comparisons work on leaf values only), nor does a value where the pattern expects an object;
 * - an array in the event matches when any element does, however deeply arrays nest; for an array of objects the
 *   fields of one sub-pattern must match within the same element (EventBridge's array consistency; Quell's
 *   patterns name one field per alternative, so their verdicts do not depend on it);
 * - values compare by JSON type: the string "5" is not the number 5, `prefix` and `suffix` match strings only.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export class UnsupportedPatternError extends Error {
  override name = "UnsupportedPatternError";
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Does `event` match `pattern`? Throws UnsupportedPatternError for syntax outside the subset. */
export function matchesPattern(pattern: unknown, event: unknown): boolean {
  if (!isObject(pattern)) throw new UnsupportedPatternError("a pattern must be a JSON object");
  return matchNode(pattern, event as Json | undefined, "");
}

function matchNode(node: Record<string, unknown>, value: Json | undefined, path: string): boolean {
  const keys = Object.keys(node);
  if (keys.length === 0)
    throw new UnsupportedPatternError(`${path || "pattern"}: an empty object matches nothing`);
  // Any element of an array (nested arrays included) may satisfy the whole sub-pattern.
  if (Array.isArray(value)) return value.some((element) => matchNode(node, element, path));
  return keys.every((key) => {
    const sub = node[key];
    const at = path ? `${path}.${key}` : key;
    if (key === "$or") return matchAlternatives(sub, value, at);
    const field = isObject(value) && Object.hasOwn(value, key) ? (value[key] as Json) : undefined;
    if (Array.isArray(sub)) return matchLeaf(sub, field, at);
    if (isObject(sub)) return matchNode(sub, field, at);
    throw new UnsupportedPatternError(`${at}: a field must list its values in an array or hold an object`);
  });
}

function matchAlternatives(alternatives: unknown, value: Json | undefined, at: string): boolean {
  if (!Array.isArray(alternatives) || alternatives.length < 2 || !alternatives.every(isObject))
    throw new UnsupportedPatternError(`${at}: $or needs an array of at least two objects`);
  return alternatives.some((alternative) => matchNode(alternative, value, at));
}

/** The leaf values at a field: none when it is missing or an object, every nested element of an array. */
function leavesOf(value: Json | undefined): Json[] {
  if (value === undefined || isObject(value)) return [];
  if (Array.isArray(value)) return value.flatMap(leavesOf);
  return [value];
}

function matchLeaf(conditions: readonly unknown[], field: Json | undefined, at: string): boolean {
  if (conditions.length === 0)
    throw new UnsupportedPatternError(`${at}: an empty value list matches nothing`);
  const tests = conditions.map((condition) => testOf(condition, at));
  const leaves = leavesOf(field);
  return tests.some((test) => leaves.some(test));
}

function testOf(condition: unknown, at: string): (leaf: Json) => boolean {
  if (typeof condition === "string") return (leaf) => leaf === condition;
  if (isObject(condition)) {
    const [operator, ...others] = Object.keys(condition);
    const operand = operator === undefined ? undefined : condition[operator];
    if (others.length === 0 && typeof operand === "string") {
      if (operator === "prefix") return (leaf) => typeof leaf === "string" && leaf.startsWith(operand);
      if (operator === "suffix") return (leaf) => typeof leaf === "string" && leaf.endsWith(operand);
    }
  }
  throw new UnsupportedPatternError(
    `${at}: ${JSON.stringify(condition)} is outside the supported subset (a string, {"prefix": "…"} or {"suffix": "…"})`,
  );
}
