import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { AlertStatus, CanonicalAlert, Entity } from "../shared/alert.js";
import { alertAttributes, alertOfItem } from "../shared/alert-record.js";
import { dayPage } from "../shared/day-pages.js";
import { type Clock, unixSeconds } from "../shared/ids.js";
import type { Deployment } from "../shared/incident.js";
import type { Page, PageOf } from "../shared/page-cursor.js";
import { type DocumentClient, isConditionFailure } from "../shared/store.js";
import { recentDeployments, rememberDeployment } from "./deployment-history.js";

/** Which incident holds a dedup key, and the alert that claimed it (to recognise its redeliveries). */
export interface DedupClaim {
  readonly incidentId: string;
  readonly alertId: string;
}

/** A claim as the table holds it, with the end of its dedup window (unix seconds). */
export interface HeldDedupClaim extends DedupClaim {
  readonly expiresAt: number;
}

/**
 * An alert that opened nothing: a resolve with no open case, or a signal that is not an attack on its own (model
 * enumeration below the burst threshold, or from a source the principal is known to use). Kept, never dropped.
 */
export interface UnmatchedAlert {
  readonly at: string;
  readonly reason: "resolved" | "out_of_scope" | "out_of_order";
  /** Why, in words, when the reason alone does not say. */
  readonly because?: string;
  readonly alert: CanonicalAlert;
}

const dedupKeyOf = (dedupKey: string) => ({ pk: `DEDUP#${dedupKey}`, sk: "DEDUP" });
/**
 * An event of one alert (one dedup key) by the source's own clock: when the source says it happened, and what it
 * said (firing, update, resolved).
 */
export interface SourceEvent {
  /** Milliseconds since the epoch, from the alert's `occurredAt`. */
  readonly at: number;
  readonly status: AlertStatus;
}

/**
 * Where an event falls among the events of its alert seen so far, by the source's clock. `newest`: later than all
 * of them (a resolve at the same instant as the newest event counts as later: a resolve follows what it resolves),
 * so it may change the alert's state. `before`: the newest event seen before it, if any.
 */
export interface SourceOrder {
  readonly newest: boolean;
  readonly before?: SourceEvent;
}

const orderKeyOf = (dedupKey: string) => ({ pk: `ORDER#${dedupKey}`, sk: "ORDER" });

/** The partition of an item about one entity: `<prefix>#<kind>#<provider>#<id>`. */
const entityPartition = (prefix: string, entity: Entity) =>
  `${prefix}#${entity.kind}#${entity.provider ?? ""}#${entity.id}`;
const entityKeyOf = (entity: Entity) => ({ pk: entityPartition("CORR", entity), sk: "CORR" });
/** Where alerts kept for correlation wait under one of their entities (see keepForEntity). */
const keptPartitionOf = (entity: Entity) => entityPartition("KEPT", entity);

/**
 * The fixed window of `windowSeconds` that `nowSeconds` falls in: the counter's sort key, and its expiry (one
 * window after the window ends).
 */
const fixedWindow = (nowSeconds: number, windowSeconds: number) => {
  const windowStart = nowSeconds - (nowSeconds % windowSeconds);
  return { sk: `${windowSeconds}#${windowStart}`, expiresAt: windowStart + windowSeconds * 2 };
};

/**
 * The triage state beside incidents in the one table: dedup claims, correlation claims on entities, playbook
 * start budgets and unmatched alerts. Every claim is a conditional write with an expiry (also the TTL).
 */
export class TriageStore {
  constructor(
    private readonly db: DocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock,
  ) {}

  private nowSeconds = () => unixSeconds(this.clock);

  /**
   * Claim a key for an incident. Returns the claim that holds the key: this one when it wins (or the key's
   * window expired), else the earlier one.
   */
  private async claim(
    key: { pk: string; sk: string },
    claim: Record<string, string>,
    windowSeconds: number,
  ): Promise<Record<string, unknown>> {
    const now = this.nowSeconds();
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...key, ...claim, expiresAt: now + windowSeconds },
          ConditionExpression: "attribute_not_exists(pk) OR expiresAt < :now",
          ExpressionAttributeValues: { ":now": now },
        }),
      );
      return claim;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const held = await this.db.send(
        new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
      );
      return held.Item ?? claim;
    }
  }

  /**
   * Claim a dedup key on behalf of one alert; see `claim`. Reads first: in a storm almost every alert finds
   * the key held, and one read is cheaper than a refused write and a read.
   */
  async claimDedupKey(dedupKey: string, claim: DedupClaim, windowSeconds: number): Promise<HeldDedupClaim> {
    const live = await this.findDedupClaim(dedupKey);
    if (live) return live;
    const held = await this.claim(dedupKeyOf(dedupKey), { ...claim }, windowSeconds);
    return {
      incidentId: String(held.incidentId),
      alertId: String(held.alertId),
      expiresAt: Number(held.expiresAt ?? this.nowSeconds() + windowSeconds),
    };
  }

  /** The live claim on a dedup key, if any; claims nothing. */
  async findDedupClaim(dedupKey: string): Promise<HeldDedupClaim | undefined> {
    const held = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: dedupKeyOf(dedupKey), ConsistentRead: true }),
    );
    const item = held.Item;
    const expiresAt = Number(item?.expiresAt);
    if (!item || expiresAt < this.nowSeconds()) return undefined;
    return { incidentId: String(item.incidentId), alertId: String(item.alertId), expiresAt };
  }

  /**
   * Record an event of an alert if it is the newest by the source's clock, and say where it falls (SourceOrder). One
   * conditional write: of two events racing, each learns the truth. Kept as long as dedup claims.
   */
  async advanceSourceTime(dedupKey: string, event: SourceEvent, windowSeconds: number): Promise<SourceOrder> {
    const now = this.nowSeconds();
    const later = event.status === "resolved" ? "newestAt <= :at" : "newestAt < :at";
    const live = (item: Record<string, unknown> | undefined): SourceEvent | undefined =>
      item && typeof item.newestAt === "number" && Number(item.expiresAt) >= now
        ? { at: item.newestAt, status: item.newestStatus as AlertStatus }
        : undefined;
    try {
      const result = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: orderKeyOf(dedupKey),
          UpdateExpression: "SET newestAt = :at, newestStatus = :status, expiresAt = :expires",
          ConditionExpression: `attribute_not_exists(newestAt) OR expiresAt < :now OR ${later}`,
          ExpressionAttributeValues: {
            ":at": event.at,
            ":status": event.status,
            ":expires": now + windowSeconds,
            ":now": now,
          },
          ReturnValues: "ALL_OLD",
        }),
      );
      const before = live(result.Attributes);
      return before ? { newest: true, before } : { newest: true };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const held = await this.db.send(
        new GetCommand({ TableName: this.tableName, Key: orderKeyOf(dedupKey), ConsistentRead: true }),
      );
      const before = live(held.Item);
      return before ? { newest: false, before } : { newest: false };
    }
  }

  /** Point a dedup key at another incident (the one its alert was correlated into), keeping its window. */
  async moveDedupKey(dedupKey: string, from: DedupClaim, toIncidentId: string): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: dedupKeyOf(dedupKey),
          UpdateExpression: "SET incidentId = :to",
          ConditionExpression: "incidentId = :from AND alertId = :alert",
          ExpressionAttributeValues: {
            ":to": toIncidentId,
            ":from": from.incidentId,
            ":alert": from.alertId,
          },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  /** Replace a dedup claim whose incident is over, so a new occurrence opens a new incident. */
  async reclaimDedupKey(
    dedupKey: string,
    from: DedupClaim,
    to: DedupClaim,
    windowSeconds: number,
  ): Promise<HeldDedupClaim> {
    const expiresAt = this.nowSeconds() + windowSeconds;
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...dedupKeyOf(dedupKey), ...to, expiresAt },
          ConditionExpression: "incidentId = :from",
          ExpressionAttributeValues: { ":from": from.incidentId },
        }),
      );
      return { incidentId: to.incidentId, alertId: to.alertId, expiresAt };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return this.claimDedupKey(dedupKey, to, windowSeconds);
    }
  }

  /**
   * Claim an entity for an incident's correlation window; returns the incident that holds it, and how long ago
   * that claim was made or last refreshed.
   */
  async claimEntity(
    entity: Entity,
    incidentId: string,
    windowSeconds: number,
  ): Promise<{ incidentId: string; ageSeconds: number }> {
    const held = await this.claim(entityKeyOf(entity), { incidentId }, windowSeconds);
    const expiresAt = Number(held.expiresAt ?? this.nowSeconds() + windowSeconds);
    return {
      incidentId: String(held.incidentId),
      ageSeconds: this.nowSeconds() - (expiresAt - windowSeconds),
    };
  }

  /** Point an entity at an incident and restart its window (the incident saw the entity again). */
  async pointEntity(entity: Entity, incidentId: string, windowSeconds: number): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...entityKeyOf(entity), incidentId, expiresAt: this.nowSeconds() + windowSeconds },
      }),
    );
  }

  /**
   * Take one playbook start from a fixed window's budget. Returns false when the window's budget is spent: the
   * alert is then recorded as rate_limited, and nothing starts.
   */
  async takePlaybookStart(playbook: string, limit: number, windowSeconds: number): Promise<boolean> {
    const window = fixedWindow(this.nowSeconds(), windowSeconds);
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: `RATE#${playbook}`, sk: window.sk },
          UpdateExpression: "ADD starts :one SET expiresAt = :expires",
          ConditionExpression: "attribute_not_exists(starts) OR starts < :limit",
          ExpressionAttributeValues: { ":one": 1, ":limit": limit, ":expires": window.expiresAt },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /**
   * Remember that a principal used a source IP now; returns when it was first seen using it (unix seconds),
   * this call included. The memory of an IP ends `keepSeconds` after its last use.
   */
  async noteSourceUse(principal: string, ip: string, keepSeconds: number): Promise<{ firstSeen: number }> {
    const now = this.nowSeconds();
    const result = await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `BASELINE#${principal}`, sk: `IP#${ip}` },
        UpdateExpression:
          "SET firstSeen = if_not_exists(firstSeen, :now), lastSeen = :now, expiresAt = :expires",
        ExpressionAttributeValues: { ":now": now, ":expires": now + keepSeconds },
        ReturnValues: "ALL_NEW",
      }),
    );
    return { firstSeen: Number(result.Attributes?.firstSeen ?? now) };
  }

  /** Count one more event for `key` in the current fixed window of `windowSeconds`; returns the window's count. */
  async countInWindow(key: string, windowSeconds: number): Promise<number> {
    const window = fixedWindow(this.nowSeconds(), windowSeconds);
    const result = await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `BURST#${key}`, sk: window.sk },
        UpdateExpression: "ADD events :one SET expiresAt = :expires",
        ExpressionAttributeValues: { ":one": 1, ":expires": window.expiresAt },
        ReturnValues: "UPDATED_NEW",
      }),
    );
    return Number(result.Attributes?.events ?? 1);
  }

  /**
   * Keep an alert that opened nothing under one of its entities for `windowSeconds`, so an incident that opens
   * about that entity within the window can take it (see takeKeptAlerts).
   */
  async keepForEntity(entity: Entity, alert: CanonicalAlert, windowSeconds: number): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: keptPartitionOf(entity),
          sk: `${alert.receivedAt}#${alert.id}`,
          ...alertAttributes(alert),
          expiresAt: this.nowSeconds() + windowSeconds,
        },
      }),
    );
  }

  /** Take the alerts kept under an entity and still in their window: each is taken once, by one caller. */
  async takeKeptAlerts(entity: Entity): Promise<CanonicalAlert[]> {
    const pk = keptPartitionOf(entity);
    const page = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": pk },
        ConsistentRead: true,
      }),
    );
    const taken: CanonicalAlert[] = [];
    for (const item of page.Items ?? []) {
      if (Number(item.expiresAt) < this.nowSeconds()) continue;
      try {
        await this.db.send(
          new DeleteCommand({
            TableName: this.tableName,
            Key: { pk, sk: item.sk },
            ConditionExpression: "attribute_exists(pk)",
          }),
        );
        taken.push(alertOfItem(item));
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    }
    return taken;
  }

  /** Remember that a configuration went live on an asset (deployment-history.ts). */
  recordDeployment(assetId: string, deployment: Deployment): Promise<void> {
    return rememberDeployment(this.db, this.tableName, assetId, deployment, this.nowSeconds());
  }

  /** What Quell learnt of an asset's deployments, newest first. */
  deploymentsOf(assetId: string): Promise<Deployment[]> {
    return recentDeployments(this.db, this.tableName, assetId);
  }

  /** Keep an alert that opened nothing, by day, for 30 days. */
  async recordUnmatched(
    alert: CanonicalAlert,
    reason: UnmatchedAlert["reason"],
    because?: string,
  ): Promise<void> {
    const at = this.clock().toISOString();
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: `UNMATCHED#${at.slice(0, 10)}`,
          sk: `${alert.receivedAt}#${alert.id}`,
          at,
          reason,
          ...(because ? { because } : {}),
          ...alertAttributes(alert),
          expiresAt: this.nowSeconds() + 30 * 86400,
        },
      }),
    );
  }

  /** One day's unmatched alerts, newest first, a page at a time. */
  async listUnmatched(day: string, page: Page): Promise<PageOf<UnmatchedAlert>> {
    const { items, nextCursor } = await dayPage(this.db, this.tableName, "UNMATCHED", day, page);
    const unmatched = items.map((item) => ({
      at: String(item.at),
      reason: item.reason as UnmatchedAlert["reason"],
      ...(typeof item.because === "string" ? { because: item.because } : {}),
      alert: alertOfItem(item),
    }));
    return { items: unmatched, ...(nextCursor ? { nextCursor } : {}) };
  }
}
