import { firstKeyProblem, isForbidden, stringEnd } from "./raw-json-keys.js";

/**
 * Check raw bytes before trusting JSON.parse. On its own it accepts invalid UTF-8 (as U+FFFD), any depth,
 * duplicate keys (it keeps the last; other parsers keep the first or refuse, so the body means different things
 * to different readers) and the prototype-pollution keys `__proto__`, `constructor` and `prototype`.
 * Returns the parsed value or a reason; a refused key also comes with an issue naming its path.
 *
 * The common case costs one pass over the text (its depth, and how many keys it writes) and one walk of the
 * parsed value (how many keys its objects hold, and none forbidden). A duplicate leaves fewer keys than the
 * text writes; only then, or for a forbidden key, does the exact scan (raw-json-keys.ts) find the first
 * problem in the text and name it.
 */
export type RawJsonResult =
  | { ok: true; value: unknown }
  | { ok: false; message: string; issue?: { path: string; message: string } };

export const MAX_JSON_DEPTH = 64;

/** Strict: invalid bytes throw instead of becoming U+FFFD. Reusable: without `stream`, every call starts afresh. */
const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
/** What `trim()` removes: `\s` is WhiteSpace and LineTerminator, as for trim. */
const BLANK = /^\s*$/;

export function parseRawJson(rawBody: Uint8Array, maxDepth = MAX_JSON_DEPTH): RawJsonResult {
  let text: string;
  try {
    text = STRICT_UTF8.decode(rawBody);
  } catch {
    return { ok: false, message: "body is not valid UTF-8" };
  }
  if (BLANK.test(text)) return { ok: false, message: "body is empty" };
  const { deepest, keys } = measure(text);
  if (deepest > maxDepth)
    return { ok: false, message: `JSON nests ${deepest} levels deep; the limit is ${maxDepth}` };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `body is not JSON: ${(error as Error).message.slice(0, 200)}` };
  }
  // Only now is the text known to be JSON, which is what counting its keys assumed.
  if (!objectPrototypeIsClean() || keysHeld(value) !== keys) {
    const keyProblem = firstKeyProblem(text, maxDepth);
    if (keyProblem) return { ok: false, ...keyProblem };
  }
  return { ok: true, value };
}

/**
 * One pass over the text, linear and without recursion: the deepest nesting of arrays and objects (brackets
 * inside strings do not count) and, if the text is JSON, how many keys it writes (strings followed by a colon).
 */
function measure(text: string): { deepest: number; keys: number } {
  let depth = 0;
  let deepest = 0;
  let keys = 0;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const char = text.charCodeAt(i);
    if (char === 34 /* " */) {
      i = stringEnd(text, i + 1);
      let next = i + 1;
      while (next < length && text.charCodeAt(next) <= 32) next++;
      if (text.charCodeAt(next) === 58 /* : */) keys++;
    } else if (char === 123 /* { */ || char === 91 /* [ */) {
      if (++depth > deepest) deepest = depth;
    } else if (char === 125 /* } */ || char === 93 /* ] */) {
      depth--;
    }
  }
  return { deepest, keys };
}

/**
 * How many keys the objects of a parsed value hold, or -1 when one of them is forbidden. Recursive: the text
 * was measured first, so the depth is bounded. `for...in` also yields inherited enumerable keys, which
 * JSON.parse's objects have none of unless Object.prototype has been given some (then every body takes the
 * exact scan).
 */
function keysHeld(value: unknown): number {
  if (typeof value !== "object" || value === null) return 0;
  let count = 0;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const held = keysHeld(value[i]);
      if (held < 0) return -1;
      count += held;
    }
    return count;
  }
  for (const key in value) {
    if (isForbidden(key)) return -1;
    count++;
    const item = (value as Record<string, unknown>)[key];
    if (typeof item === "object" && item !== null) {
      const held = keysHeld(item);
      if (held < 0) return -1;
      count += held;
    }
  }
  return count;
}

function objectPrototypeIsClean(): boolean {
  for (const _ in {}) return false;
  return true;
}
