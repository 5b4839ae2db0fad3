import type { TimelineEvent } from "../shared/incident.js";
import type { IncidentTimelineEvent, QuellEventPublisher } from "../shared/quell-events.js";
import type { IncidentStore } from "../shared/store.js";

export interface RecorderDeps {
  readonly store: IncidentStore;
  readonly events: QuellEventPublisher;
  /**
   * Takes the closed incident's response metrics, one Embedded Metric Format line (on AWS: written to stdout,
   * where CloudWatch reads it). Absent: none are made.
   */
  readonly emitMetrics?: (line: string) => void;
}

/**
 * Put one entry on the incident's timeline, then tell the bus (the notifier follows in Slack). The timeline
 * comes first, so whoever reads the incident after the event sees the whole story.
 */
export async function tell(
  deps: RecorderDeps,
  incidentId: string,
  entry: Omit<TimelineEvent, "at">,
  about: Pick<IncidentTimelineEvent, "actionStep" | "approvalStep" | "outcome"> = {},
): Promise<void> {
  const at = await deps.store.appendTimeline(incidentId, entry);
  await deps.events.publish({ incidentId, kind: entry.kind, summary: entry.summary, at, ...about });
}
