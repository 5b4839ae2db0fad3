import { parseArgs } from "node:util";
import { CanonicalAlert } from "../../functions/shared/alert.js";

/** What `replay` was asked: the playbook, the stored alerts' window or the file of alerts, the bounds. */
export interface ReplayOptions {
  readonly playbook: string;
  /** Stored alerts received within this many milliseconds (ignored with `from`). */
  readonly sinceMs: number;
  readonly sinceText: string;
  readonly from: string | undefined;
  /** At most this many alerts are replayed. */
  readonly limit: number;
  /** How long the rehearsals may take, all together, before replay gives up on them. */
  readonly waitSeconds: number;
}

export const DEFAULT_SINCE = "7d";
const MAX_SINCE_MS = 90 * 24 * 3600 * 1000;
export const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 200;
export const DEFAULT_WAIT_SECONDS = 120;
/** The largest alert file replay reads (a canonical alert is a few kilobytes). */
export const MAX_FILE_BYTES = 5 * 1024 * 1024;

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `30m`, `12h`, `7d`: a duration up to 90 days, or undefined. */
export function parseSince(text: string): number | undefined {
  const match = /^([1-9]\d{0,4})([mhd])$/.exec(text);
  if (!match) return undefined;
  const ms = Number(match[1]) * (UNITS[match[2] as string] as number);
  return ms <= MAX_SINCE_MS ? ms : undefined;
}

const whole = (text: string | undefined, fallback: number, max: number) => {
  if (text === undefined) return fallback;
  return /^[1-9]\d{0,5}$/.test(text) && Number(text) <= max ? Number(text) : undefined;
};

/** `replay --playbook <name> [--since 7d] [--from <file>] [--limit n] [--wait s]`, or what is wrong with it. */
export function parseReplayArgs(argv: readonly string[]): ReplayOptions | { error: string } {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...argv],
      allowPositionals: false,
      options: {
        playbook: { type: "string" },
        since: { type: "string" },
        from: { type: "string" },
        limit: { type: "string" },
        wait: { type: "string" },
      },
    }).values;
  } catch (error) {
    return { error: (error as Error).message };
  }
  const playbook = values.playbook as string | undefined;
  if (!playbook || !/^[a-z][a-z0-9-]{0,63}$/.test(playbook)) {
    return { error: "--playbook <name> is required (a playbook's name, e.g. leaked-ai-key)" };
  }
  const sinceText = (values.since as string | undefined) ?? DEFAULT_SINCE;
  const sinceMs = parseSince(sinceText);
  if (sinceMs === undefined)
    return { error: `--since takes 30m, 12h or 7d (at most 90d), not "${sinceText}"` };
  if (values.since !== undefined && values.from !== undefined) {
    return { error: "--since picks stored alerts and --from reads alerts from a file: give one of them" };
  }
  const limit = whole(values.limit as string | undefined, DEFAULT_LIMIT, MAX_LIMIT);
  if (limit === undefined) return { error: `--limit takes a whole number from 1 to ${MAX_LIMIT}` };
  const waitSeconds = whole(values.wait as string | undefined, DEFAULT_WAIT_SECONDS, 3600);
  if (waitSeconds === undefined) return { error: "--wait takes a number of seconds from 1 to 3600" };
  const from = values.from as string | undefined;
  if (from === "") return { error: "--from needs a file" };
  return { playbook, sinceMs, sinceText, from, limit, waitSeconds };
}

/** Alerts read from a file, or every reason it was refused (each naming its line and field). */
export type AlertFile = { ok: true; alerts: CanonicalAlert[] } | { ok: false; errors: string[] };

/**
 * Alerts exported from Quell: a JSON file (one canonical alert, an array of them, or an incident as
 * GET /incidents/{id} returns it, whose `alerts` are taken) or JSON Lines (one alert or incident a line). Every
 * alert is validated against the canonical alert schema; each rejection names its line and field.
 */
export function parseAlertFile(text: string): AlertFile {
  const trimmed = text.trim();
  if (trimmed === "") return { ok: false, errors: ["the file holds no alerts"] };
  const document = tryParse(trimmed);
  const items: { line: number; value: unknown }[] = document.ok
    ? topLevelItems(text, document.value)
    : jsonLines(text);
  const errors: string[] = [];
  const alerts: CanonicalAlert[] = [];
  for (const { line, value } of items) {
    if (value instanceof SyntaxError) {
      errors.push(`line ${line}: not JSON (${value.message})`);
      continue;
    }
    for (const [index, candidate] of alertsIn(value).entries()) {
      const where = Array.isArray((value as { alerts?: unknown })?.alerts) ? `alerts.${index}.` : "";
      const checked = CanonicalAlert.safeParse(candidate);
      if (checked.success) alerts.push(checked.data);
      else
        for (const issue of checked.error.issues) {
          errors.push(`line ${line}: ${where}${issue.path.join(".") || "(alert)"}: ${issue.message}`);
        }
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  return alerts.length > 0 ? { ok: true, alerts } : { ok: false, errors: ["the file holds no alerts"] };
}

function tryParse(text: string): { ok: true; value: unknown } | { ok: false; error: SyntaxError } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, error: error as SyntaxError };
  }
}

/** An incident's alerts, else the value itself (one alert). */
const alertsIn = (value: unknown): unknown[] => {
  const alerts = (value as { alerts?: unknown } | null)?.alerts;
  return Array.isArray(alerts) ? alerts : [value];
};

/** JSON Lines: each non-blank line one value (a SyntaxError for a line that is not JSON). */
function jsonLines(text: string): { line: number; value: unknown }[] {
  return text.split("\n").flatMap((raw, index) => {
    if (raw.trim() === "") return [];
    const parsed = tryParse(raw);
    return [{ line: index + 1, value: parsed.ok ? parsed.value : parsed.error }];
  });
}

/** A whole-file JSON value: an array's items each with the line it starts on; anything else on line 1. */
function topLevelItems(text: string, value: unknown): { line: number; value: unknown }[] {
  if (!Array.isArray(value)) return [{ line: lineOf(text, text.search(/\S/)), value }];
  const starts = arrayItemOffsets(text);
  return value.map((item, index) => ({ line: lineOf(text, starts[index] ?? 0), value: item }));
}

const lineOf = (text: string, offset: number) => text.slice(0, offset).split("\n").length;

/** Where each item of the top-level array starts: the first character after `[` or `,` at depth 1. */
function arrayItemOffsets(text: string): number[] {
  const offsets: number[] = [];
  let depth = 0;
  let inString = false;
  let expecting = false;
  for (let at = 0; at < text.length; at++) {
    const char = text[at] as string;
    if (inString) {
      if (char === "\\") at++;
      else if (char === '"') inString = false;
      continue;
    }
    if (expecting && !/\s/.test(char) && char !== "]") {
      offsets.push(at);
      expecting = false;
    }
    if (char === '"') inString = true;
    else if (char === "[" || char === "{") {
      depth++;
      if (depth === 1) expecting = true;
    } else if (char === "]" || char === "}") depth--;
    else if (char === "," && depth === 1) expecting = true;
  }
  return offsets;
}
