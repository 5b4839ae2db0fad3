/**
 * Protected principals (`QUELL_PROTECTED_PRINCIPALS`, the team settings' `protectedPrincipals`): principals, roles
 * and keys Quell never contains, automatically or by approval: a release pipeline's role, a break-glass user. Each
 * entry is an IAM user or role ARN, a user or role name, an access key id, or a provider key or credential id
 * (`apikey_…`, `ACCA…`); `*` matches any run of characters. An ARN entry protects its name too, since actions
 * often know a principal by name alone. Comma-separated.
 */
export const PROTECTED_PRINCIPALS_ENV = "QUELL_PROTECTED_PRINCIPALS";

/** The protected-principal entries the environment configures (none when unset). */
export function protectedPrincipalsFrom(
  env: Readonly<Record<string, string | undefined>>,
): readonly string[] {
  return (env[PROTECTED_PRINCIPALS_ENV] ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);
}

const IAM_NAMED = /^arn:aws[a-z-]*:iam::(?:\d{12}|\*):(?:user|role)\/(?:[^/]+\/)*([^/]+)$/;

const patternOf = (entry: string) =>
  new RegExp(
    `^${entry
      .split("*")
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
  );

/** What an entry matches: itself, and for an IAM user or role ARN, the name it ends in. */
const matchersOf = (entry: string): RegExp[] => {
  const name = IAM_NAMED.exec(entry)?.[1];
  return name ? [patternOf(entry), patternOf(name)] : [patternOf(entry)];
};

/** The first of `candidates` a protected entry matches, with that entry; null when none is protected. */
export function protectionOf(
  entries: readonly string[],
  candidates: readonly (string | null | undefined)[],
): { readonly principal: string; readonly entry: string } | null {
  for (const entry of entries) {
    const matchers = matchersOf(entry);
    for (const candidate of candidates) {
      if (candidate && matchers.some((matcher) => matcher.test(candidate)))
        return { principal: candidate, entry };
    }
  }
  return null;
}
