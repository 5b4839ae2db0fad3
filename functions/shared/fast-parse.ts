import { z } from "zod";
import { Emitter, type SchemaNode } from "./fast-parse-codegen.js";

/**
 * zod schemas on the hot path, parsed by a function generated from the schema itself (as zod's own JIT does
 * for objects, but for the whole tree). It decides what zod decides and answers with an output equal to
 * zod's (values, keys and their order); where zod's fresh copy of (part of) the input would be identical to
 * it, the input itself is the answer, so callers treat both as read-only. When it refuses an input, zod
 * parses it again, so every error (issue, path, message) is zod's own. The schema stays the single source
 * of truth: the generated code reads its definition (types, shapes, optionality, defaults) and runs its
 * refinements and formats through zod's own check functions; a node it does not know (transforms, lazy,
 * discriminated unions...) is handed to zod whole. test/unit/fast-parse.test.ts proves on mutated payloads
 * that it accepts exactly what zod accepts, with the same output.
 *
 * Inputs are JSON data (as JSON.parse makes it) or objects built like it, with string keys: symbol-keyed
 * properties are not looked at (zod would refuse a record with an enumerable symbol key, and leave such keys
 * out of an object's copy).
 */

const INVALID = Symbol("invalid");
/** The parsed output, or INVALID. */
type Parse = (value: unknown) => unknown;

/** `schema.safeParse(value)`, answered without zod's machinery when the input is valid. */
export function fastSafeParse<T extends z.ZodType>(
  schema: T,
  value: unknown,
): z.ZodSafeParseResult<z.output<T>> {
  const data = tryFast(schema, value);
  return data === INVALID ? schema.safeParse(value) : { success: true, data: data as z.output<T> };
}

/** `schema.parse(value)`, answered without zod's machinery when the input is valid. */
export function fastParse<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const data = tryFast(schema, value);
  return data === INVALID ? schema.parse(value) : (data as z.output<T>);
}

/**
 * The generated parser's own answer, without zod's second opinion: for the differential test, which must
 * see it accept exactly what zod accepts (fastSafeParse would hide a refusal behind zod's answer).
 */
export function parseWithoutFallback(
  schema: z.ZodType,
  value: unknown,
): { accepted: boolean; data?: unknown } {
  const data = tryFast(schema, value);
  return data === INVALID ? { accepted: false } : { accepted: true, data };
}

function tryFast(schema: z.ZodType, value: unknown): unknown {
  // With enumerable keys on Object.prototype, for...in over an input would list them: zod decides alone.
  for (const _ in Object.prototype) return INVALID;
  try {
    return compile(schema as unknown as SchemaNode)(value);
  } catch {
    return INVALID; // a refinement threw or went async: zod decides what happens then
  }
}

const compiled = new WeakMap<SchemaNode, Parse>();

function compile(node: SchemaNode): Parse {
  let parse = compiled.get(node);
  if (parse === undefined) {
    parse = generate(node);
    compiled.set(node, parse);
  }
  return parse;
}

function generate(node: SchemaNode): Parse {
  const emitter = new Emitter(compile, (check) => checkRunner(check as unknown as CheckInternals));
  const { code, out } = emitter.node(node, "input", "return I;");
  try {
    const source = `return function fastParse(input) {\n${code}return ${out};\n}`;
    const environment = [INVALID, delegate, recordInPlace, copiedRecord, sameKeyOrder, emitter.refs];
    return new Function("I", "D", "P", "R", "K", "r", source)(...environment);
  } catch {
    return (value) => delegate(node, value); // code generation is not allowed here
  }
}

interface Payload {
  value: unknown;
  issues: unknown[];
}

interface CheckInternals {
  _zod: { def: { when?: (payload: Payload) => boolean }; check: (payload: Payload) => unknown };
}

/**
 * A check as zod runs it on its success path: the value (a check may rewrite it, as `z.url()` does), or
 * INVALID. Each check keeps one payload for its calls (a fresh one should a check re-enter itself).
 */
function checkRunner(check: CheckInternals): Parse {
  const { when } = check._zod.def;
  const reused: Payload = { value: undefined, issues: [] };
  let busy = false;
  return (value) => {
    const own = !busy;
    const payload = own ? reused : { value, issues: [] };
    payload.value = value;
    busy = true;
    try {
      if (when && !when(payload)) return value;
      if (check._zod.check(payload) instanceof Promise) throw new Error("an async check");
      return payload.issues.length === 0 ? payload.value : INVALID;
    } finally {
      if (own) {
        [busy, reused.value] = [false, undefined];
        if (reused.issues.length > 0) reused.issues.length = 0;
      }
    }
  };
}

function delegate(node: SchemaNode, value: unknown): unknown {
  const result = z.safeParse(node as unknown as z.ZodType, value);
  return result.success ? result.data : INVALID;
}

const NUMERIC_KEY = z.core.regexes.number;

/** A record key as zod parses it, retrying a numeric key as a number. */
function recordKey(parseKey: Parse, key: PropertyKey): unknown {
  const parsed = parseKey(key);
  return parsed === INVALID && typeof key === "string" && NUMERIC_KEY.test(key)
    ? parseKey(Number(key))
    : parsed;
}

/**
 * True when the object could be zod's own copy of itself: a plain object (zod copies into `{}`), on which
 * for...in yields exactly its own enumerable string keys (tryFast has made sure Object.prototype has none).
 */
const copyLike = (object: object): boolean => Object.getPrototypeOf(object) === Object.prototype;

/**
 * Whether zod's copy of an object (into `{}`) would be the input again: a plain object whose own keys are
 * the `written` shape keys in shape order, then (loose) the other keys in input order, with nothing
 * inherited and no `__proto__` (zod leaves it out).
 */
function sameKeyOrder(input: object, shape: readonly string[], written: number, loose: boolean): boolean {
  if (!copyLike(input)) return false;
  let [next, seen, others] = [0, 0, false];
  for (const key in input) {
    let index = next;
    while (index < shape.length && shape[index] !== key) index++;
    if (index < shape.length && !others) {
      [next, seen] = [index + 1, seen + 1];
      continue;
    }
    // Not a shape key after the last one seen: one of the others, unless it is a shape key out of order.
    if (!loose || key === "__proto__" || shape.includes(key)) return false;
    others = true;
  }
  return seen === written;
}

/**
 * Whether a record can be zod's own copy of itself, its entries checked in place (fast-parse-containers.ts):
 * a plain object zod's `isPlainObject` accepts, on which for...in yields exactly its own keys.
 */
function recordInPlace(input: unknown): boolean {
  if (typeof input !== "object" || input === null || !copyLike(input)) return false;
  const made = (input as { constructor?: unknown }).constructor;
  return made === Object || typeof made !== "function";
}

/** A record as zod's `$ZodRecord` copies it, key by key into `{}`, leaving out `__proto__`; or INVALID. */
function copiedRecord(parseKey: Parse, parseValue: Parse, input: unknown): unknown {
  if (!z.core.util.isPlainObject(input)) return INVALID;
  const record = input as Record<PropertyKey, unknown>;
  const out: Record<PropertyKey, unknown> = {};
  for (const key of Reflect.ownKeys(record)) {
    if (key === "__proto__" || !Object.prototype.propertyIsEnumerable.call(record, key)) continue;
    const outKey = recordKey(parseKey, key);
    if (outKey === INVALID) return INVALID;
    if (outKey === "__proto__") continue;
    const parsed = parseValue(record[key]);
    if (parsed === INVALID) return INVALID;
    out[outKey as PropertyKey] = parsed;
  }
  return out;
}
