import * as z from "zod";

/**
 * The body guard of the generic and inline-detector routes: one JSON object, no prototype-pollution keys,
 * bounded depth and size, nothing but JSON values.
 */

export const FORBIDDEN_KEYS: readonly string[] = ["__proto__", "constructor", "prototype"];
export const MAX_GENERIC_BYTES = 64 * 1024;
export const MAX_BODY_DEPTH = 32;
const MAX_GUARD_ISSUES = 20;

interface GuardIssue {
  readonly path: PropertyKey[];
  readonly message: string;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
};

interface GuardOptions {
  readonly maxDepth: number;
  readonly maxBytes?: number;
}

/**
 * What is wrong with a parsed body before its schema looks at it. Iterative (no recursion), so a hostile
 * depth cannot overflow the stack; it stops after a bounded number of findings.
 */
export function bodyGuardIssues(value: unknown, options: GuardOptions): GuardIssue[] {
  return certainlyClean(value, options) ? [] : issuesOf(value, options);
}

/** The UTF-8 bytes one UTF-16 unit takes in JSON at most: `\u001f`, or an escaped lone surrogate. */
const MAX_JSON_BYTES_PER_UNIT = 6;
/** The longest JSON a finite number becomes (17 digits at most: `-0.0000012345678901234567`). */
const MAX_NUMBER_BYTES = 25;
const MAX_LITERAL_BYTES = 5;

/** Deeper limits than this are only checked the long way (the fast pass recurses). */
const MAX_FAST_DEPTH = 64;

/**
 * The common case, answered without paths or serialising: true only when issuesOf would find nothing. The
 * size is bounded from above (every unit of every string and key at its widest escape); only a body whose
 * bound exceeds the limit is serialised to be measured.
 */
function certainlyClean(value: unknown, options: GuardOptions): boolean {
  if (!isPlainObject(value) || options.maxDepth > MAX_FAST_DEPTH) return false;
  const bytes = boundOf(value, 1, options.maxDepth);
  return bytes >= 0 && (options.maxBytes === undefined || bytes <= options.maxBytes);
}

/**
 * An upper bound of a clean node's compact JSON size, or -1 when issuesOf may find something in it.
 * Recursive, as deep as the limit allows. for...in reads each value by its enumeration index, which stays
 * fast across the many shapes of bodies; it also visits inherited enumerable keys, which only makes it
 * stricter.
 */
function boundOf(node: unknown, depth: number, maxDepth: number): number {
  if (typeof node === "string") return MAX_JSON_BYTES_PER_UNIT * node.length + 2;
  if (typeof node === "number") return Number.isFinite(node) ? MAX_NUMBER_BYTES : -1;
  if (typeof node === "boolean" || node === null) return MAX_LITERAL_BYTES;
  if (depth > maxDepth) return -1; // too deep, or not a JSON value at all
  let bytes = 2;
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      const item = i in node ? boundOf(node[i], depth + 1, maxDepth) : -1;
      if (item < 0) return -1;
      bytes += item + 1;
    }
    return bytes;
  }
  if (!isPlainObject(node)) return -1;
  for (const key in node) {
    // FORBIDDEN_KEYS, compared one by one
    if (key === "__proto__" || key === "constructor" || key === "prototype") return -1;
    const item = boundOf(node[key], depth + 1, maxDepth);
    if (item < 0) return -1;
    bytes += MAX_JSON_BYTES_PER_UNIT * key.length + 4 + item;
  }
  return bytes;
}

/** Every issue, found the long way (exported for the test that holds the fast pass to it). */
export function issuesOf(value: unknown, options: GuardOptions): GuardIssue[] {
  if (!isPlainObject(value)) {
    const kind = Array.isArray(value) ? "an array" : value === null ? "null" : `a ${typeof value}`;
    return [
      {
        path: [],
        message: `the body must be one JSON object, not ${kind}; send one alert per request (no batching)`,
      },
    ];
  }
  const issues: GuardIssue[] = [];
  const stack: { value: unknown; path: PropertyKey[]; depth: number }[] = [{ value, path: [], depth: 1 }];
  while (stack.length > 0 && issues.length < MAX_GUARD_ISSUES) {
    const { value: node, path, depth } = stack.pop() as (typeof stack)[number];
    if (Array.isArray(node) || isPlainObject(node)) {
      if (depth > options.maxDepth) {
        issues.push({ path, message: `nests deeper than ${options.maxDepth} levels` });
        continue;
      }
      const keys = Object.keys(node);
      for (const key of keys) {
        if (!Array.isArray(node) && FORBIDDEN_KEYS.includes(key)) {
          issues.push({
            path: [...path, key],
            message: `the key "${key}" is refused anywhere in the body (prototype-pollution guard: ${FORBIDDEN_KEYS.join(", ")})`,
          });
          continue;
        }
        stack.push({ value: (node as Record<string, unknown>)[key], path: [...path, key], depth: depth + 1 });
      }
      continue;
    }
    const ok =
      node === null ||
      typeof node === "string" ||
      typeof node === "boolean" ||
      (typeof node === "number" && Number.isFinite(node));
    if (!ok) issues.push({ path, message: "is not a JSON value (finite number, string, boolean, null)" });
  }
  if (issues.length === 0 && options.maxBytes !== undefined) {
    const bytes = Buffer.byteLength(JSON.stringify(value), "utf8");
    if (bytes > options.maxBytes)
      issues.push({
        path: [],
        message: `the alert is ${bytes} bytes as compact JSON; the limit is ${options.maxBytes}`,
      });
  }
  const order = (issue: GuardIssue) => issue.path.map(String).join("\u0000");
  return issues.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
}

/** `schema`, behind the body guard: a body the guard refuses reports only the guard's issues. */
export function guarded<T extends z.ZodType>(schema: T, options: GuardOptions) {
  return z
    .unknown()
    .superRefine((value, ctx) => {
      for (const issue of bodyGuardIssues(value, options))
        ctx.addIssue({ code: "custom", path: issue.path, message: issue.message });
    })
    .pipe(schema);
}
