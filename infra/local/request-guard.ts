import type { IncomingMessage } from "node:http";
import { constantTimeEqual } from "../../functions/shared/hash.js";

/** Host names the local runtime answers to: loopback only, so a DNS-rebinding page cannot reach it by name. */
export const LOOPBACK_HOST_NAMES = ["127.0.0.1", "localhost", "[::1]"] as const;
/** Extra host names to serve (comma-separated), e.g. a tunnel's, for Slack or GitHub to reach the runtime. */
export const ALLOWED_HOSTS = "QUELL_ALLOWED_HOSTS";

export type GuardVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly status: number; readonly code: string; readonly message: string };

/** Host names to serve: loopback names, plus those `QUELL_ALLOWED_HOSTS` adds. */
export function allowedHostNames(env: Readonly<Record<string, string | undefined>>): readonly string[] {
  const extra = (env[ALLOWED_HOSTS] ?? "")
    .split(",")
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
  return [...LOOPBACK_HOST_NAMES, ...extra];
}

/** The request's Host, without its port, must be one of `names` (any port). */
export function checkHost(request: IncomingMessage, names: readonly string[]): GuardVerdict {
  const host = (request.headers.host ?? "").toLowerCase();
  const name = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::\d{1,5})?$/.exec(host)?.[1];
  if (name && names.includes(name)) return { ok: true };
  return {
    ok: false,
    status: 421,
    code: "misdirected_request",
    message:
      `Host "${host.slice(0, 100)}" is not served: Quell's local runtime answers only ${names.join(", ")} ` +
      `(add a name with ${ALLOWED_HOSTS})`,
  };
}

/** `Authorization: Bearer <read token>`, compared in constant time. */
export function checkReadToken(request: IncomingMessage, token: string): GuardVerdict {
  const presented = /^Bearer (\S{1,512})$/.exec(request.headers.authorization ?? "")?.[1];
  if (presented && constantTimeEqual(presented, token)) return { ok: true };
  return {
    ok: false,
    status: 401,
    code: "unauthorized",
    message: presented
      ? "the bearer token is not the read token"
      : `${request.method} needs Authorization: Bearer <read token> (QUELL_READ_TOKEN, else .quell/local-secrets.json; the CLI sends it)`,
  };
}
