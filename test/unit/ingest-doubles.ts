import type { SeenDeliveries } from "../../functions/ingest/seen-deliveries.js";
import type { Admission } from "../../functions/sources/github-allow.js";

/**
 * Ingest dependencies for tests about something else: every delivery is new, and every sender may post. The
 * replay memory and the allow-list have tests of their own, on DynamoDB Local and through POST /alerts.
 */
export const noDeliverySeen: SeenDeliveries = {
  claim: async (_signatureHash, alertId) => ({ kind: "claimed", alertId }),
  published: async () => {},
  release: async () => {},
};

export const admitEveryone = (): Admission => ({ allowed: true });
