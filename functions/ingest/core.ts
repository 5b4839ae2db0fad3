import * as z from "zod";
import { CanonicalAlert } from "../shared/alert.js";
import { type SecretName, SecretNames } from "../shared/env.js";
import { ValidationError } from "../shared/errors.js";
import { sha256Hex } from "../shared/hash.js";
import type { Clock, IdGenerator } from "../shared/ids.js";
import { isoTimestamp } from "../shared/iso-time.js";
import { parseRawJson } from "../shared/raw-json.js";
import type { Rejection } from "../shared/store.js";
import { bearerToken } from "../sources/auth.js";
import type { Admission } from "../sources/github-allow.js";
import { eventSourceByName, eventSourceNames, sourceByName, sourceNames } from "../sources/index.js";
import type { Receipt, SourceAdapter } from "../sources/source.js";
import { publishOnce } from "./publish-once.js";
import type { SeenDeliveries } from "./seen-deliveries.js";

export interface IngestRequest {
  readonly method: string;
  readonly source: string;
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly rawBody: Uint8Array;
}

export interface IngestResponse {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** The event ingest puts on the bus for triage. */
export interface AlertReceived {
  readonly alertId: string;
  readonly source: string;
  readonly receivedAt: string;
  readonly deliveryId?: string;
  /** An AWS event as delivered (triage normalises it, as it does events from the default bus). */
  readonly payload?: unknown;
  /** A webhook's alerts, normalised once at the edge (triage validates them again, and trusts nothing else). */
  readonly alerts?: CanonicalAlert[];
}

export { ALERT_RECEIVED } from "./alert-received.js";

export interface IngestDeps {
  /** A secret by name, or undefined when it is not configured (the route then refuses everything). */
  readonly secret: (name: SecretName) => Promise<string | undefined>;
  /**
   * After `rejected` failed to authenticate a request: the secret's new value when a fresh read finds it was
   * rotated, else undefined (rate-limited by the reader, so a flood of bad signatures is not a flood of reads).
   */
  readonly refreshSecret?: (name: SecretName, rejected: string) => Promise<string | undefined>;
  readonly publish: (event: AlertReceived) => Promise<void>;
  /** Keep the refusal of an authenticated request, one by one. */
  readonly recordRejection: (rejection: Rejection) => Promise<void>;
  /**
   * Count the refusal of an unauthenticated request (unknown source, wrong method, size or type, missing or bad
   * signature or token): anyone can send those, so they are tallied per source, reason and minute.
   */
  readonly countRefusal: (refusal: Rejection) => Promise<void>;
  /** Whether the sender of an authenticated, valid payload may post to this source (GitHub's allow-list). */
  readonly admit: (source: string, payload: unknown) => Admission;
  /** Signed deliveries seen while their signature could be replayed. */
  readonly deliveries: SeenDeliveries;
  readonly clock: Clock;
  readonly newId: IdGenerator;
  readonly maxBodyBytes: number;
}

type Issue = { path: string; message: string };

const issuesOf = (error: z.ZodError): Issue[] =>
  error.issues
    .slice(0, 50)
    .map((issue) => ({ path: issue.path.join(".") || "(root)", message: issue.message }));

/**
 * Normalise once at the edge, the way triage will, so what triage would refuse (a time outside the window,
 * an alert that breaks the canonical schema) is refused to the sender now instead of dead-lettered later.
 */
function normalized(
  normalize: () => readonly unknown[],
): { ok: true; alerts: CanonicalAlert[] } | { ok: false; issues: Issue[] } {
  try {
    const alerts: CanonicalAlert[] = [];
    for (const alert of normalize()) {
      const canonical = CanonicalAlert.safeParse(alert);
      if (!canonical.success) return { ok: false, issues: issuesOf(canonical.error) };
      alerts.push(canonical.data);
    }
    return { ok: true, alerts };
  } catch (error) {
    if (error instanceof ValidationError) {
      const issues =
        error.issues.length > 0 ? [...error.issues] : [{ path: "(root)", message: error.message }];
      return { ok: false, issues };
    }
    throw error;
  }
}

const normalizationIssues = (normalize: () => readonly unknown[]): Issue[] => {
  const result = normalized(normalize);
  return result.ok ? [] : result.issues;
};

const receiptNow = (deps: IngestDeps) => ({
  alertId: "alr_ingest_check",
  receivedAt: deps.clock().toISOString(),
});

type Outcome<T> = { ok: true; value: T } | { ok: false; response: IngestResponse };

interface Refusal {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly issues?: Issue[];
  /** Whether the request proved it holds the source's secret; only then is its refusal kept on its own. */
  readonly authenticated: boolean;
  /** The source it is kept under, when not the one the path names (unknown sources share one tally). */
  readonly keptAs?: string;
}

/** A source name that is not a route: every one is tallied under this name, so inventing names costs nothing. */
export const UNKNOWN_SOURCE = "(unknown)";

/** Every refusal says what was wrong and is kept (without the body): one by one, or counted (see IngestDeps). */
async function refuse(
  request: IngestRequest,
  deps: IngestDeps,
  refusal: Refusal,
): Promise<{ ok: false; response: IngestResponse }> {
  const { status, code, message, issues } = refusal;
  const kept = {
    source: refusal.keptAs ?? request.source.slice(0, 64),
    status,
    code,
    message,
    bodySha256: sha256Hex(request.rawBody),
    bodyBytes: request.rawBody.byteLength,
  };
  await (refusal.authenticated ? deps.recordRejection(kept) : deps.countRefusal(kept));
  return {
    ok: false,
    response: { status, body: { error: { code, message, ...(issues ? { issues } : {}) } } },
  };
}

/** The checks every route makes before it reads a byte of the body: method, size, type, authenticity. */
async function preflight(
  request: IngestRequest,
  deps: IngestDeps,
  auth: { secretName: SecretName; label: string; authenticate: SourceAdapter<unknown>["authenticate"] },
): Promise<Outcome<null>> {
  const unauthenticated = { authenticated: false } as const;
  if (request.method !== "POST")
    return refuse(request, deps, {
      status: 405,
      code: "method_not_allowed",
      message: "use POST",
      ...unauthenticated,
    });
  if (request.rawBody.byteLength > deps.maxBodyBytes) {
    const message = `body is ${request.rawBody.byteLength} bytes; the limit is ${deps.maxBodyBytes}`;
    return refuse(request, deps, { status: 413, code: "too_large", message, ...unauthenticated });
  }
  const header = request.headers["content-type"];
  const contentType = header === "application/json" ? header : header?.split(";")[0]?.trim().toLowerCase();
  if (contentType !== "application/json") {
    const message = `content-type must be application/json, not "${contentType ?? ""}"`;
    return refuse(request, deps, {
      status: 415,
      code: "unsupported_media_type",
      message,
      ...unauthenticated,
    });
  }
  const secret = await deps.secret(auth.secretName);
  if (!secret) {
    const message = `${auth.label} has no secret configured (${auth.secretName}); it refuses everything`;
    return refuse(request, deps, { status: 401, code: "not_configured", message, ...unauthenticated });
  }
  const signed = { headers: request.headers, rawBody: request.rawBody, now: deps.clock() };
  let verdict = auth.authenticate(signed, secret);
  if (!verdict.ok && verdict.code === "bad_signature") {
    const rotated = await deps.refreshSecret?.(auth.secretName, secret);
    if (rotated) verdict = auth.authenticate(signed, rotated);
  }
  if (!verdict.ok)
    return refuse(request, deps, {
      status: 401,
      code: verdict.code,
      message: verdict.message,
      ...unauthenticated,
    });
  return { ok: true, value: null };
}

/** The parsed body, or (synchronously: most bodies pass) the refusal of one that is not strict JSON. */
function parseBody(request: IngestRequest): { ok: true; value: unknown } | { ok: false; refusal: Refusal } {
  const parsed = parseRawJson(request.rawBody);
  if (parsed.ok) return parsed;
  // Not UTF-8, not JSON, too deep, or a duplicate or prototype-pollution key (named, with its path).
  const { message, issue } = parsed;
  return {
    ok: false,
    refusal: {
      status: 400,
      code: "invalid_json",
      message,
      authenticated: true,
      ...(issue ? { issues: [issue] } : {}),
    },
  };
}

/**
 * `POST /alerts/{source}`: authenticate, bound, parse and validate one webhook delivery, check its sender may post
 * and that it is not a replay, then hand it to the bus. Nothing accepted is answered before it is on the bus.
 */
export async function ingest(request: IngestRequest, deps: IngestDeps): Promise<IngestResponse> {
  const adapter = sourceByName(request.source);
  if (!adapter) {
    const message = `unknown source "${request.source.slice(0, 64)}"; known: ${sourceNames.join(", ")}`;
    const refusal = {
      status: 404,
      code: "unknown_source",
      message,
      authenticated: false,
      keptAs: UNKNOWN_SOURCE,
    };
    return (await refuse(request, deps, refusal)).response;
  }
  const { secretName, authenticate } = adapter;
  const checked = await preflight(request, deps, {
    secretName,
    authenticate,
    label: `source ${adapter.name}`,
  });
  if (!checked.ok) return checked.response;

  const kind = adapter.checkEventKind?.(request.headers) ?? { accept: true };
  if (!kind.accept) {
    if (kind.status === 200) return { status: 200, body: kind.body };
    const refusal = { status: 422, code: "unsupported_event", message: kind.message, authenticated: true };
    return (await refuse(request, deps, refusal)).response;
  }
  const body = parseBody(request);
  if (!body.ok) return (await refuse(request, deps, body.refusal)).response;
  const deliveryId = adapter.deliveryId?.(request.headers)?.slice(0, 128);
  const receivedAt = isoTimestamp(deps.clock());
  // Written out, not spread: V8 builds `{ ...a, b }` on a slow path, and this runs for every alert.
  const receiptFor = (alertId: string): Receipt =>
    deliveryId ? { alertId, receivedAt, deliveryId } : { alertId, receivedAt };
  const validated = adapter.schema.safeParse(body.value);
  const alertId = deps.newId("alr");
  const result = validated.success
    ? normalized(() => adapter.normalize(validated.data, receiptFor(alertId)))
    : { ok: false as const, issues: issuesOf(validated.error) };
  if (!result.ok) {
    const message = `not a valid ${adapter.name} payload`;
    const refusal = {
      status: 422,
      code: "invalid_payload",
      message,
      issues: result.issues,
      authenticated: true,
    };
    return (await refuse(request, deps, refusal)).response;
  }
  const admission = deps.admit(adapter.name, validated.data);
  if (!admission.allowed) {
    const refusal = { status: 403, code: "not_allowed", message: admission.message, authenticated: true };
    return (await refuse(request, deps, refusal)).response;
  }

  const { name: source } = adapter;
  const eventFor = (id: string): AlertReceived => {
    // Under another alert id (taking over a dead attempt's), the alerts are made again: their ids derive from it.
    const again =
      id === alertId ? result : normalized(() => adapter.normalize(validated.data, receiptFor(id)));
    const alerts = again.ok ? again.alerts : result.alerts;
    return deliveryId
      ? { alertId: id, receivedAt, deliveryId, source, alerts }
      : { alertId: id, receivedAt, source, alerts };
  };
  const replay = adapter.replayOf?.({
    headers: request.headers,
    rawBody: request.rawBody,
    now: deps.clock(),
  });
  return publishOnce(deps, replay, alertId, eventFor);
}

/** The EventBridge envelope every AWS event has. */
const Envelope = z.object({
  version: z.string(),
  id: z.string().min(1).max(64),
  "detail-type": z.string().min(1).max(128),
  source: z.string().min(1).max(64),
  account: z.string().regex(/^\d{12}$/),
  time: z.iso.datetime({ offset: true }),
  region: z.string().min(1).max(32),
  resources: z.array(z.string()),
  detail: z.record(z.string(), z.unknown()),
});

export const MAX_EVENTS_PER_REQUEST = 10;

/**
 * `POST /events`: one EventBridge envelope or an array of them (AWS sources sent over HTTPS), with
 * `Authorization: Bearer <QUELL_EVENTS_TOKEN>`. All or nothing: one bad envelope refuses the request, with
 * the issues of each, so a sender never has to guess which part landed.
 */
export async function ingestEvents(request: IngestRequest, deps: IngestDeps): Promise<IngestResponse> {
  const checked = await preflight(request, deps, {
    secretName: SecretNames.eventsToken,
    label: "POST /events",
    authenticate: bearerToken,
  });
  if (!checked.ok) return checked.response;
  const body = parseBody(request);
  if (!body.ok) return (await refuse(request, deps, body.refusal)).response;
  const events = Array.isArray(body.value) ? body.value : [body.value];
  if (events.length === 0 || events.length > MAX_EVENTS_PER_REQUEST) {
    const message = `send 1 to ${MAX_EVENTS_PER_REQUEST} EventBridge events; got ${events.length}`;
    const refusal = { status: 422, code: "invalid_payload", message, authenticated: true };
    return (await refuse(request, deps, refusal)).response;
  }
  const issues: Issue[] = [];
  events.forEach((event, index) => {
    const at = (path: string) => `[${index}]${path ? `.${path}` : ""}`;
    const envelope = Envelope.safeParse(event);
    if (!envelope.success) {
      for (const issue of issuesOf(envelope.error))
        issues.push({ ...issue, path: at(issue.path === "(root)" ? "" : issue.path) });
      return;
    }
    const adapter = eventSourceByName(envelope.data.source);
    if (!adapter) {
      issues.push({
        path: at("source"),
        message: `unknown EventBridge source "${envelope.data.source}"; known: ${eventSourceNames.join(", ")}`,
      });
      return;
    }
    if (!adapter.detailTypes.includes(envelope.data["detail-type"])) {
      issues.push({
        path: at("detail-type"),
        message: `${adapter.source} sends ${adapter.detailTypes.join(", ")}, not "${envelope.data["detail-type"]}"`,
      });
      return;
    }
    const validated = adapter.schema.safeParse(event);
    if (!validated.success) {
      for (const issue of issuesOf(validated.error)) issues.push({ ...issue, path: at(issue.path) });
      return;
    }
    for (const issue of normalizationIssues(() => adapter.normalize(validated.data, receiptNow(deps)))) {
      issues.push({ ...issue, path: at(issue.path) });
    }
  });
  if (issues.length > 0) {
    const message = "not valid EventBridge events of a known AWS source";
    return (
      await refuse(request, deps, {
        status: 422,
        code: "invalid_payload",
        message,
        issues: issues.slice(0, 50),
        authenticated: true,
      })
    ).response;
  }
  const alertIds: string[] = [];
  for (const event of events as z.infer<typeof Envelope>[]) {
    const alertId = deps.newId("alr");
    await deps.publish({
      alertId,
      source: event.source,
      receivedAt: deps.clock().toISOString(),
      deliveryId: event.id,
      payload: event,
    });
    alertIds.push(alertId);
  }
  return { status: 202, body: { alertIds, status: "accepted" } };
}
