/**
 * The event ingest puts on the bus for triage (its detail: AlertReceived in core.ts). In a module of its own so
 * that triage, which matches on it, does not import ingest's core and every webhook source with it.
 */
export const ALERT_RECEIVED = { source: "quell.ingest", detailType: "Alert Received" } as const;
