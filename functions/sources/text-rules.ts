import { isIP } from "node:net";
import * as z from "zod";

/**
 * Text rules of the generic and inline-detector routes. Identifiers (ids, keys, label values) refuse
 * invisible and reordering characters; free text (title, description, evidence) accepts them and Quell
 * escapes them as `\uXXXX`. Slack mrkdwn (&, <, >) is kept verbatim and escaped wherever it is rendered.
 */

/** C0 and C1 controls, DEL, soft hyphen, ALM, zero-width characters, LRM/RLM, line/paragraph separators,
 * bidi embeddings, overrides and isolates, word joiner and invisible operators, BOM. */
const UNSAFE_RANGES = String.raw`\u000B-\u001F\u007F-\u009F\u00AD\u061C\u180E\u200B-\u200F\u2028-\u202E\u2060-\u2069\uFEFF`;
const LINE_BREAKS_AND_TAB = String.raw`\u0009\u000A`;
const OTHER_C0 = String.raw`\u0000-\u0008`;
const UNSAFE_CHARACTER = new RegExp(`[${OTHER_C0}${LINE_BREAKS_AND_TAB}${UNSAFE_RANGES}]`);
const UNSAFE_CHARACTERS = new RegExp(UNSAFE_CHARACTER.source, "g");
const UNSAFE_EXCEPT_LINE_BREAKS = new RegExp(`[${OTHER_C0}${UNSAFE_RANGES}]`, "g");

const codePoint = (char: string) =>
  `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;

/** Text that names something: no control, bidi or zero-width characters, no surrounding whitespace. */
export const identifier = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .superRefine((value, ctx) => {
      const unsafe = UNSAFE_CHARACTER.exec(value);
      if (unsafe)
        ctx.addIssue({
          code: "custom",
          message: `contains ${codePoint(unsafe[0])} at index ${unsafe.index}; identifiers must not contain control, bidi or zero-width characters`,
        });
      else if (value.trim() !== value)
        ctx.addIssue({ code: "custom", message: "must not start or end with whitespace" });
    });

/** A label value: like an identifier, but it may be empty. */
export const labelValue = z
  .string()
  .max(256)
  .superRefine((value, ctx) => {
    const unsafe = UNSAFE_CHARACTER.exec(value);
    if (unsafe)
      ctx.addIssue({
        code: "custom",
        message: `contains ${codePoint(unsafe[0])} at index ${unsafe.index}; label values must not contain control, bidi or zero-width characters`,
      });
  });

/** Printable ASCII without spaces (`!` to `~`): for keys that end up in a dedup key or a database key. */
export const printableAscii = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[\x21-\x7E]*$/, { error: "must be printable ASCII without spaces (characters ! to ~)" });

/** Free text as Quell keeps it: invisible and reordering characters written out as `\uXXXX`. */
export function escapeText(text: string, options?: { keepLineBreaks?: boolean }): string {
  // Most text has nothing to escape (nor a CR to fold, CR being one of the unsafe characters): one scan says so.
  if (!UNSAFE_CHARACTER.test(text)) return text;
  const keepLineBreaks = Boolean(options?.keepLineBreaks);
  const pattern = keepLineBreaks ? UNSAFE_EXCEPT_LINE_BREAKS : UNSAFE_CHARACTERS;
  const normalised = keepLineBreaks ? text.replace(/\r\n?/g, "\n") : text;
  return normalised.replace(pattern, (char) => `\\u${codePoint(char).slice(2)}`);
}

/** At most `max` UTF-16 units, marked with an ellipsis when cut, never splitting a surrogate pair. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, max - 1);
  const last = cut.charCodeAt(cut.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut = cut.slice(0, -1);
  return `${cut}…`;
}

export const Provider = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, {
  error: "must be 1-64 lower-case letters, digits, '.', '_' or '-' (e.g. aws, cognito, entra_id)",
});

export const ipAddress = z
  .string()
  .max(64)
  .refine((value) => isIP(value) !== 0, { error: "must be an IPv4 or IPv6 address" });
