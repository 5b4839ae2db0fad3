import type { z } from "zod";
import type { CanonicalAlert } from "../shared/alert.js";

/** What ingest knows when it authenticates a request. Header names are lower case. */
export interface SignedRequest {
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly rawBody: Uint8Array;
  readonly now: Date;
}

export type AuthResult =
  | { ok: true }
  | { ok: false; code: "bad_signature" | "not_configured" | "stale"; message: string };

/** Facts ingest adds to every accepted alert. */
export interface Receipt {
  readonly alertId: string;
  readonly receivedAt: string;
  readonly deliveryId?: string;
}

/** How the request says which kind of payload it carries, when the tool says so in a header. */
export type EventKindCheck = (
  headers: SignedRequest["headers"],
) =>
  | { accept: true }
  | { accept: false; status: 200; body: Record<string, unknown> }
  | { accept: false; status: 422; message: string };

/**
 * A source adapter: how a tool authenticates, what its payload must look like, and how it becomes a
 * canonical alert. Adding a source is one file implementing this plus one registry line.
 */
export interface SourceAdapter<Payload> {
  readonly name: string;
  /** The secret this source is signed with; a source without one configured refuses everything. */
  readonly secretName: import("../shared/env.js").SecretName;
  readonly authenticate: (request: SignedRequest, secret: string) => AuthResult;
  readonly checkEventKind?: EventKindCheck;
  readonly deliveryId?: (headers: SignedRequest["headers"]) => string | undefined;
  readonly schema: z.ZodType<Payload>;
  readonly normalize: (payload: Payload, receipt: Receipt) => CanonicalAlert;
}
