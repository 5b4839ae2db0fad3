import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import * as z from "zod";
import { TimelineKind } from "./incident.js";

/**
 * Quell's own events on its bus: one per timeline entry worth telling people about. Consumers (the Slack
 * notifier, metrics) react to them asynchronously, so the functions that emit them stay fast.
 */
export const QUELL_EVENT = { source: "quell.incident", detailType: "Incident Timeline Event" } as const;

export const IncidentTimelineEvent = z.object({
  incidentId: z.string().min(1),
  kind: TimelineKind,
  summary: z.string(),
  /** For approval events. */
  approvalStep: z.string().optional(),
  /** For closed events. */
  outcome: z.string().optional(),
  /** For action and undo events: the action step, which is also the action run (`<incident>.<step>`). */
  actionStep: z.string().optional(),
  /** When the entry was put on the timeline (Quell's clock): orders it against the card that opened the thread. */
  at: z.iso.datetime().optional(),
});
export type IncidentTimelineEvent = z.infer<typeof IncidentTimelineEvent>;

export interface QuellEventPublisher {
  publish(event: IncidentTimelineEvent): Promise<void>;
}

export class EventBridgePublisher implements QuellEventPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
  ) {}

  async publish(event: IncidentTimelineEvent): Promise<void> {
    const result = await this.client.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: this.busName,
            Source: QUELL_EVENT.source,
            DetailType: QUELL_EVENT.detailType,
            Detail: JSON.stringify(event),
          },
        ],
      }),
    );
    if (result.FailedEntryCount)
      throw new Error(`the bus refused a Quell event: ${result.Entries?.[0]?.ErrorCode}`);
  }
}

export const createEventPublisher = (busName: string): QuellEventPublisher =>
  new EventBridgePublisher(new EventBridgeClient({}), busName);
