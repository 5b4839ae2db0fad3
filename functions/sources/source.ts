import type { z } from "zod";
import type { CanonicalAlert } from "../shared/alert.js";
import type { SecretName } from "../shared/env.js";
import type { PatternNode, RuleSettings } from "./aws/event-pattern.js";

/** What ingest knows when it authenticates a request. Header names are lower case. */
export interface SignedRequest {
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly rawBody: Uint8Array;
  readonly now: Date;
}

export type AuthResult =
  | { ok: true }
  | { ok: false; code: "bad_signature" | "not_configured" | "stale"; message: string };

/**
 * What identifies one signed delivery among its replays, and until when (unix seconds) a replay of it could still
 * authenticate: its signature, which covers the body (and the timestamp, where the scheme has one).
 */
export interface ReplayWindow {
  readonly signature: string;
  readonly validUntil: number;
}

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
  readonly secretName: SecretName;
  readonly authenticate: (request: SignedRequest, secret: string) => AuthResult;
  readonly checkEventKind?: EventKindCheck;
  readonly deliveryId?: (headers: SignedRequest["headers"]) => string | undefined;
  /**
   * How to recognise a replay of an authenticated delivery (see ReplayWindow). Absent for bearer-token sources:
   * a static token signs nothing, so their repeats cannot be told from the tool's own resends.
   */
  readonly replayOf?: (request: SignedRequest) => ReplayWindow | undefined;
  readonly schema: z.ZodType<Payload>;
  /** One delivery may carry several alerts (Alertmanager groups them); each gets `alertIdFor(receipt, i)`. */
  readonly normalize: (payload: Payload, receipt: Receipt) => readonly CanonicalAlert[];
}

/**
 * An AWS source arriving through EventBridge (GuardDuty, Security Hub, CloudWatch, CloudTrail): in AWS by
 * rules on the default bus, locally by `POST /events`. Its schema validates the whole event envelope.
 */
export interface EventSourceAdapter<Envelope> {
  /** The EventBridge `source`, e.g. `aws.guardduty`. */
  readonly source: string;
  /** The `detail-type`s it accepts; the AWS rule matches exactly these. */
  readonly detailTypes: readonly string[];
  /**
   * What the AWS rule lets in beyond source and detail-type: the events Quell acts on or records for AI
   * (aws/event-pattern.ts). Triage still checks every event the pattern lets in.
   */
  readonly detailPattern: (settings: RuleSettings) => PatternNode;
  readonly schema: z.ZodType<Envelope>;
  readonly normalize: (envelope: Envelope, receipt: Receipt) => readonly CanonicalAlert[];
}

/** The id of the i-th alert of one delivery: stable across redeliveries, so triage recognises them. */
export const alertIdFor = (receipt: Receipt, index: number): string =>
  index === 0 ? receipt.alertId : `${receipt.alertId}.${index}`;
