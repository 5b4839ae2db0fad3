/** What the scenarios share: subjects that lead to an approved write, deliveries that open them, grouping. */
import type { Decision, Delivery, DeliveryGroups, FaultOperation } from "../plan.js";
import type { Prng } from "../prng.js";
import { type Subject, subjectFor } from "../subjects.js";

/** A subject whose playbook asks a human, then writes to a provider: a leaked key, LLMjacking, an abusive user. */
export function writingSubject(prng: Prng, run: number): Subject {
  return subjectFor(
    prng.weighted([
      ["leaked-key", 5],
      ["llmjacking", 3],
      ["end-user", 2],
    ] as const),
    run,
    prng,
  );
}

/** The one delivery that opens an incident about the subject (a GitHub `created`, a finding, a firing alert). */
export function openingDelivery(subject: Subject, prng: Prng): Delivery {
  switch (subject.kind) {
    case "leaked-key":
      return { kind: "github", action: "created", deliveryId: uuid(prng), sourceAt: -60 };
    case "llmjacking":
      return { kind: "guardduty", eventId: uuid(prng) };
    case "end-user":
      return { kind: "generic", status: "firing", emitterId: `alert-${prng.hex(16)}`, occurredAt: -60 };
    case "ops-alert":
      return { kind: "alertmanager", status: "firing", startsAt: -300 };
  }
}

/** Another delivery about the same alert, not a byte-for-byte repeat: a fresh delivery of the source's. */
export function updateDelivery(subject: Subject, prng: Prng): Delivery {
  const opening = openingDelivery(subject, prng);
  return opening.kind === "generic" ? { ...opening, occurredAt: -prng.int(1, 50) } : opening;
}

/** The provider writes (and the reads around them) an approved run of the subject sends, for its faults. */
export function operationsOf(subject: Subject): { writes: FaultOperation[]; reads: FaultOperation[] } {
  switch (subject.kind) {
    case "leaked-key":
      return {
        writes: ["openai.delete-key", "github.patch-alert"],
        reads: ["openai.get-key", "github.get-alert"],
      };
    case "llmjacking":
      return { writes: ["iam.update-access-key"], reads: ["iam.list-access-keys"] };
    case "end-user":
      return { writes: ["litellm.block"], reads: ["litellm.customer-info"] };
    case "ops-alert":
      return { writes: [], reads: [] };
  }
}

/** Items in order, each sent with the previous one at once (probability `together`) or after it. */
export function group<T>(prng: Prng, items: readonly T[], together = 0.3): T[][] {
  const groups: T[][] = [];
  for (const item of items) {
    const last = groups.at(-1);
    if (last && prng.chance(together)) last.push(item);
    else groups.push([item]);
  }
  return groups;
}

export const flatten = (groups: DeliveryGroups): Delivery[] => groups.flat();

export function uuid(prng: Prng): string {
  const hex = prng.hex(32);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
}

/** What a responder does with the card; `none` leaves the approval pending. */
export const ordinaryDecision = (prng: Prng): Decision =>
  prng.weighted([
    ["approve", 5],
    ["deny", 2],
    ["none", 2],
  ] as const);
