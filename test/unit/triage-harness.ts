import { readFileSync } from "node:fs";
import { expect } from "vitest";
import type { CanonicalAlert } from "../../functions/shared/alert.js";
import { newId } from "../../functions/shared/ids.js";
import { sourceByName } from "../../functions/sources/index.js";
import { ClaimMemory } from "../../functions/triage/claim-memory.js";
import { defineTriageConfig, type TriageConfigInput } from "../../functions/triage/config.js";
import {
  type AlertReceivedDetail,
  type PlaybookStarter,
  type TriageDeps,
  type TriageOutcome,
  triage as triageDelivery,
} from "../../functions/triage/core.js";
import { Inventory } from "../../functions/triage/enrich.js";
import type { LocalStore } from "./local-store.js";

/**
 * Claims' `expiresAt` is also the table's TTL attribute, and DynamoDB Local really deletes expired items: tests
 * run their clocks from the real time, and dedup windows end far in the future.
 */
export const WINDOW_SECONDS = 10 * 365 * 24 * 3600;

/** Records starts; like Step Functions, a second start with an existing execution name runs nothing new. */
export class RecordingStarter implements PlaybookStarter {
  readonly calls: { playbook: string; executionName: string; alert: CanonicalAlert }[] = [];
  async start(playbook: string, executionName: string, input: { incidentId: string; alert: CanonicalAlert }) {
    this.calls.push({ playbook, executionName, alert: input.alert });
  }
}

/**
 * Triage dependencies on DynamoDB Local with a settable clock and the given configuration, remembering claims
 * as the deployed function does.
 */
export function triageDeps(local: LocalStore, clock: () => Date, config: TriageConfigInput = {}) {
  const starter = new RecordingStarter();
  const parsed = defineTriageConfig(config);
  const deps: TriageDeps = {
    store: local.store(clock),
    triageStore: local.triageStore(clock),
    starter,
    config: parsed,
    inventory: new Inventory(parsed.inventory),
    clock,
    newId,
    dedupWindowSeconds: WINDOW_SECONDS,
    claimMemory: new ClaimMemory({ maxEntries: 1000, maxAgeSeconds: 60 }),
  };
  return { starter, deps };
}

/** A delivery that carries exactly one alert: its one outcome. */
export async function triageOne(detail: AlertReceivedDetail, deps: TriageDeps): Promise<TriageOutcome> {
  const outcomes = await triageDelivery(detail, deps);
  expect(outcomes).toHaveLength(1);
  return outcomes[0] as TriageOutcome;
}

/** A fixture's parsed JSON (`test/fixtures/<folder>/<file>`), fresh for every call so tests may change it. */
export const fixture = (folder: string, file: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/${folder}/${file}`, import.meta.url), "utf8"));

/**
 * A delivery to triage of `payload` from `source`, as it reaches triage: an AWS event as delivered, a webhook's
 * payload normalised by its adapter first (ingest does that, and triage carries no webhook adapter).
 */
export function deliveryOf(
  source: string,
  payload: unknown,
  receivedAt = "2026-11-24T23:59:00.000Z",
): AlertReceivedDetail {
  const alertId = newId("alr");
  const webhook = sourceByName(source);
  if (!webhook) return { alertId, source, receivedAt, payload };
  const alerts = webhook.normalize(webhook.schema.parse(payload), { alertId, receivedAt });
  return { alertId, source, receivedAt, alerts: [...alerts] };
}
