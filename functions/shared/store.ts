import { randomBytes } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from "@aws-sdk/lib-dynamodb";
import { ACTION_RUN_PREFIX, ActionRunStore, withoutKeys as actionRunOf } from "./action-runs.js";
import { type CanonicalAlert, type Severity, severityRank } from "./alert.js";
import { isConditionFailure, setExpression } from "./dynamo-expressions.js";
import type { Clock } from "./ids.js";
import {
  type Approval,
  type ApprovalStatus,
  FINAL_STATUSES,
  type Incident,
  type Risk,
  type TimelineEvent,
} from "./incident.js";

const META = "META";
const incidentKey = (id: string) => ({ pk: `INC#${id}`, sk: META });
const approvalKey = (incidentId: string, step: string) => ({ pk: `INC#${incidentId}`, sk: `APR#${step}` });

export type DocumentClient = DynamoDBDocumentClient;

export const createDocumentClient = () =>
  DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });

export { isConditionFailure };

export interface Rejection {
  readonly source: string;
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly bodySha256: string;
  readonly bodyBytes: number;
}

/** Everything Quell keeps in its one table: incidents, their timelines, alerts, approvals, dedup and rejects. */
export class IncidentStore {
  /** The runs of each incident's action steps, for undo. */
  readonly actionRuns: ActionRunStore;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock,
  ) {
    this.actionRuns = new ActionRunStore(db, tableName, clock);
  }

  private now = () => this.clock().toISOString();

  async createIncident(incident: Incident): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...incidentKey(incident.id),
            entity: "incident",
            ...incident,
            severityRank: severityRank(incident.severity),
          },
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

  /** Incidents, newest first. A scan is fine at local scale; see README for the production index. */
  async listIncidents(limit = 100): Promise<Incident[]> {
    const items: Incident[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression: "entity = :incident",
          ExpressionAttributeValues: { ":incident": "incident" },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) items.push(stripKeys<Incident>(item));
      start = page.LastEvaluatedKey;
    } while (start);
    return items.sort((a, b) => b.createdAt.localeCompare(a.createdAt)).slice(0, limit);
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

  /** Count one more alert on an incident; returns the new count. */
  async countAlert(id: string): Promise<number> {
    const result = await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: incidentKey(id),
        UpdateExpression: "ADD alertCount :one SET updatedAt = :now",
        ExpressionAttributeValues: { ":one": 1, ":now": this.now() },
        ReturnValues: "UPDATED_NEW",
      }),
    );
    return Number(result.Attributes?.alertCount ?? 0);
  }

  /**
   * Count one more alert on an incident that is still open to it (exists, not `resolved`) and return the
   * incident as counted, in one conditional write; `undefined` when it is missing or resolved (the caller
   * finds out which). The storm path: a duplicate costs one read of its dedup claim and this one write.
   */
  async countAlertOnOpen(id: string): Promise<{ incident: Incident; count: number } | undefined> {
    try {
      const result = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: incidentKey(id),
          UpdateExpression: "ADD alertCount :one SET updatedAt = :now",
          ConditionExpression: "attribute_exists(pk) AND #status <> :resolved",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: { ":one": 1, ":now": this.now(), ":resolved": "resolved" },
          ReturnValues: "ALL_NEW",
        }),
      );
      const incident = stripKeys<Incident>(result.Attributes ?? {});
      return { incident, count: Number(incident.alertCount) };
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
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

  async saveAlert(incidentId: string, alert: CanonicalAlert): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: `INC#${incidentId}`,
          sk: `ALERT#${alert.receivedAt}#${alert.id}`,
          entity: "alert",
          alert,
        },
      }),
    );
  }

  /** Find a stored alert by its id, with the incident it belongs to. A scan: for commands, never the hot path. */
  async findAlert(alertId: string): Promise<{ incidentId: string; alert: CanonicalAlert } | undefined> {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression: "entity = :alert AND alert.id = :id",
          ExpressionAttributeValues: { ":alert": "alert", ":id": alertId },
          ExclusiveStartKey: start,
        }),
      );
      const item = page.Items?.[0];
      if (item)
        return { incidentId: String(item.pk).slice("INC#".length), alert: item.alert as CanonicalAlert };
      start = page.LastEvaluatedKey;
    } while (start);
    return undefined;
  }

  /** Put an entry on the timeline; returns its time (the one given, else now). */
  async appendTimeline(
    incidentId: string,
    event: Omit<TimelineEvent, "at"> & { at?: string },
  ): Promise<string> {
    const at = event.at ?? this.now();
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: `INC#${incidentId}`,
          sk: `EVT#${at}#${randomBytes(4).toString("hex")}`,
          entity: "event",
          ...event,
          at,
        },
      }),
    );
    return at;
  }

  /** The incident with its timeline, approvals (without task tokens) and alerts. */
  async getIncidentDetail(id: string) {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: "pk = :pk",
          ExpressionAttributeValues: { ":pk": `INC#${id}` },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    const meta = items.find((item) => item.sk === META);
    if (!meta) return undefined;
    const withPrefix = (prefix: string) => items.filter((item) => String(item.sk).startsWith(prefix));
    return {
      ...stripKeys<Incident>(meta),
      approvals: withPrefix("APR#").map(({ taskToken: _token, ...approval }) =>
        stripKeys<Approval>(approval),
      ),
      timeline: withPrefix("EVT#").map((item) => stripKeys<TimelineEvent>(item)),
      alerts: withPrefix("ALERT#").map((item) => item.alert as CanonicalAlert),
      actionRuns: withPrefix(ACTION_RUN_PREFIX).map(actionRunOf),
    };
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

  /** Keep a rejected request (never its body): time, source, reason and a hash of the body. */
  async recordRejection(rejection: Rejection, retentionDays = 30): Promise<void> {
    const at = this.now();
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: `REJECT#${at.slice(0, 10)}`,
          sk: `${at}#${randomBytes(4).toString("hex")}`,
          entity: "rejection",
          at,
          ...rejection,
          expiresAt: Math.floor(this.clock().getTime() / 1000) + retentionDays * 86400,
        },
      }),
    );
  }

  async listRejections(day: string): Promise<(Rejection & { at: string })[]> {
    const page = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": `REJECT#${day}` },
        ConsistentRead: true,
      }),
    );
    return (page.Items ?? []).map((item) => stripKeys<Rejection & { at: string }>(item));
  }
}

function stripKeys<T>(item: Record<string, unknown>): T {
  const { pk: _pk, sk: _sk, entity: _entity, expiresAt: _expiresAt, severityRank: _rank, ...rest } = item;
  return rest as T;
}
