import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { isConditionFailure } from "./dynamo-expressions.js";
import type { Clock } from "./ids.js";

/** Quell's kill switch, as stored: one item of the incidents table, so it survives restarts and holds on AWS. */
export interface PauseState {
  readonly paused: boolean;
  /** Who paused (or last resumed), and when; null before anyone ever did. */
  readonly by: string | null;
  readonly at: string | null;
  readonly reason: string | null;
}

const PAUSE_KEY = { pk: "CONTROL", sk: "PAUSE" } as const;
const NEVER_PAUSED: PauseState = { paused: false, by: null, at: null, reason: null };

/**
 * `/quell pause` and `/quell resume`: while paused, no action sends a write. A step that would write waits (its
 * playbook re-checks, see compile.ts) and is recorded as paused once per pause; approvals are still asked, and
 * their cards say nothing is written until Quell is resumed. Reads are strongly consistent: a resume is seen by
 * the very next check.
 */
export class PauseSwitch {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock,
  ) {}

  async state(): Promise<PauseState> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: PAUSE_KEY, ConsistentRead: true }),
    );
    if (!Item) return NEVER_PAUSED;
    return {
      paused: Item.paused === true,
      by: typeof Item.by === "string" ? Item.by : null,
      at: typeof Item.at === "string" ? Item.at : null,
      reason: typeof Item.reason === "string" ? Item.reason : null,
    };
  }

  /**
   * Pause (or resume) as `by`; returns the state before, so the caller can say "already paused" (which changes
   * nothing: the pause keeps who started it and when).
   */
  async set(paused: boolean, by: string, reason: string | null): Promise<PauseState> {
    const before = await this.state();
    if (before.paused === paused) return before;
    const at = this.clock().toISOString();
    await this.db.send(
      new PutCommand({ TableName: this.tableName, Item: { ...PAUSE_KEY, paused, by, at, reason } }),
    );
    return before;
  }

  /**
   * Record once per pause that `step` of `incidentId` held its writes: true the first time (the caller then tells
   * the incident's timeline), false on every later check during the same pause.
   */
  async markHeld(incidentId: string, step: string, pause: PauseState): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: `INC#${incidentId}`, sk: `PAUSED#${step}#${pause.at ?? ""}`, entity: "paused_step" },
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}
