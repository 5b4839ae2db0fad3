import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { isConditionFailure } from "../shared/dynamo-expressions.js";
import type { Clock } from "../shared/ids.js";

/**
 * A claim on a signed delivery, by the hash of its signature:
 * - `claimed`: this request accepts it, under `alertId` (its own, or that of an attempt that died before it
 *   finished: publishing that same id again is harmless, since triage counts an alert id once);
 * - `published`: a replay of a delivery accepted as `alertId`;
 * - `in_flight`: an identical request is being accepted right now.
 */
export type DeliveryClaim =
  | { readonly kind: "claimed"; readonly alertId: string }
  | { readonly kind: "published"; readonly alertId: string }
  | { readonly kind: "in_flight"; readonly alertId: string };

/** Signed deliveries seen while their signature could still be replayed: what ingest needs from them. */
export interface SeenDeliveries {
  /** Claim a delivery for `alertId`, remembered until `validUntil` (unix seconds). */
  claim(signatureHash: string, alertId: string, validUntil: number): Promise<DeliveryClaim>;
  /** The claimed delivery is on the bus: its replays are duplicates now. */
  published(signatureHash: string, alertId: string): Promise<void>;
  /** Publishing failed: forget the claim, so the sender's retry is accepted. */
  release(signatureHash: string, alertId: string): Promise<void>;
}

/** A claim still `publishing` this long after it was made belongs to an attempt that died (ingest times out first). */
export const STALE_CLAIM_SECONDS = 30;

const keyOf = (signatureHash: string) => ({ pk: `REPLAY#${signatureHash}`, sk: "REPLAY" });

/**
 * SeenDeliveries in the incident table: `REPLAY#<sha256 of the signature>`, with the end of the signature's
 * window as its expiry (also the table's TTL). Every step is a conditional write, so of two identical requests
 * at the same instant exactly one is published.
 */
export class DynamoSeenDeliveries implements SeenDeliveries {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock,
  ) {}

  private nowSeconds = () => Math.floor(this.clock().getTime() / 1000);

  async claim(signatureHash: string, alertId: string, validUntil: number): Promise<DeliveryClaim> {
    const now = this.nowSeconds();
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keyOf(signatureHash),
            alertId,
            state: "publishing",
            claimedAt: now,
            expiresAt: validUntil,
          },
          // TTL deletes late: an item past its window is as good as absent.
          ConditionExpression: "attribute_not_exists(pk) OR expiresAt < :now",
          ExpressionAttributeValues: { ":now": now },
        }),
      );
      return { kind: "claimed", alertId };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    const held = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keyOf(signatureHash), ConsistentRead: true }),
    );
    const item = held.Item;
    // Released between the two calls: claim it again.
    if (!item) return this.claim(signatureHash, alertId, validUntil);
    const first = String(item.alertId);
    if (item.state === "published") return { kind: "published", alertId: first };
    if (Number(item.claimedAt) > now - STALE_CLAIM_SECONDS) return { kind: "in_flight", alertId: first };
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keyOf(signatureHash),
          UpdateExpression: "SET claimedAt = :now",
          ConditionExpression: "alertId = :first AND #state = :publishing AND claimedAt = :claimedAt",
          ExpressionAttributeNames: { "#state": "state" },
          ExpressionAttributeValues: {
            ":now": now,
            ":first": first,
            ":publishing": "publishing",
            ":claimedAt": item.claimedAt,
          },
        }),
      );
      return { kind: "claimed", alertId: first };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return { kind: "in_flight", alertId: first };
    }
  }

  async published(signatureHash: string, alertId: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keyOf(signatureHash),
        UpdateExpression: "SET #state = :published",
        ConditionExpression: "alertId = :alertId",
        ExpressionAttributeNames: { "#state": "state" },
        ExpressionAttributeValues: { ":published": "published", ":alertId": alertId },
      }),
    );
  }

  async release(signatureHash: string, alertId: string): Promise<void> {
    try {
      await this.db.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: keyOf(signatureHash),
          ConditionExpression: "alertId = :alertId AND #state = :publishing",
          ExpressionAttributeNames: { "#state": "state" },
          ExpressionAttributeValues: { ":alertId": alertId, ":publishing": "publishing" },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }
}
