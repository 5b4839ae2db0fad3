import type { Clock } from "../shared/ids.js";
import type { SlackMessagePoster } from "../shared/slack-client.js";
import { shadowDigestMessage } from "./digest-message.js";
import { readShadowReport, type ShadowReportStore } from "./read.js";

/** When the digest is posted each day: 09:00 UTC (the AWS schedule and the local runtime's timer). */
export const SHADOW_DIGEST_HOUR_UTC = 9;

/** The next digest time after `now`. */
export function nextDigestAt(now: Date): Date {
  const next = new Date(now);
  next.setUTCHours(SHADOW_DIGEST_HOUR_UTC, 0, 0, 0);
  if (next.getTime() <= now.getTime()) next.setUTCDate(next.getUTCDate() + 1);
  return next;
}

export interface ShadowDigestDeps {
  readonly store: ShadowReportStore;
  readonly slack: Pick<SlackMessagePoster, "postMessage">;
  readonly channel: string;
  readonly clock: Clock;
}

/**
 * Post the day's shadow digest (the shadow incidents opened in the last 24 hours) to the channel. A day without
 * any posts nothing: no shadow playbook matched, or none is configured.
 */
export async function postShadowDigest(deps: ShadowDigestDeps) {
  const report = await readShadowReport(deps.store, 1, deps.clock());
  if (report.incidents === 0) return { posted: false, incidents: 0 };
  const posted = await deps.slack.postMessage({ channel: deps.channel, ...shadowDigestMessage(report) });
  return { posted: true, incidents: report.incidents, channel: posted.channel, ts: posted.ts };
}
