import type { z } from "zod";
import { sha256Hex } from "../shared/hash.js";
import type { Clock, IdGenerator } from "../shared/ids.js";
import { parseRawJson } from "../shared/raw-json.js";
import type { Rejection } from "../shared/store.js";
import { sourceByName, sourceNames } from "../sources/index.js";

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
  readonly payload: unknown;
}

export const ALERT_RECEIVED = { source: "quell.ingest", detailType: "Alert Received" } as const;

export interface IngestDeps {
  readonly secretFor: (source: string) => Promise<string | undefined>;
  readonly publish: (event: AlertReceived) => Promise<void>;
  readonly recordRejection: (rejection: Rejection) => Promise<void>;
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
 * Authenticate, bound, parse and validate one webhook delivery, then hand it to the bus. Every refusal
 * says what was wrong and is kept (without the body); nothing accepted is answered before it is on the bus.
 */
export async function ingest(request: IngestRequest, deps: IngestDeps): Promise<IngestResponse> {
  const reject = async (status: number, code: string, message: string, issues?: Issue[]) => {
    await deps.recordRejection({
      source: request.source.slice(0, 64),
      status,
      code,
      message,
      bodySha256: sha256Hex(request.rawBody),
      bodyBytes: request.rawBody.byteLength,
    });
    return { status, body: { error: { code, message, ...(issues ? { issues } : {}) } } };
  };

  const adapter = sourceByName(request.source);
  if (!adapter) {
    return reject(
      404,
      "unknown_source",
      `unknown source "${request.source.slice(0, 64)}"; known: ${sourceNames.join(", ")}`,
    );
  }
  if (request.method !== "POST") return reject(405, "method_not_allowed", "use POST");
  if (request.rawBody.byteLength > deps.maxBodyBytes) {
    return reject(
      413,
      "too_large",
      `body is ${request.rawBody.byteLength} bytes; the limit is ${deps.maxBodyBytes}`,
    );
  }
  const contentType = request.headers["content-type"]?.split(";")[0]?.trim().toLowerCase();
  if (contentType !== "application/json") {
    return reject(
      415,
      "unsupported_media_type",
      `content-type must be application/json, not "${contentType ?? ""}"`,
    );
  }
  const secret = await deps.secretFor(adapter.name);
  if (!secret) {
    return reject(
      401,
      "not_configured",
      `source ${adapter.name} has no secret configured; it refuses everything`,
    );
  }
  const auth = adapter.authenticate(
    { headers: request.headers, rawBody: request.rawBody, now: deps.clock() },
    secret,
  );
  if (!auth.ok) return reject(401, auth.code, auth.message);

  const kind = adapter.checkEventKind?.(request.headers) ?? { accept: true };
  if (!kind.accept) {
    if (kind.status === 200) return { status: 200, body: kind.body };
    return reject(422, "unsupported_event", kind.message);
  }
  const parsed = parseRawJson(request.rawBody);
  if (!parsed.ok) return reject(400, "invalid_json", parsed.message);
  const validated = adapter.schema.safeParse(parsed.value);
  if (!validated.success) {
    return reject(422, "invalid_payload", `not a valid ${adapter.name} payload`, issuesOf(validated.error));
  }

  const alertId = deps.newId("alr");
  const deliveryId = adapter.deliveryId?.(request.headers)?.slice(0, 128);
  await deps.publish({
    alertId,
    source: adapter.name,
    receivedAt: deps.clock().toISOString(),
    ...(deliveryId ? { deliveryId } : {}),
    payload: parsed.value,
  });
  return { status: 202, body: { alertId, status: "accepted" } };
}
