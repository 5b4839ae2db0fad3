import {
  type DynamoDBDocumentClient,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { isConditionFailure } from "./dynamo-expressions.js";
import type { Clock } from "./ids.js";
import { queryIncidentPartition } from "./incident-partition.js";

/**
 * A playbook execution that ended outside its own handling (the local runtime lost it mid-step; on AWS it failed,
 * timed out or was aborted): the incident is `interrupted`, and `/quell rerun` may start the playbook again, once
 * per interruption. Kept by functions/shared/interruption.ts `markInterrupted`.
 */
export interface Interruption {
  readonly incidentId: string;
  /** The execution that was lost (the incident id, or `<incident>-rerun-<n>`). */
  readonly executionName: string;
  readonly playbook: string;
  /** The lost execution's input, as it was started: a rerun starts with the same. */
  readonly input: string;
  /** The Task state that ran when it stopped (none: between steps), and its playbook step. */
  readonly state: string | null;
  readonly step: string | null;
  readonly at: string;
  /** Which interruption of this incident it is (1, 2…): its rerun is `<incident>-rerun-<attempt>`. */
  readonly attempt: number;
  readonly status: "open" | "rerun";
  readonly rerunBy?: string;
  readonly rerunAt?: string;
}

const PREFIX = "INTERRUPTED#";
const interruptionKey = (incidentId: string, executionName: string) => ({
  pk: `INC#${incidentId}`,
  sk: `${PREFIX}${executionName}`,
});

/** Where an approval of an earlier attempt is kept once a rerun asks again: `PREVAPR#<attempt>#<step>`. */
const ARCHIVED_APPROVAL_PREFIX = "PREVAPR#";

/** Interruptions live beside their incident in Quell's one table. */
export class InterruptionStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock,
  ) {}

  /** The incident's interruptions, oldest first. */
  async list(incidentId: string): Promise<Interruption[]> {
    const items = await this.query(incidentId, PREFIX);
    return items.map(withoutKeys).sort((a, b) => a.attempt - b.attempt);
  }

  /**
   * Keep an interruption; numbered after the incident's earlier ones. Recording the same execution's again (a
   * recovery that itself was cut short) changes nothing and returns the one kept.
   */
  async record(
    interruption: Omit<Interruption, "attempt" | "status" | "at">,
  ): Promise<{ interruption: Interruption; created: boolean }> {
    const earlier = await this.list(interruption.incidentId);
    const kept = earlier.find((candidate) => candidate.executionName === interruption.executionName);
    if (kept) return { interruption: kept, created: false };
    const item: Interruption = {
      ...interruption,
      at: this.clock().toISOString(),
      attempt: earlier.length + 1,
      status: "open",
    };
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...interruptionKey(interruption.incidentId, interruption.executionName),
            entity: "interruption",
            ...item,
          },
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      );
      return { interruption: item, created: true };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return this.record(interruption);
    }
  }

  /**
   * Claim the rerun of an open interruption for one person: the first claim wins; a second (double command,
   * another responder) gets `undefined`.
   */
  async claimRerun(incidentId: string, executionName: string, by: string): Promise<Interruption | undefined> {
    return this.move(incidentId, executionName, {
      from: "open",
      to: "rerun",
      set: { rerunBy: by, rerunAt: this.clock().toISOString() },
    });
  }

  /** Give a claimed rerun back (its execution could not be started), so someone may try again. */
  async releaseRerun(incidentId: string, executionName: string): Promise<void> {
    await this.move(incidentId, executionName, { from: "rerun", to: "open", set: {} });
  }

  /**
   * Keep the incident's approvals aside under the attempt they belong to (`PREVAPR#<attempt>#<step>`), so a rerun
   * asks for each again (an action runs only on its own approval) while the record of the earlier decisions stays.
   */
  async archiveApprovals(incidentId: string, attempt: number): Promise<number> {
    const approvals = await this.query(incidentId, "APR#");
    for (const approval of approvals) {
      const step = String(approval.sk).slice("APR#".length);
      const { taskToken: _token, ...kept } = approval;
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: {
                  ...kept,
                  sk: `${ARCHIVED_APPROVAL_PREFIX}${attempt}#${step}`,
                  entity: "archived_approval",
                  attempt,
                },
              },
            },
            {
              Delete: {
                TableName: this.tableName,
                Key: { pk: approval.pk, sk: approval.sk },
                ConditionExpression: "#status = :status",
                ExpressionAttributeNames: { "#status": "status" },
                ExpressionAttributeValues: { ":status": approval.status },
              },
            },
          ],
        }),
      );
    }
    return approvals.length;
  }

  private async move(
    incidentId: string,
    executionName: string,
    change: { from: Interruption["status"]; to: Interruption["status"]; set: Record<string, string> },
  ): Promise<Interruption | undefined> {
    const names = Object.keys(change.set);
    try {
      const result = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: interruptionKey(incidentId, executionName),
          UpdateExpression: `SET #status = :to${names.map((_name, i) => `, #s${i} = :s${i}`).join("")}`,
          ConditionExpression: "#status = :from",
          ExpressionAttributeNames: {
            "#status": "status",
            ...Object.fromEntries(names.map((name, i) => [`#s${i}`, name])),
          },
          ExpressionAttributeValues: {
            ":to": change.to,
            ":from": change.from,
            ...Object.fromEntries(names.map((name, i) => [`:s${i}`, change.set[name]])),
          },
          ReturnValues: "ALL_NEW",
        }),
      );
      return withoutKeys(result.Attributes ?? {});
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  private query(incidentId: string, prefix: string): Promise<Record<string, unknown>[]> {
    return queryIncidentPartition(this.db, this.tableName, incidentId, prefix);
  }
}

function withoutKeys(item: Record<string, unknown>): Interruption {
  const { pk: _pk, sk: _sk, entity: _entity, ...rest } = item;
  return rest as unknown as Interruption;
}
