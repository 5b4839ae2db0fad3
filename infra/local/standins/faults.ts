/**
 * The fault queue every stand-in has (`standin.faults`): tests and the fault harness queue a provider failure for
 * the next matching request(s): an error status with the provider's own error body, optionally after the request
 * was handled normally ("applied but answered 500": the write happened, the client was told it failed), or after
 * a delay (a slow or timed-out answer). Every fault that fires is recorded, with the request it answered.
 */
import type { RecordedRequest, StandinResponse } from "./server.js";

export interface FaultSpec {
  /** Matches this method only (any case); every method when absent. */
  method?: string;
  /** The request path without its query string: equal to a string, or matching a RegExp. */
  path: string | RegExp;
  /** A further condition on the request (AWS Query APIs share `POST /`: match on `body.Action`). */
  where?: (request: RecordedRequest) => boolean;
  /**
   * The status answered instead of the real answer. A 2xx with `applied` and no `body` is a slow success: the
   * handler's own answer, sent after `delayMs` (a write in flight that a crash can interrupt).
   */
  status: number;
  /** True: the request is handled normally first (its effect happens), then answered `status` anyway. */
  applied: boolean;
  /** How many matching requests this fault answers; default 1. */
  times?: number;
  /** Wait this long before answering (a timeout when it outlasts the client's patience). */
  delayMs?: number;
  /** The error body; default the stand-in's own provider-shaped error for `status`. */
  body?: unknown;
  /** Extra response headers (e.g. `retry-after`), on top of the stand-in's defaults for `status`. */
  headers?: Record<string, string>;
}

/** A fault that answered a request. */
export interface FiredFault {
  fault: Readonly<FaultSpec>;
  request: RecordedRequest;
  /** The status the stand-in's own handler answered when the fault let it handle the request (`applied`). */
  handledStatus: number | undefined;
  /** What the client was sent: the fault's status. */
  status: number;
  at: Date;
}

export interface FaultQueue {
  /** Queue a fault; faults are tried in the order queued, and one request fires at most one. */
  next(fault: FaultSpec): void;
  /** Drop every queued fault (the record of fired ones stays). */
  clear(): void;
  /** Faults queued and not yet used up. */
  pending(): number;
  /** Every fault that fired, in order. */
  readonly fired: FiredFault[];
}

/** The provider-shaped error a stand-in answers for a fault status: `{status, body, headers}`. */
export type FaultResponder = (status: number) => StandinResponse;

/** A generic JSON error, for stand-ins that do not say how their provider shapes one. */
export const genericFaultResponse: FaultResponder = (status) => ({
  status,
  body: { error: { code: `http_${status}`, message: `stand-in fault: HTTP ${status}` } },
  ...(status === 429 ? { headers: { "retry-after": "1" } } : {}),
});

interface QueuedFault {
  spec: Readonly<FaultSpec>;
  remaining: number;
}

/** The queue's internals for the server: `take` finds (and uses up) the fault for a request. */
export interface FaultQueueInternals extends FaultQueue {
  take(request: RecordedRequest): Readonly<FaultSpec> | undefined;
}

export function createFaultQueue(): FaultQueueInternals {
  let queue: QueuedFault[] = [];
  const fired: FiredFault[] = [];
  const matches = (spec: FaultSpec, request: RecordedRequest) =>
    (spec.method === undefined || spec.method.toUpperCase() === request.method) &&
    (typeof spec.path === "string" ? spec.path === request.path : spec.path.test(request.path)) &&
    (spec.where === undefined || spec.where(request));
  return {
    fired,
    next(fault) {
      const times = fault.times ?? 1;
      if (!Number.isInteger(times) || times < 1) throw new Error(`fault times must be a positive integer`);
      if (!Number.isInteger(fault.status) || fault.status < 100 || fault.status > 599) {
        throw new Error(`fault status must be an HTTP status, got ${fault.status}`);
      }
      if (fault.path instanceof RegExp && (fault.path.global || fault.path.sticky)) {
        throw new Error("fault path RegExp must not be global or sticky (test() would keep state)");
      }
      queue.push({ spec: { ...fault }, remaining: times });
    },
    clear() {
      queue = [];
    },
    pending: () => queue.length,
    take(request) {
      const found = queue.find((queued) => matches(queued.spec, request));
      if (!found) return undefined;
      found.remaining -= 1;
      if (found.remaining === 0) queue = queue.filter((queued) => queued !== found);
      return found.spec;
    },
  };
}
