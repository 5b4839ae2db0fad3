/**
 * Check raw bytes before trusting JSON.parse: it accepts invalid UTF-8 (as U+FFFD) and any depth.
 * Returns the parsed value or a reason.
 */
export type RawJsonResult = { ok: true; value: unknown } | { ok: false; message: string };

export const MAX_JSON_DEPTH = 64;

export function parseRawJson(rawBody: Uint8Array, maxDepth = MAX_JSON_DEPTH): RawJsonResult {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(rawBody);
  } catch {
    return { ok: false, message: "body is not valid UTF-8" };
  }
  if (text.trim().length === 0) return { ok: false, message: "body is empty" };
  const depth = maxNestingDepth(text);
  if (depth > maxDepth)
    return { ok: false, message: `JSON nests ${depth} levels deep; the limit is ${maxDepth}` };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, message: `body is not JSON: ${(error as Error).message.slice(0, 200)}` };
  }
}

/** Nesting depth of arrays and objects, ignoring brackets inside strings. Linear, no recursion. */
function maxNestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (inString) {
      if (char === 92 /* \ */) i++;
      else if (char === 34 /* " */) inString = false;
      continue;
    }
    if (char === 34) inString = true;
    else if (char === 123 || char === 91) deepest = Math.max(deepest, ++depth);
    else if (char === 125 || char === 93) depth--;
  }
  return deepest;
}
