import { escapeMrkdwn } from "../shared/mrkdwn.js";
import type { IncidentTimelineEvent } from "../shared/quell-events.js";
import type { IncidentStore } from "../shared/store.js";
import { type CardUpdater, refreshCard } from "../slack/card-refresh.js";

export interface ThreadPoster {
  post(message: {
    channel: string;
    text: string;
    threadTs?: string;
  }): Promise<{ channel: string; ts: string }>;
}

export interface NotifierDeps {
  readonly store: IncidentStore;
  readonly cards: CardUpdater;
  readonly threads: ThreadPoster;
  /** Where the closing summary goes when no approval card opened a thread. */
  readonly channel: string;
}

/** What the thread shows, by timeline kind; other kinds stay on the timeline only. */
const ICON: Partial<Record<IncidentTimelineEvent["kind"], string>> = {
  action_planned: ":memo:",
  action_applied: ":white_check_mark:",
  action_verified: ":mag:",
  action_failed: ":x:",
  undo_requested: ":hourglass_flowing_sand:",
  action_undone: ":leftwards_arrow_with_hook:",
  undo_planned: ":memo:",
  undo_failed: ":x:",
  interrupted: ":warning:",
  closed: ":checkered_flag:",
};

/** Events that end a run: every approved card that leads to an action re-renders (a run that never came did not complete). */
const ENDS_RUN: readonly IncidentTimelineEvent["kind"][] = ["closed", "interrupted"];

/**
 * Re-render the approved cards whose action this event is about (its progress and Undo follow the run), or, at
 * the end, every approved card that leads to an action (a run that never came did not complete).
 */
async function refreshRunCards(event: IncidentTimelineEvent, deps: NotifierDeps): Promise<void> {
  const ends = ENDS_RUN.includes(event.kind);
  if (!event.actionStep && !ends) return;
  const detail = await deps.store.getIncidentDetail(event.incidentId);
  const following = (detail?.approvals ?? []).filter(
    (approval) =>
      approval.status === "approved" &&
      approval.actionStep !== undefined &&
      (ends || approval.actionStep === event.actionStep),
  );
  for (const approval of following) await refreshCard(approval, deps);
}

/** Whether an event was put on the timeline before the thread was opened (unknown when either time is missing). */
function precedes(event: IncidentTimelineEvent, thread: { openedAt?: string }): boolean {
  if (!event.at || !thread.openedAt) return false;
  return Date.parse(event.at) < Date.parse(thread.openedAt);
}

/**
 * Keep Slack telling the truth, off the hot path: re-render decided and expired cards, and post each
 * action and the closing summary in the incident's thread.
 */
export async function notify(event: IncidentTimelineEvent, deps: NotifierDeps): Promise<void> {
  const { store } = deps;
  const cardChanged =
    event.kind === "approval_decided" || event.kind === "approval_vote" || event.kind === "approval_expired";
  if (cardChanged || (event.kind === "closed" && event.outcome === "expired")) {
    if (!event.approvalStep) return;
    const approval = await store.getApproval(event.incidentId, event.approvalStep);
    if (approval) await refreshCard(approval, deps);
  }
  const icon = ICON[event.kind];
  if (!icon) return;
  await refreshRunCards(event, deps);

  const incident = await store.getIncident(event.incidentId);
  // A shadow run posts nothing as it goes: the daily digest says what it would have done. Nor does a replay.
  if (!incident || incident.shadow || incident.rehearsal?.quiet) return;
  const text = `${icon} ${escapeMrkdwn(event.summary, 600)}`;
  // Steps before the first card stay on the timeline only: the card says what they found. Events reach the
  // notifier in no particular order, so whether the thread exists yet does not decide; their times do.
  if (incident.slackThread) {
    const { channel, ts } = incident.slackThread;
    if (!precedes(event, incident.slackThread)) await deps.threads.post({ channel, threadTs: ts, text });
    return;
  }
  // No card opened a thread (yet): an incident that never needed a card still gets its closing summary, or the
  // news that it was interrupted, in the channel.
  if (!ENDS_RUN.includes(event.kind)) return;
  await deps.threads.post({
    channel: deps.channel,
    text: `*${escapeMrkdwn(incident.title, 300)}* (incident \`${escapeMrkdwn(incident.id)}\`)\n${text}`,
  });
}
