import { readFileSync } from "node:fs";
import { quellSignatureHeaders } from "../../infra/local/signing.js";
import { SECRETS } from "./harness.js";

const FIXTURE = JSON.parse(
  readFileSync(
    new URL("../fixtures/generic/jailbreak-roleplay-repeated-attempts.json", import.meta.url),
    "utf8",
  ),
);

/**
 * The n-th of a stream of generic alerts about `keys` distinct users: alerts with the same key are one alert
 * reported again (dedup), alerts of different keys are about different end users (no correlation).
 */
export function genericAlert(n: number, keys = 10): string {
  const key = n % keys;
  return JSON.stringify({
    ...FIXTURE,
    id: `01DURABLE${String(n).padStart(10, "0")}`,
    occurredAt: new Date(Date.now() - 60_000).toISOString(),
    principal: { ...FIXTURE.principal, id: `aad:durable-user-${key}` },
    dedupKey: `jailbreak:hr-assistant:durable-user-${key}`,
  });
}

/** POST it, signed as the detector would; returns the status and the accepted alert id. */
export async function postGenericAlert(
  url: string,
  body: string,
): Promise<{ status: number; alertId?: string }> {
  const response = await fetch(`${url}/alerts/generic`, {
    method: "POST",
    headers: quellSignatureHeaders(body, SECRETS.generic),
    body,
  });
  const answer = (await response.json().catch(() => ({}))) as { alertId?: string };
  return { status: response.status, ...(answer.alertId ? { alertId: answer.alertId } : {}) };
}

/** Every alert id stored on an incident, through the read routes (every page of GET /incidents). */
export async function storedAlertIds(url: string, readToken: string): Promise<Set<string>> {
  const get = async <T>(path: string) =>
    (await (await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${readToken}` } })).json()) as T;
  const ids = new Set<string>();
  let cursor: string | undefined;
  do {
    const page = await get<{ incidents: { id: string }[]; nextCursor?: string }>(
      `/incidents?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
    );
    for (const incident of page.incidents) {
      const detail = await get<{ alerts: { id: string }[] }>(`/incidents/${incident.id}`);
      for (const alert of detail.alerts) ids.add(alert.id);
    }
    cursor = page.nextCursor;
  } while (cursor);
  return ids;
}
