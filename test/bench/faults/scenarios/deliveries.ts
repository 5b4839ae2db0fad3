/**
 * Duplicate, late and out-of-order deliveries of one alert: GitHub `created`/`resolved` (and a `created`
 * redelivered after the `resolved`), generic alerts under one dedup key (redeliveries of one alert id, updates,
 * a `resolved` anywhere), Alertmanager firing/resolved notifications of one fingerprint in any order.
 */
import type { Delivery, ScenarioPlan } from "../plan.js";
import type { Prng } from "../prng.js";
import { subjectFor } from "../subjects.js";
import { group, ordinaryDecision, uuid } from "./shared.js";

const repeat = <T>(prng: Prng, item: T, max: number): T[] =>
  Array.from({ length: prng.int(0, max) }, () => item);

/** Insert `item` at a random position of `items` (before, between or after). */
function insertAnywhere<T>(prng: Prng, items: T[], item: T): T[] {
  const at = prng.int(0, items.length);
  return [...items.slice(0, at), item, ...items.slice(at)];
}

export function githubDeliveries(prng: Prng, run: number): ScenarioPlan {
  const validity = prng.chance(0.25) ? "inactive" : "active";
  const subject = subjectFor("leaked-key", run, prng, validity);
  const created: Delivery = { kind: "github", action: "created", deliveryId: uuid(prng), sourceAt: -120 };
  let sequence: Delivery[] = [created, ...repeat(prng, created, 2)];
  const later: Delivery[] = [];
  const notes: string[] = [`created ×${sequence.length}`];
  if (prng.chance(0.6)) {
    const resolved: Delivery = { kind: "github", action: "resolved", deliveryId: uuid(prng), sourceAt: -30 };
    sequence = insertAnywhere(prng, sequence, resolved);
    notes.push(`resolved at ${sequence.indexOf(resolved) + 1}`);
    if (prng.chance(0.5)) {
      // Redelivered among the others, or once the run settled (the incident already closed, say).
      const late = prng.chance(0.5);
      if (late) later.push(created);
      else sequence.push(created);
      notes.push(`created redelivered after resolved${late ? ", after the run settled" : ""}`);
    }
  }
  const decision = validity === "inactive" ? "none" : ordinaryDecision(prng);
  return {
    subject,
    deliveries: group(prng, sequence),
    late: later,
    faults: [],
    decision,
    settleMs: 20_000,
    summary: `GitHub alert ${subject.alertNumber} (${validity}): ${notes.join(", ")}; decision ${decision}`,
  };
}

export function genericDeliveries(prng: Prng, run: number): ScenarioPlan {
  const subject = subjectFor("end-user", run, prng);
  const first: Delivery = {
    kind: "generic",
    status: "firing",
    emitterId: `alert-${prng.hex(12)}`,
    occurredAt: -120,
  };
  let sequence: Delivery[] = [first, ...repeat(prng, first, 2)];
  const later: Delivery[] = [];
  if (prng.chance(0.4)) {
    sequence.push({ kind: "generic", status: "firing", emitterId: `alert-${prng.hex(12)}`, occurredAt: -90 });
  }
  const resolved = prng.chance(0.5);
  if (resolved) {
    sequence = insertAnywhere(prng, sequence, {
      kind: "generic",
      status: "resolved",
      emitterId: `alert-${prng.hex(12)}`,
      occurredAt: -30,
    });
    if (prng.chance(0.4)) (prng.chance(0.5) ? later : sequence).push(first);
  }
  const decision = ordinaryDecision(prng);
  return {
    subject,
    deliveries: group(prng, sequence),
    late: later,
    faults: [],
    decision,
    settleMs: 20_000,
    summary: `generic jailbreak by ${subject.userId}: ${sequence.map((d) => (d.kind === "generic" ? d.status : d.kind)).join(",")}${later.length ? `, then ${later.length} redelivered after the run settled` : ""}; decision ${decision}`,
  };
}

export function alertmanagerDeliveries(prng: Prng, run: number): ScenarioPlan {
  const subject = subjectFor("ops-alert", run, prng);
  const firing: Delivery = { kind: "alertmanager", status: "firing", startsAt: -300 };
  let sequence: Delivery[] = [firing, ...repeat(prng, firing, 2)];
  const later: Delivery[] = [];
  if (prng.chance(0.6)) {
    sequence = insertAnywhere(prng, sequence, { kind: "alertmanager", status: "resolved", startsAt: -300 });
    if (prng.chance(0.3)) (prng.chance(0.5) ? later : sequence).push(firing);
  }
  const decision = ordinaryDecision(prng);
  return {
    subject,
    deliveries: group(prng, sequence),
    late: later,
    faults: [],
    decision,
    settleMs: 20_000,
    summary: `Alertmanager ${subject.fingerprint}: ${sequence.map((d) => (d.kind === "alertmanager" ? d.status : d.kind)).join(",")}${later.length ? `, then ${later.length} redelivered after the run settled` : ""}; decision ${decision}`,
  };
}
