/**
 * Alert text is hostile. Before any of it reaches Slack mrkdwn: drop control and bidi-override characters,
 * escape the three characters Slack parses (&, <, >) so `<!channel>` and `<http://evil|disguised>` render as
 * text, and bound the length.
 */
const CONTROL_AND_BIDI =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
  /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u200B-\u200F\u202A-\u202E\u2060-\u2069\uFEFF]/g;

export function escapeMrkdwn(value: unknown, maxLength = 500): string {
  const text =
    typeof value === "string" ? value : value === null || value === undefined ? "—" : JSON.stringify(value);
  const cleaned = text.replace(/[\r\n]+/g, " ").replace(CONTROL_AND_BIDI, "");
  const bounded = cleaned.length > maxLength ? `${cleaned.slice(0, maxLength - 1)}…` : cleaned;
  return bounded.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Plain-text fields are not parsed by Slack, but still carry no control characters and stay bounded. */
export function plainText(value: string, maxLength = 150): string {
  const cleaned = value.replace(/[\r\n]+/g, " ").replace(CONTROL_AND_BIDI, "");
  return cleaned.length > maxLength ? `${cleaned.slice(0, maxLength - 1)}…` : cleaned;
}
