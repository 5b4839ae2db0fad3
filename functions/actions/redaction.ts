/**
 * Providers show a key only redacted: a prefix, an ellipsis, the last characters (OpenAI's `redacted_value`,
 * Anthropic's `partial_key_hint`). A leaked secret matches a redacted value when it starts with the prefix and
 * ends with the suffix; a hint too short to tell keys apart matches nothing.
 */
export function matchesRedacted(secret: string, redacted: string): boolean {
  const parts = redacted.split(/\.{3}|\u2026|\*{3,}/);
  if (parts.length !== 2) return false;
  const [prefix = "", suffix = ""] = parts;
  if (prefix.length < 3 || suffix.length < 2) return false;
  return (
    secret.length >= prefix.length + suffix.length && secret.startsWith(prefix) && secret.endsWith(suffix)
  );
}
