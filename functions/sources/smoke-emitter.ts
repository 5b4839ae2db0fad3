/**
 * The emitter only Quell's own smoke test sends (`npm run quell -- smoke`): reserved by the generic source, since
 * every other emitter is `custom:<name>`. Triage rehearses such an alert apart from real ones
 * (functions/triage/smoke.ts). In a module of its own so that triage need not import the generic source to know it.
 */
export const SMOKE_EMITTER = "quell:smoke-test";
