import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { isConditionFailure, setExpression } from "./dynamo-expressions.js";
import type { Clock } from "./ids.js";
import { approvalIdFor, parseApprovalId } from "./incident.js";

/**
 * A run of one playbook action step, kept so a responder can undo it: `planned` (dry run), `applied`, then
 * `undo_requested` (one person's click or command won the conditional write) and `undone`, `undo_planned`
 * (dry run) or `undo_failed`.
 */
export type ActionRunStatus =
  | "planned"
  | "applied"
  | "undo_requested"
  | "undone"
  | "undo_planned"
  | "undo_failed";

export interface ActionRun {
  /** `<incident>.<step>`: what `/quell undo` and the Undo button name. */
  readonly runId: string;
  readonly incidentId: string;
  readonly step: string;
  readonly action: string;
  readonly status: ActionRunStatus;
  /** Applied with writes by an action that can undo them; only such a run may be undone. */
  readonly undoable: boolean;
  readonly input: unknown;
  readonly output: unknown;
  readonly writes: readonly unknown[];
  readonly at: string;
  readonly undoRequestedBy?: string;
  readonly undoRequestedAt?: string;
  readonly undoneAt?: string;
  readonly undoWrites?: readonly unknown[];
  readonly undoError?: string;
}

export const runIdFor = approvalIdFor;
export const parseRunId = parseApprovalId;

const runKey = (incidentId: string, step: string) => ({ pk: `INC#${incidentId}`, sk: `RUN#${step}` });
export const ACTION_RUN_PREFIX = "RUN#";

/** Action runs live beside their incident in Quell's one table. */
export class ActionRunStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock,
  ) {}

  /** Keep a step's run. A retried recorder call finds it kept and changes nothing. */
  async record(run: Omit<ActionRun, "runId" | "at">): Promise<void> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...runKey(run.incidentId, run.step),
            entity: "action_run",
            runId: runIdFor(run.incidentId, run.step),
            at: this.clock().toISOString(),
            ...run,
          },
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  async get(incidentId: string, step: string): Promise<ActionRun | undefined> {
    const result = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: runKey(incidentId, step), ConsistentRead: true }),
    );
    return result.Item ? withoutKeys(result.Item) : undefined;
  }

  /**
   * Claim the undo of an applied, undoable run for one person: the first claim wins, every later one (a double
   * click, a second responder, a run already undone) gets `undefined`.
   */
  async requestUndo(incidentId: string, step: string, by: string): Promise<ActionRun | undefined> {
    return this.transition(incidentId, step, {
      from: "applied",
      set: { status: "undo_requested", undoRequestedBy: by, undoRequestedAt: this.clock().toISOString() },
      also: "undoable = :true",
      values: { ":true": true },
    });
  }

  /** Give a claimed undo back (its execution could not be started), so someone may try again. */
  async releaseUndo(incidentId: string, step: string, by: string): Promise<boolean> {
    const released = await this.transition(incidentId, step, {
      from: "undo_requested",
      set: { status: "applied" },
      also: "undoRequestedBy = :by",
      values: { ":by": by },
    });
    return released !== undefined;
  }

  /** Record how a claimed undo ended. */
  async settleUndo(
    incidentId: string,
    step: string,
    outcome: {
      status: "undone" | "undo_planned" | "undo_failed";
      writes?: readonly unknown[];
      error?: string;
    },
  ): Promise<ActionRun | undefined> {
    return this.transition(incidentId, step, {
      from: "undo_requested",
      set: {
        status: outcome.status,
        undoneAt: this.clock().toISOString(),
        ...(outcome.writes ? { undoWrites: outcome.writes } : {}),
        ...(outcome.error ? { undoError: outcome.error.slice(0, 500) } : {}),
      },
    });
  }

  private async transition(
    incidentId: string,
    step: string,
    change: {
      from: ActionRunStatus;
      set: Record<string, unknown>;
      also?: string;
      values?: Record<string, unknown>;
    },
  ): Promise<ActionRun | undefined> {
    const set = setExpression(change.set);
    try {
      const result = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: runKey(incidentId, step),
          UpdateExpression: set.expression,
          ConditionExpression: `#status = :from${change.also ? ` AND ${change.also}` : ""}`,
          ExpressionAttributeNames: { "#status": "status", ...set.names },
          ExpressionAttributeValues: { ":from": change.from, ...change.values, ...set.values },
          ReturnValues: "ALL_NEW",
        }),
      );
      return result.Attributes ? withoutKeys(result.Attributes) : undefined;
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }
}

export function withoutKeys(item: Record<string, unknown>): ActionRun {
  const { pk: _pk, sk: _sk, entity: _entity, ...run } = item;
  return run as unknown as ActionRun;
}
