/** The people at the approval card: they click only a card they can see, as the run's plan says. */
import { allKept, incidentsOf } from "./observe.js";
import type { Answer } from "./quell-api.js";
import type { RunContext, RunRecord } from "./run.js";
import { settlementOf } from "./settled.js";
import { sleep } from "./wait.js";
import { APPROVERS } from "./world.js";

/** How long a pending approval may go without a card in Slack before the run stops waiting to click it. */
const CARDLESS_PATIENCE_MS = 15_000;

export interface Card {
  readonly approvalId: string;
  readonly channel: string;
  readonly ts: string;
}

/**
 * The run's pending approval once its card is in Slack (a human can only click a card they see), or undefined
 * when the run's incidents settle without one, or the card never comes.
 */
export async function awaitCard(
  ctx: RunContext,
  record: RunRecord,
  deadline: number,
): Promise<Card | undefined> {
  let pendingSince: number | undefined;
  for (;;) {
    const incidents = await incidentsOf(ctx, record);
    const pending = incidents
      .flatMap((incident) => incident.approvals)
      .find((approval) => approval.status === "pending" && approval.policy !== "auto");
    if (pending) {
      pendingSince ??= Date.now();
      const card = ctx.world.standins.slack.messages.find(
        (message) =>
          message.threadTs === undefined && JSON.stringify(message.blocks ?? []).includes(pending.approvalId),
      );
      if (card) return { approvalId: pending.approvalId, channel: card.channel, ts: card.ts };
      if (Date.now() - pendingSince > CARDLESS_PATIENCE_MS) {
        record.notes.push(
          `approval ${pending.approvalId} pending with no card in Slack after ${CARDLESS_PATIENCE_MS} ms`,
        );
        return undefined;
      }
    } else if (incidents.length > 0 && incidents.every((incident) => settlementOf(incident) === "terminal")) {
      return undefined;
    } else if (
      incidents.length === 0 &&
      record.accepted.length > 0 &&
      (await allKept(ctx, record, incidents))
    ) {
      // Every alert was kept as unmatched (a resolve, then older events of the same alert): nothing opens.
      record.notes.push("every alert was kept unmatched: no incident, no card");
      return undefined;
    }
    if (Date.now() > deadline) {
      record.notes.push("no approval card before the deadline");
      return undefined;
    }
    await sleep(300);
  }
}

/** How often a person clicks again when Quell says their decision did not get through. */
const CLICKS_AGAIN = 5;

/**
 * One person's click or modal submission, made again (after a pause) for as long as Quell answers that it did not
 * get through, as a person reading that answer would: a modal that stays open with an error, or a message to the
 * clicker alone asking for another click.
 */
async function clickUntilHeard(
  ctx: RunContext,
  record: RunRecord,
  user: string,
  click: () => Promise<Answer>,
): Promise<Answer> {
  const slack = ctx.world.standins.slack;
  for (let attempt = 1; ; attempt++) {
    const since = Date.now();
    const answer = await click();
    const modalRefused = JSON.stringify(answer.body ?? {}).includes("Submit again");
    // The reply to a click comes after its ack: give it a moment to arrive.
    await sleep(modalRefused ? 0 : 300);
    const askedAgain =
      modalRefused ||
      slack.ephemerals.some(
        (ephemeral) =>
          ephemeral.user === user &&
          ephemeral.postedAt.getTime() >= since &&
          /Please click again/.test(ephemeral.text ?? ""),
      );
    if (!askedAgain || attempt >= CLICKS_AGAIN) return answer;
    record.notes.push(`${user} was asked to decide again (attempt ${attempt})`);
    await sleep(1000);
  }
}

/** The humans at the card, as the plan says. */
export async function decide(ctx: RunContext, record: RunRecord, card: Card): Promise<void> {
  const { api } = ctx.world;
  const [first, second] = APPROVERS;
  const approve = (user: string) =>
    clickUntilHeard(ctx, record, user, () => api.approve(card.approvalId, user, card));
  const deny = (user: string) =>
    clickUntilHeard(ctx, record, user, () =>
      api.deny(card.approvalId, user, "Not now: checking with the key's owner first"),
    );
  const answers: Answer[] = [];
  switch (record.plan.decision) {
    case "none":
      return;
    case "approve":
    case "approve-then-late-retry":
      answers.push(await approve(first));
      break;
    case "deny":
      answers.push(await deny(first));
      break;
    case "double-approve":
      answers.push(...(await Promise.all([approve(first), approve(first)])));
      break;
    case "two-approvers":
      answers.push(...(await Promise.all([approve(first), approve(second)])));
      break;
    case "approve-and-deny":
      answers.push(...(await Promise.all([approve(first), deny(second)])));
      break;
  }
  record.notes.push(
    `${record.plan.decision} on ${card.approvalId}: ${answers.map((a) => a.status).join(",")}`,
  );
  if (answers.some((answer) => answer.status === 200)) record.decided = card.approvalId;
}
