import { readFileSync } from "node:fs";
import { quellSignatureHeaders } from "../../infra/local/signing.js";
import { type Harness, SECRETS } from "./harness.js";

/** The Quell-signed webhook routes: the generic wire format and the inline detectors. */
export type SignedRoute = "generic" | "bedrock-guardrails" | "lakera" | "prompt-shields" | "llm-guard";

export const sampleBytes = (route: SignedRoute, name: string) =>
  new Uint8Array(readFileSync(new URL(`../fixtures/${route}/${name}`, import.meta.url)));

/**
 * A valid sample with its timestamp moved to a minute ago: the routes refuse alerts older than 30 days,
 * measured from the real clock, and the samples are dated November 2026.
 */
export function freshSample(route: SignedRoute, name: string): string {
  const body = JSON.parse(new TextDecoder().decode(sampleBytes(route, name)));
  const recent = new Date(Date.now() - 60_000).toISOString();
  if (route === "generic") body.occurredAt = recent;
  else if (body.context?.observedAt) body.context.observedAt = recent;
  return JSON.stringify(body);
}

/** POST a body to a signed route with Quell's signature, as the app or detector would. */
export async function postSigned(harness: Harness, route: SignedRoute, body: string) {
  const response = await fetch(`${harness.runtime.url}/alerts/${route}`, {
    method: "POST",
    headers: quellSignatureHeaders(body, SECRETS.generic),
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}
