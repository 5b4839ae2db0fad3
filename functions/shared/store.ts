import { randomBytes } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  ScanCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from "@aws-sdk/lib-dynamodb";
import { ACTION_RUN_PREFIX, ActionRunStore, withoutKeys as actionRunOf } from "./action-runs.js";
import { type CanonicalAlert, type Severity, severityRank } from "./alert.js";
import { alertAttributes, alertOfItem } from "./alert-record.js";
import { CHAIN_HEAD_SORT_KEY, type ChainHead, chainEntry } from "./audit-chain.js";
import { ContainmentLedger } from "./containment-ledger.js";
import { isConditionFailure, setExpression } from "./dynamo-expressions.js";
import { TransientError } from "./errors.js";
import type { Clock } from "./ids.js";
import {
  type Approval,
  type ApprovalStatus,
  FINAL_STATUSES,
  type Incident,
  type Risk,
  type TimelineEvent,
} from "./incident.js";
import { queryIncidentPartition } from "./incident-partition.js";
import { InterruptionStore } from "./interruptions.js";
import { decodeCursor, encodeCursor, type Page, type PageOf } from "./page-cursor.js";
import { PauseSwitch } from "./pause.js";
import { type RefusalTally, type Rejection, type RejectionEntry, RejectionStore } from "./rejections.js";
import { retryTransactionConflicts, writeTransaction } from "./transactions.js";

const META = "META";
/** Writers racing for one incident's chain head: each lost race is another writer's entry written. */
const MAX_CHAIN_ATTEMPTS = 25;
const incidentKey = (id: string) => ({ pk: `INC#${id}`, sk: META });
/** One item per alert id on an incident: a redelivered alert finds its item there and is not counted again. */
const alertKey = (incidentId: string, alertId: string) => ({
  pk: `INC#${incidentId}`,
  sk: `ALERT#${alertId}`,
});
const approvalKey = (incidentId: string, step: string) => ({ pk: `INC#${incidentId}`, sk: `APR#${step}` });

export type DocumentClient = DynamoDBDocumentClient;

export const createDocumentClient = () => {
  const client = new DynamoDBClient({});
  retryTransactionConflicts(client);
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
};

export { isConditionFailure };

/** What became of an alert added to an incident (see IncidentStore.addAlert). */
export type AlertKept = { readonly kind: "added" | "redelivered"; readonly incident: Incident };
export type AlertAdded = AlertKept | { readonly kind: "not_open" };

export type { RefusalTally, Rejection, RejectionEntry } from "./rejections.js";

/** Everything Quell keeps in its one table: incidents, their timelines, alerts, approvals, dedup and rejects. */
export class IncidentStore {
  /** The runs of each incident's action steps, for undo. */
  readonly actionRuns: ActionRunStore;
  /** Executions the local runtime lost mid-step, and their reruns. */
  readonly interruptions: InterruptionStore;
  /** Refused requests: authenticated ones one by one, unauthenticated ones counted per minute. */
  private readonly rejections: RejectionStore;
  /** Quell's kill switch (`/quell pause`, `/quell resume`). */
  readonly pause: PauseSwitch;
  /** The containments applied in the last hour, against the containment budget. */
  readonly containments: ContainmentLedger;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock,
  ) {
    this.actionRuns = new ActionRunStore(db, tableName, clock);
    this.interruptions = new InterruptionStore(db, tableName, clock);
    this.rejections = new RejectionStore(db, tableName, clock);
    this.pause = new PauseSwitch(db, tableName, clock);
    this.containments = new ContainmentLedger(db, tableName, clock);
  }

  private now = () => this.clock().toISOString();

  /**
   * Create an incident; false when it exists already (a redelivery). With its first alert, the incident (counting
   * that alert) and the alert are written in one transaction: both, or neither.
   */
  async createIncident(incident: Incident, firstAlert?: CanonicalAlert): Promise<boolean> {
    const item = {
      ...incidentKey(incident.id),
      entity: "incident",
      ...incident,
      severityRank: severityRank(incident.severity),
    };
    if (firstAlert) {
      const result = await writeTransaction(this.db, [
        { Put: { TableName: this.tableName, Item: item, ConditionExpression: "attribute_not_exists(pk)" } },
        this.alertPut(incident.id, firstAlert),
      ]);
      return result.written;
    }
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async getIncident(id: string): Promise<Incident | undefined> {
    const result = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: incidentKey(id), ConsistentRead: true }),
    );
    return result.Item ? stripKeys<Incident>(result.Item) : undefined;
  }

  /**
   * Incidents, newest first (by creation time, then id), one page at a time; the cursor is the key of the last
   * incident served. A scan is fine at local scale; see README for the production index.
   */
  async listIncidents(page: Page): Promise<PageOf<Incident>> {
    const after = page.cursor ? decodeCursor(page.cursor, ["createdAt", "id"] as const) : undefined;
    const items: Incident[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const scanned = await this.db.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression: "entity = :incident",
          ExpressionAttributeValues: { ":incident": "incident" },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of scanned.Items ?? []) items.push(stripKeys<Incident>(item));
      start = scanned.LastEvaluatedKey;
    } while (start);
    type Position = Pick<Incident, "createdAt" | "id">;
    const newerFirst = (a: Position, b: Position) =>
      b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id);
    const rest = items.sort(newerFirst).filter((incident) => !after || newerFirst(incident, after) > 0);
    const served = rest.slice(0, page.limit);
    const last = served.at(-1);
    return rest.length > page.limit && last
      ? { items: served, nextCursor: encodeCursor({ createdAt: last.createdAt, id: last.id }) }
      : { items: served };
  }

  /**
   * Update an incident unless it already reached a final status (a late event never reopens it). Returns
   * false when the incident is final.
   */
  async updateIncident(id: string, changes: Partial<Omit<Incident, "id">>): Promise<boolean> {
    const set = setExpression({ ...changes, updatedAt: this.now() });
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: incidentKey(id),
          UpdateExpression: set.expression,
          ConditionExpression: `attribute_exists(pk) AND NOT #status IN (${FINAL_STATUSES.map((_, i) => `:f${i}`).join(", ")})`,
          ExpressionAttributeNames: { ...set.names, "#status": "status" },
          ExpressionAttributeValues: {
            ...set.values,
            ...Object.fromEntries(FINAL_STATUSES.map((final, i) => [`:f${i}`, final])),
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /**
   * Keep an alert on an incident and count it, in one transaction: both happen, or neither. Idempotent per alert
   * id: a redelivery of an alert already kept finds its item and counts nothing (`redelivered`). Returns the
   * incident as read after the write.
   */
  async addAlert(incidentId: string, alert: CanonicalAlert): Promise<AlertKept> {
    const added = await this.addAlertWhen(incidentId, alert, false);
    if (added.kind === "not_open")
      throw new TransientError(`incident ${incidentId} for alert ${alert.id} is not written yet`);
    return added;
  }

  /**
   * addAlert, only on an incident that exists and is not resolved: else `not_open`, and nothing is written. The
   * storm path: a duplicate costs this transaction and one read of the incident.
   */
  addAlertIfOpen(incidentId: string, alert: CanonicalAlert): Promise<AlertAdded> {
    return this.addAlertWhen(incidentId, alert, true);
  }

  private async addAlertWhen(incidentId: string, alert: CanonicalAlert, onlyIfOpen: boolean) {
    const result = await writeTransaction(this.db, [
      {
        Update: {
          TableName: this.tableName,
          Key: incidentKey(incidentId),
          UpdateExpression: "ADD alertCount :one SET updatedAt = :now",
          ConditionExpression: onlyIfOpen
            ? "attribute_exists(pk) AND #status <> :resolved"
            : "attribute_exists(pk)",
          ...(onlyIfOpen ? { ExpressionAttributeNames: { "#status": "status" } } : {}),
          ExpressionAttributeValues: {
            ":one": 1,
            ":now": this.now(),
            ...(onlyIfOpen ? { ":resolved": "resolved" } : {}),
          },
        },
      },
      this.alertPut(incidentId, alert),
    ]);
    // Reasons come in the order of the items: the incident's update, then the alert's put.
    const redelivered = !result.written && result.reasons[1] === "ConditionalCheckFailed";
    if (!result.written && !redelivered) return { kind: "not_open" } as const;
    const incident = await this.getIncident(incidentId);
    if (!incident) throw new TransientError(`incident ${incidentId} for alert ${alert.id} is gone`);
    return { kind: redelivered ? ("redelivered" as const) : ("added" as const), incident };
  }

  /** The conditional put of an alert's item (see alertKey), as one item of a transaction. */
  private alertPut(incidentId: string, alert: CanonicalAlert) {
    return {
      Put: {
        TableName: this.tableName,
        Item: this.alertItem(incidentId, alert),
        ConditionExpression: "attribute_not_exists(pk)",
      },
    };
  }

  private alertItem(incidentId: string, alert: CanonicalAlert) {
    return {
      ...alertKey(incidentId, alert.id),
      entity: "alert",
      receivedAt: alert.receivedAt,
      ...alertAttributes(alert),
    };
  }

  /**
   * Raise an incident's risk and severity to a joining alert's when they are higher; never lowers them, even
   * when joins race (each is a conditional write).
   */
  async raiseIncident(id: string, raise: { risk: Risk; severity: Severity }): Promise<void> {
    const conditional = async (update: Omit<UpdateCommandInput, "TableName" | "Key">) => {
      try {
        await this.db.send(new UpdateCommand({ TableName: this.tableName, Key: incidentKey(id), ...update }));
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    };
    await conditional({
      UpdateExpression: "SET risk = :risk",
      ConditionExpression: "attribute_exists(pk) AND (attribute_not_exists(risk) OR risk.score < :score)",
      ExpressionAttributeValues: { ":risk": raise.risk, ":score": raise.risk.score },
    });
    await conditional({
      UpdateExpression: "SET severity = :severity, severityRank = :rank",
      ConditionExpression:
        "attribute_exists(pk) AND (attribute_not_exists(severityRank) OR severityRank < :rank)",
      ExpressionAttributeValues: { ":severity": raise.severity, ":rank": severityRank(raise.severity) },
    });
  }

  /** Keep an alert on an incident without counting it (the caller counted it when creating the incident). */
  async saveAlert(incidentId: string, alert: CanonicalAlert): Promise<void> {
    await this.db.send(
      new PutCommand({ TableName: this.tableName, Item: this.alertItem(incidentId, alert) }),
    );
  }

  /** Find a stored alert by its id, with the incident it belongs to. A scan: for commands, never the hot path. */
  async findAlert(alertId: string): Promise<{ incidentId: string; alert: CanonicalAlert } | undefined> {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression: "entity = :alert AND (alertId = :id OR alert.id = :id)",
          ExpressionAttributeValues: { ":alert": "alert", ":id": alertId },
          ExclusiveStartKey: start,
        }),
      );
      const item = page.Items?.[0];
      if (item) return { incidentId: String(item.pk).slice("INC#".length), alert: alertOfItem(item) };
      start = page.LastEvaluatedKey;
    } while (start);
    return undefined;
  }

  /** Put an entry on the timeline, chained (audit-chain.ts); returns its time (the one given, else now). */
  async appendTimeline(
    incidentId: string,
    event: Omit<TimelineEvent, "at"> & { at?: string },
  ): Promise<string> {
    const at = event.at ?? this.now();
    // A key already taken (two entries in one millisecond drew the same suffix) is drawn again.
    while (
      !(await this.appendChained(incidentId, `EVT#${at}#${randomBytes(4).toString("hex")}`, { ...event, at }))
    );
    return at;
  }

  /**
   * The timeline's `approval_decided` for a decided approval, written from the approval item itself under a key of
   * its own (one entry per decision, dated when it was decided), so writing it again changes nothing: the first
   * writer's entry stays (a chained entry is never rewritten). Slack's click writes it once the decision took
   * effect; an action about to act on the decision writes it too, unless it is there already: no write is ever
   * sent before the timeline has it.
   */
  async recordDecision(approval: Approval, detail?: Readonly<Record<string, unknown>>): Promise<void> {
    const at = approval.decidedAt ?? this.now();
    const by = approval.decidedBy ?? "unknown";
    await this.appendChained(approval.incidentId, `EVT#${at}#decision-${approval.step}`, {
      kind: "approval_decided",
      summary: `${approval.status} by ${by}`,
      actor: by,
      at,
      detail: {
        approvalId: approval.approvalId,
        decision: approval.status,
        teamId: approval.decidedByTeam ?? null,
        messageTs: approval.messageTs ?? null,
        approvedBy: approval.approvedBy,
        reason: approval.reason ?? null,
        comment: approval.comment ?? null,
        ...detail,
      },
    });
  }

  /**
   * Write a timeline entry as the next link of its incident's chain, in one transaction with the chain's head,
   * on the condition that the head is still the one read and no entry holds the key: a writer that lost the race
   * for the head reads it again and links after the winner. Returns false, having written nothing, when an entry
   * holds the key already (a decision written by another path).
   */
  private async appendChained(
    incidentId: string,
    sk: string,
    entry: Record<string, unknown>,
  ): Promise<boolean> {
    const pk = `INC#${incidentId}`;
    for (let attempt = 1; attempt <= MAX_CHAIN_ATTEMPTS; attempt++) {
      const stored = await this.db.send(
        new GetCommand({
          TableName: this.tableName,
          Key: { pk, sk: CHAIN_HEAD_SORT_KEY },
          ConsistentRead: true,
        }),
      );
      const head = stored.Item as ChainHead | undefined;
      const linked = chainEntry(incidentId, head, entry);
      const result = await writeTransaction(this.db, [
        {
          Put: {
            TableName: this.tableName,
            Item: { pk, sk, entity: "event", ...linked },
            ConditionExpression: "attribute_not_exists(pk)",
          },
        },
        {
          Put: {
            TableName: this.tableName,
            Item: {
              pk,
              sk: CHAIN_HEAD_SORT_KEY,
              entity: "chain",
              seq: linked.seq,
              hash: linked.hash,
              at: this.now(),
            },
            ...(head
              ? {
                  ConditionExpression: "#seq = :seq",
                  ExpressionAttributeNames: { "#seq": "seq" },
                  ExpressionAttributeValues: { ":seq": head.seq },
                }
              : { ConditionExpression: "attribute_not_exists(pk)" }),
          },
        },
      ]);
      if (result.written) return true;
      if (result.reasons[0] === "ConditionalCheckFailed") return false;
    }
    throw new TransientError(
      `incident ${incidentId}: the timeline's chain head moved under ${MAX_CHAIN_ATTEMPTS} writes in a row; the entry was not written`,
    );
  }

  /** The incident with its timeline, approvals (without task tokens) and alerts. */
  async getIncidentDetail(id: string) {
    const items = await queryIncidentPartition(this.db, this.tableName, id);
    const meta = items.find((item) => item.sk === META);
    if (!meta) return undefined;
    const withPrefix = (prefix: string) => items.filter((item) => String(item.sk).startsWith(prefix));
    return {
      ...stripKeys<Incident>(meta),
      approvals: withPrefix("APR#").map(({ taskToken: _token, ...approval }) =>
        stripKeys<Approval>(approval),
      ),
      timeline: withPrefix("EVT#").map((item) => stripKeys<TimelineEvent>(item)),
      alerts: withPrefix("ALERT#")
        .map(alertOfItem)
        .sort((a, b) => a.receivedAt.localeCompare(b.receivedAt)),
      actionRuns: withPrefix(ACTION_RUN_PREFIX).map(actionRunOf),
    };
  }

  /** An incident's timeline alone (no alerts, approvals or runs), in key order: what response metrics read. */
  async getTimeline(id: string): Promise<TimelineEvent[]> {
    const items = await queryIncidentPartition(this.db, this.tableName, id, "EVT#");
    return items.map((item) => stripKeys<TimelineEvent>(item));
  }

  /**
   * An incident's timeline entries as stored (keys and links included, in key order) and its chain's head: what
   * `verifyAuditChain` recomputes.
   */
  async auditChain(id: string): Promise<{ entries: Record<string, unknown>[]; head?: ChainHead }> {
    const [entries, head] = await Promise.all([
      queryIncidentPartition(this.db, this.tableName, id, "EVT#"),
      this.db.send(
        new GetCommand({
          TableName: this.tableName,
          Key: { pk: `INC#${id}`, sk: CHAIN_HEAD_SORT_KEY },
          ConsistentRead: true,
        }),
      ),
    ]);
    const item = head.Item;
    return { entries, ...(item ? { head: { seq: Number(item.seq), hash: String(item.hash) } } : {}) };
  }

  /** Store a pending approval and its task token. A retried request for the same step refreshes the token. */
  async putApproval(approval: Approval, taskToken: string): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...approvalKey(approval.incidentId, approval.step),
          entity: "approval",
          ...approval,
          taskToken,
        },
        ConditionExpression: "attribute_not_exists(pk) OR #status = :pending",
        ExpressionAttributeNames: { "#status": "status" },
        ExpressionAttributeValues: { ":pending": "pending" },
      }),
    );
  }

  /**
   * Keep an approval given by policy (`auto`): it is born approved and has no task token. A retried request
   * finds it kept; returns the stored approval either way.
   */
  async recordAutoApproval(approval: Approval): Promise<Approval> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...approvalKey(approval.incidentId, approval.step), entity: "approval", ...approval },
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      );
      return approval;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return (await this.getApproval(approval.incidentId, approval.step)) ?? approval;
    }
  }

  /**
   * The escalated, final wait of a pending approval: the same approval (id, card, votes) with the new task
   * token. Returns false when the approval is no longer pending (decided between the two waits).
   */
  async extendApproval(incidentId: string, step: string, taskToken: string): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: approvalKey(incidentId, step),
          UpdateExpression: "SET taskToken = :token, escalatedAt = :at",
          ConditionExpression: "#status = :pending",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: { ":token": taskToken, ":at": this.now(), ":pending": "pending" },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /** Where an approval's card was posted, or (`escalation`) where its escalation copy was re-posted. */
  async setApprovalMessage(
    incidentId: string,
    step: string,
    channel: string,
    messageTs: string,
    which: "card" | "escalation" = "card",
  ): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: approvalKey(incidentId, step),
        UpdateExpression:
          which === "card" ? "SET channel = :channel, messageTs = :ts" : "SET escalationMessage = :message",
        ExpressionAttributeValues:
          which === "card"
            ? { ":channel": channel, ":ts": messageTs }
            : { ":message": { channel, ts: messageTs } },
      }),
    );
  }

  /** Remember the incident's Slack thread: the first card posted wins; later cards do not move it. */
  async setSlackThread(incidentId: string, channel: string, ts: string): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: incidentKey(incidentId),
          UpdateExpression: "SET slackThread = :thread",
          ConditionExpression: "attribute_exists(pk) AND attribute_not_exists(slackThread)",
          ExpressionAttributeValues: { ":thread": { channel, ts, openedAt: this.now() } },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  async getApproval(
    incidentId: string,
    step: string,
  ): Promise<(Approval & { taskToken: string }) | undefined> {
    const result = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: approvalKey(incidentId, step), ConsistentRead: true }),
    );
    return result.Item ? stripKeys<Approval & { taskToken: string }>(result.Item) : undefined;
  }

  /**
   * Record one approver's vote on a pending `two` approval. Returns the approval with the vote, or undefined
   * when it is no longer pending or this person already voted (the same person twice counts once).
   */
  async addApprover(
    incidentId: string,
    step: string,
    userId: string,
    comment?: string,
  ): Promise<Approval | undefined> {
    try {
      const result = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: approvalKey(incidentId, step),
          // A vote's comment is kept with the vote, in the same conditional write.
          UpdateExpression: comment
            ? "SET approvedBy = list_append(approvedBy, :me), voteComments = list_append(if_not_exists(voteComments, :none), :vote)"
            : "SET approvedBy = list_append(approvedBy, :me)",
          ConditionExpression: "#status = :pending AND NOT contains(approvedBy, :user)",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: {
            ":me": [userId],
            ":user": userId,
            ":pending": "pending",
            ...(comment ? { ":none": [], ":vote": [{ by: userId, comment }] } : {}),
          },
          ReturnValues: "ALL_NEW",
        }),
      );
      return stripKeys<Approval>(result.Attributes ?? {});
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  /**
   * Decide a pending approval. The first decision wins through a conditional write; later ones get
   * `undefined` and must not settle the task again.
   */
  async decideApproval(
    incidentId: string,
    step: string,
    decision: {
      status: Exclude<ApprovalStatus, "pending">;
      by: string;
      team?: string;
      reason?: string;
      comment?: string;
    },
  ): Promise<(Approval & { taskToken: string }) | undefined> {
    try {
      const result = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: approvalKey(incidentId, step),
          UpdateExpression: `SET #status = :status, decidedBy = :by, decidedByTeam = :team, decidedAt = :at, reason = :reason${
            decision.comment ? ", #comment = :comment" : " REMOVE #comment"
          }`,
          ConditionExpression: "#status = :pending",
          ExpressionAttributeNames: { "#status": "status", "#comment": "comment" },
          ExpressionAttributeValues: {
            ":status": decision.status,
            ":by": decision.by,
            ":team": decision.team ?? null,
            ":at": this.now(),
            ":reason": decision.reason ?? null,
            ":pending": "pending",
            ...(decision.comment ? { ":comment": decision.comment } : {}),
          },
          ReturnValues: "ALL_NEW",
        }),
      );
      return stripKeys<Approval & { taskToken: string }>(result.Attributes ?? {});
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  /**
   * Correct a decision that could not be delivered: only if the approval still holds exactly that decision,
   * move it to `expired` (the task was gone) or back to `pending` (the delivery failed; a new click may retry).
   */
  async correctApproval(
    incidentId: string,
    step: string,
    change: { from: { status: ApprovalStatus; by: string }; to: "expired" | "pending" },
  ): Promise<boolean> {
    const reopen = change.to === "pending";
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: approvalKey(incidentId, step),
          UpdateExpression: reopen
            ? "SET #status = :to REMOVE decidedBy, decidedByTeam, decidedAt, reason, #comment"
            : "SET #status = :to",
          // An escalating approval's first task is gone once its first wait ends; the decision is then kept
          // for the escalated wait (see extendApproval), so only a final task that is gone means expired.
          ConditionExpression: reopen
            ? "#status = :from AND decidedBy = :by"
            : "#status = :from AND decidedBy = :by AND (attribute_not_exists(#esc) OR attribute_exists(#escAt))",
          ExpressionAttributeNames: reopen
            ? { "#status": "status", "#comment": "comment" }
            : { "#status": "status", "#esc": "escalation", "#escAt": "escalatedAt" },
          ExpressionAttributeValues: { ":to": change.to, ":from": change.from.status, ":by": change.from.by },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /** Keep an authenticated request's rejection (never its body): time, source, reason and a hash of the body. */
  recordRejection(rejection: Rejection): Promise<void> {
    return this.rejections.record(rejection);
  }

  /** Count a minute's unauthenticated refusals of one source and reason (see RejectionStore.count). */
  countRefusals(tally: RefusalTally): Promise<void> {
    return this.rejections.count(tally);
  }

  /** One day's rejections and refusal tallies, newest first, a page at a time (see RejectionEntry). */
  listRejections(day: string, page: Page): Promise<PageOf<RejectionEntry>> {
    return this.rejections.list(day, page);
  }
}

function stripKeys<T>(item: Record<string, unknown>): T {
  const { pk: _pk, sk: _sk, entity: _entity, expiresAt: _expiresAt, severityRank: _rank, ...rest } = item;
  return rest as T;
}
