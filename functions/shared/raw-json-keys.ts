/**
 * The slow, exact half of raw-json.ts: which key of a body is a duplicate or forbidden, and where, for the
 * message. Only a body the fast checks found a problem in comes here.
 */

/** Gadgets for prototype pollution in whatever merges the value later. */
export const isForbidden = (key: string): boolean =>
  key === "__proto__" || key === "constructor" || key === "prototype";

export type KeyProblem = { message: string; issue: { path: string; message: string } };

/** The first duplicate or forbidden key in the text (which JSON.parse has accepted), named with its path. */
export const firstKeyProblem = (text: string, maxDepth: number): KeyProblem | undefined =>
  scan(text, maxDepth).keyProblem;

/**
 * One pass over the text, linear and without recursion: the deepest nesting of arrays and objects (brackets
 * inside strings do not count), and the first duplicate or forbidden key. Keys are compared as JSON.parse sees
 * them, after unescaping, so `"a"` and `"\u0061"` are the same key. Any text is scanned without failing; the
 * key problem only means something once JSON.parse has accepted the text. Containers deeper than `maxDepth`
 * are not tracked for keys (the depth refuses the body anyway).
 */
function scan(text: string, maxDepth: number): { deepest: number; keyProblem: KeyProblem | undefined } {
  let depth = 0;
  let deepest = 0;
  let keyProblem: KeyProblem | undefined;
  // Per open container within the limit, by depth (1 is the outermost): whether it is an object, the array
  // index or the key being read (for the path in a message) and the object's keys so far. Small objects keep
  // their keys in a reused list; one with more than SMALL_OBJECT keys moves them to a set.
  const tracked = Math.max(0, maxDepth) + 1;
  const isObject = new Uint8Array(tracked);
  const index = new Int32Array(tracked);
  const keyAt: string[] = [];
  const keyLists: string[][] = [];
  const keyCounts = new Int32Array(tracked);
  const keySets: (Set<string> | undefined)[] = [];
  let expectKey = false;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const char = text.charCodeAt(i);
    if (char <= 32) continue; // Whitespace (or a control character, which JSON.parse refuses).
    if (char === 34 /* " */) {
      const start = i + 1;
      i = stringEnd(text, start);
      if (!expectKey) continue;
      expectKey = false;
      if (keyProblem !== undefined || depth < 1 || depth > maxDepth) continue;
      const key = decodeKey(text, start, i);
      keyAt[depth] = key;
      // Gadgets for prototype pollution in whatever merges the value later.
      if (isForbidden(key)) {
        keyProblem = keyProblemAt("forbidden", key, depth, isObject, index, keyAt);
        continue;
      }
      const keySet = keySets[depth];
      if (keySet !== undefined) {
        if (keySet.has(key)) keyProblem = keyProblemAt("duplicate", key, depth, isObject, index, keyAt);
        else keySet.add(key);
        continue;
      }
      const keys = keyLists[depth] as string[];
      const count = keyCounts[depth] as number;
      for (let k = 0; k < count; k++) {
        if (keys[k] === key) {
          keyProblem = keyProblemAt("duplicate", key, depth, isObject, index, keyAt);
          break;
        }
      }
      if (count < SMALL_OBJECT) {
        keys[count] = key;
        keyCounts[depth] = count + 1;
      } else {
        keySets[depth] = new Set(keys).add(key);
      }
    } else if (char === 123 /* { */ || char === 91 /* [ */) {
      if (++depth > deepest) deepest = depth;
      expectKey = false;
      if (depth < 1 || depth > maxDepth) continue;
      if (char === 123) {
        isObject[depth] = 1;
        keyCounts[depth] = 0;
        keySets[depth] = undefined;
        if (keyLists[depth] === undefined) keyLists[depth] = new Array<string>(SMALL_OBJECT);
        expectKey = true;
      } else {
        isObject[depth] = 0;
        index[depth] = 0;
      }
    } else if (char === 125 /* } */ || char === 93 /* ] */) {
      depth--;
      expectKey = false;
    } else if (char === 44 /* , */ && depth >= 1 && depth <= maxDepth) {
      if (isObject[depth] === 1) expectKey = true;
      else index[depth] = (index[depth] as number) + 1;
    }
  }
  return { deepest, keyProblem };
}

/** Up to this many keys an object's keys are compared one by one; more go into a set. */
const SMALL_OBJECT = 16;

/** The index of the quote that closes the string whose content starts at `from` (the text's length if none). */
export function stringEnd(text: string, from: number): number {
  let quote = text.indexOf('"', from);
  while (quote !== -1) {
    // Escaped only after an odd run of backslashes ("\\" is one backslash, then the closing quote).
    let backslashes = 0;
    for (let b = quote - 1; b >= from && text.charCodeAt(b) === 92 /* \ */; b--) backslashes++;
    if (backslashes % 2 === 0) return quote;
    quote = text.indexOf('"', quote + 1);
  }
  return text.length;
}

/** A key as JSON.parse sees it: escapes (`\"`, `\\`, `\u0061`, ...) decoded. */
function decodeKey(text: string, start: number, end: number): string {
  const raw = text.slice(start, end);
  if (!raw.includes("\\")) return raw;
  try {
    return JSON.parse(text.slice(start - 1, end + 1)) as string;
  } catch {
    return raw; // Not a JSON string: JSON.parse refuses the whole body before this could matter.
  }
}

const MAX_SHOWN_KEY = 64;
const MAX_SHOWN_PATH = 300;

/** A key for a message, bounded and printable ASCII only (anything else as \uXXXX); quoted, as a JSON string. */
function shown(key: string, quote = false): string {
  let cut = key.length > MAX_SHOWN_KEY ? `${key.slice(0, MAX_SHOWN_KEY)}...` : key;
  if (quote) cut = cut.replace(/["\\]/g, "\\$&");
  cut = cut.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  return quote ? `"${cut}"` : cut;
}

const quoted = (key: string) => shown(key, true);

const bounded = (path: string) =>
  path.length > MAX_SHOWN_PATH
    ? `${path.slice(0, MAX_SHOWN_PATH / 2)}...${path.slice(-MAX_SHOWN_PATH / 2)}`
    : path;

function keyProblemAt(
  kind: "duplicate" | "forbidden",
  key: string,
  depth: number,
  isObject: Uint8Array,
  index: Int32Array,
  keyAt: readonly string[],
): KeyProblem {
  // The object holding the key: `$.a[0]["b c"]` for the message, `a.0.b c` (as schema issues are named) for the issue.
  let jsonPath = "$";
  const steps: string[] = [];
  for (let level = 1; level < depth; level++) {
    if (isObject[level] !== 1) {
      jsonPath += `[${index[level]}]`;
      steps.push(String(index[level]));
      continue;
    }
    const step = keyAt[level] as string;
    jsonPath +=
      /^[A-Za-z_$][\w$]*$/.test(step) && step.length <= MAX_SHOWN_KEY ? `.${step}` : `[${quoted(step)}]`;
    steps.push(shown(step));
  }
  steps.push(shown(key));
  const where = `${quoted(key)} in object at ${bounded(jsonPath)}`;
  const path = bounded(steps.join("."));
  return kind === "duplicate"
    ? {
        message: `duplicate key ${where}: JSON parsers disagree on which value wins, so the body is ambiguous`,
        issue: { path, message: `duplicate key ${quoted(key)}; send each key once per object` },
      }
    : {
        message: `forbidden key ${where} (prototype-pollution guard: __proto__, constructor and prototype are refused at any depth)`,
        issue: {
          path,
          message: `the key ${quoted(key)} is refused anywhere in the body (prototype-pollution guard: __proto__, constructor, prototype)`,
        },
      };
}
