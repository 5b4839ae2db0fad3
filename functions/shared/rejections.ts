import { randomBytes } from "node:crypto";
import { type DynamoDBDocumentClient, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { dayPage } from "./day-pages.js";
import { type Clock, unixSeconds } from "./ids.js";
import type { Page, PageOf } from "./page-cursor.js";

/** A refused request, as kept: never its body, only a hash and its size. */
export interface Rejection {
  readonly source: string;
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly bodySha256: string;
  readonly bodyBytes: number;
}

/**
 * The unauthenticated refusals of one source, status and code within one UTC minute (`2026-11-24T03:12`): how
 * many, when the first and last came, and the first one as a sample.
 */
export interface RefusalTally {
  readonly minute: string;
  readonly source: string;
  readonly status: number;
  readonly code: string;
  readonly count: number;
  readonly firstAt: string;
  readonly lastAt: string;
  readonly sample: Pick<Rejection, "message" | "bodySha256" | "bodyBytes">;
}

/**
 * What `GET /rejections` lists, newest first: each refusal of an authenticated request on its own (the sender
 * had the secret, so each one matters), and unauthenticated refusals counted per source, reason and minute (anyone
 * can send those; kept one by one, a flood of them would be a write amplifier and bury the ones that matter).
 */
export type RejectionEntry =
  | ({ readonly kind: "authenticated"; readonly at: string } & Rejection)
  | ({ readonly kind: "unauthenticated" } & RefusalTally);

const PREFIX = "REJECT";
const RETENTION_DAYS = 30;

/**
 * Refused requests by day, in the one table: `REJECT#<day>`, sort key `<time>#<random>` for a rejection,
 * `<minute>:~#<status>#<code>#<source>` for a minute's tally (after that minute's rejections: `~` sorts after
 * every second).
 */
export class RejectionStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock,
  ) {}

  private expiresAt = () => unixSeconds(this.clock) + RETENTION_DAYS * 86400;

  /** Keep an authenticated request's rejection, one item each. */
  async record(rejection: Rejection): Promise<void> {
    const at = this.clock().toISOString();
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: `${PREFIX}#${at.slice(0, 10)}`,
          sk: `${at}#${randomBytes(4).toString("hex")}`,
          entity: "rejection",
          at,
          ...rejection,
          expiresAt: this.expiresAt(),
        },
      }),
    );
  }

  /**
   * Add a tally of unauthenticated refusals to its minute's item: one atomic update, which counts, keeps the
   * earliest first time and the first sample, and moves the last time on.
   */
  async count(tally: RefusalTally): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: {
          pk: `${PREFIX}#${tally.minute.slice(0, 10)}`,
          sk: `${tally.minute}:~#${tally.status}#${tally.code}#${tally.source}`,
        },
        // Every attribute by a placeholder name: several (minute, source, status, count) are reserved words.
        UpdateExpression:
          "SET #entity = :entity, #minute = :minute, #source = :source, #status = :status, #code = :code, " +
          "#firstAt = if_not_exists(#firstAt, :first), #lastAt = :last, #sample = if_not_exists(#sample, :sample), " +
          "#expiresAt = :expires ADD #count :count",
        ExpressionAttributeNames: Object.fromEntries(
          [
            "entity",
            "minute",
            "source",
            "status",
            "code",
            "firstAt",
            "lastAt",
            "sample",
            "expiresAt",
            "count",
          ].map((name) => [`#${name}`, name]),
        ),
        ExpressionAttributeValues: {
          ":entity": "refusals",
          ":minute": tally.minute,
          ":source": tally.source,
          ":status": tally.status,
          ":code": tally.code,
          ":first": tally.firstAt,
          ":last": tally.lastAt,
          ":sample": tally.sample,
          ":expires": this.expiresAt(),
          ":count": tally.count,
        },
      }),
    );
  }

  /** One day's rejections and tallies, newest first, a page at a time. */
  async list(day: string, page: Page): Promise<PageOf<RejectionEntry>> {
    const { items, nextCursor } = await dayPage(this.db, this.tableName, PREFIX, day, page);
    return { items: items.map(entryOf), ...(nextCursor ? { nextCursor } : {}) };
  }
}

function entryOf(item: Record<string, unknown>): RejectionEntry {
  const { pk: _pk, sk: _sk, entity, expiresAt: _expiresAt, ...rest } = item;
  return entity === "refusals"
    ? ({ kind: "unauthenticated", ...rest } as RejectionEntry)
    : ({ kind: "authenticated", ...rest } as RejectionEntry);
}
