import { type Approval, FINAL_STATUSES } from "../shared/incident.js";
import type { IncidentStore } from "../shared/store.js";
import { autoApprovalCard } from "./auto-card.js";
import { type ApprovalCardInput, decidedApprovalCard, pendingApprovalCard } from "./cards.js";

export interface CardUpdater {
  update(channel: string, ts: string, card: { text: string; blocks: unknown[] }): Promise<void>;
}

/** Re-render the card from the stored approval so it always shows the recorded truth. */
export async function refreshCard(
  approval: Approval,
  deps: { store: IncidentStore; cards: CardUpdater },
): Promise<void> {
  if (!approval.channel || !approval.messageTs) return;
  const incident = await deps.store.getIncident(approval.incidentId);
  if (!incident) return;
  // The run of the action this approval leads to, once approved: the card follows it (progress, Undo).
  const run =
    approval.actionStep && approval.status === "approved"
      ? await deps.store.actionRuns.get(approval.incidentId, approval.actionStep)
      : undefined;
  if (approval.policy === "auto") {
    await deps.cards.update(
      approval.channel,
      approval.messageTs,
      autoApprovalCard({ incident, approval, run }),
    );
    return;
  }
  const input: ApprovalCardInput = {
    incident,
    approval,
    plan: approval.plan,
    facts: approval.facts,
    dryRun: approval.dryRun,
    ...(approval.actionStep
      ? {
          approvedRun: {
            run,
            incidentEnded: FINAL_STATUSES.includes(incident.status) || incident.status === "interrupted",
          },
        }
      : {}),
  };
  const card = approval.status === "pending" ? pendingApprovalCard(input) : decidedApprovalCard(input);
  await deps.cards.update(approval.channel, approval.messageTs, card);
  // The escalation's copy says the same once decided; while pending it keeps its mention and buttons.
  const copy = approval.escalationMessage;
  if (copy && approval.status !== "pending") await deps.cards.update(copy.channel, copy.ts, card);
}
