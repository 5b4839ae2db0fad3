import { auditHeadKey, CHAIN_HEAD_SORT_KEY } from "../shared/audit-chain.js";

/**
 * The audit exporter (AWS only): the incident table's stream, filtered to chain heads, brings each head written
 * (audit-chain.ts); the newest head of each incident in a batch is written to the audit bucket, whose Object Lock
 * keeps it from being changed or removed for the retention period. A head pins every entry before it, so the
 * heads a batch skips lose nothing. `verify-audit --aws --bucket` holds each chain to them.
 */

/** The parts of a DynamoDB stream record the exporter reads (aws-lambda's DynamoDBRecord, narrowed). */
export interface HeadRecord {
  readonly eventID?: string;
  readonly eventName?: string;
  readonly dynamodb?: {
    readonly SequenceNumber?: string;
    readonly NewImage?: Readonly<Record<string, { S?: string; N?: string }>>;
  };
}

/** What an exported head object holds. */
export interface ExportedHead {
  readonly incidentId: string;
  readonly seq: number;
  readonly hash: string;
  /** When the head was written (the chain item's `at`). */
  readonly at: string | null;
}

/** Writes one head object; resolves when stored, or when that very head was stored before (a redelivery). */
export type PutHead = (key: string, head: ExportedHead) => Promise<void>;

/** The head a stream record carries, or undefined for a record that is not a chain head (a removal, say). */
export function headOf(record: HeadRecord): ExportedHead | undefined {
  const image = record.dynamodb?.NewImage;
  const pk = image?.pk?.S;
  if (!image || image.sk?.S !== CHAIN_HEAD_SORT_KEY || !pk?.startsWith("INC#")) return undefined;
  const seq = Number(image.seq?.N);
  const hash = image.hash?.S;
  if (!Number.isInteger(seq) || seq < 1 || !hash || !/^[0-9a-f]{64}$/.test(hash)) return undefined;
  return { incidentId: pk.slice("INC#".length), seq, hash, at: image.at?.S ?? null };
}

export interface ExportOutcome {
  readonly exported: number;
  readonly skipped: number;
  /** Stream sequence numbers to deliver again (Lambda's partial batch response). */
  readonly failed: readonly string[];
  /** Why each incident's head was not exported. */
  readonly errors: readonly { readonly incidentId: string; readonly error: unknown }[];
}

/**
 * Export the newest head of each incident in `records`. A failed write reports the records of its incident, from
 * the first, as batch item failures: Lambda delivers them again, and nothing after them is checkpointed.
 */
export async function exportHeads(records: readonly HeadRecord[], put: PutHead): Promise<ExportOutcome> {
  const newest = new Map<string, { head: ExportedHead; sequenceNumbers: string[] }>();
  let skipped = 0;
  for (const record of records) {
    const head = headOf(record);
    if (!head) {
      skipped += 1;
      continue;
    }
    const seen = newest.get(head.incidentId);
    const sequenceNumbers = [...(seen?.sequenceNumbers ?? []), record.dynamodb?.SequenceNumber ?? ""];
    newest.set(head.incidentId, {
      head: seen && seen.head.seq > head.seq ? seen.head : head,
      sequenceNumbers,
    });
  }
  const failed: string[] = [];
  const errors: { incidentId: string; error: unknown }[] = [];
  let exported = 0;
  await Promise.all(
    [...newest.values()].map(async ({ head, sequenceNumbers }) => {
      try {
        await put(auditHeadKey(head.incidentId, head.seq), head);
        exported += 1;
      } catch (error) {
        failed.push(...sequenceNumbers.filter(Boolean));
        errors.push({ incidentId: head.incidentId, error });
      }
    }),
  );
  return { exported, skipped, failed, errors };
}
