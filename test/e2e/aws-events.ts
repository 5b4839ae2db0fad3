import { fixtureText } from "../fixtures/aws/support.js";
import { type Harness, SECRETS } from "./harness.js";

/** The AWS samples are dated up to 2026-11-24 with "now" frozen at 2026-11-25; the runtime uses the real clock. */
const SAMPLE_NOW = Date.parse("2026-11-25T00:00:00Z");
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})$/;
const EPOCH_MS_KEYS = new Set(["time", "created_time", "modified_time", "first_seen_time", "last_seen_time"]);

function shiftTimes(value: unknown, shift: number, key = ""): unknown {
  if (typeof value === "string" && ISO.test(value))
    return new Date(Date.parse(value.replace(/([+-]\d{2})(\d{2})$/, "$1:$2")) + shift).toISOString();
  if (typeof value === "number" && EPOCH_MS_KEYS.has(key)) return value + shift;
  if (Array.isArray(value)) return value.map((item) => shiftTimes(item, shift));
  if (typeof value === "object" && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shiftTimes(v, shift, k)]));
  return value;
}

/** An AWS sample (path under test/fixtures/aws) as it would arrive today; `edit` changes it first. */
export function awsSample(
  name: string,
  edit: (event: Record<string, unknown>) => void = () => {},
): Record<string, unknown> {
  const event = JSON.parse(fixtureText(name));
  edit(event);
  return shiftTimes(event, Date.now() - SAMPLE_NOW) as Record<string, unknown>;
}

/** POST /events with the events token, as EventBridge's API destination does. */
export async function postEvents(harness: Harness, body: string, token = SECRETS.events) {
  const response = await fetch(`${harness.runtime.url}/events`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

export const ANOMALOUS_INVOCATION = "guardduty/ai-anomalous-model-invocation-iamuser-key.json";
export const PROMPT_INJECTION = "guardduty/ai-prompt-injection-direct-guardrail-intervened.json";
