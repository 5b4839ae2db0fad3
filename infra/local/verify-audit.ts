import { parseArgs } from "node:util";
import {
  type ChainHead,
  type ChainVerdict,
  verifyAuditChain,
  type WitnessedHead,
} from "../../functions/shared/audit-chain.js";
import type { QuellClient } from "./client.js";

/**
 * `npm run quell -- verify-audit [<incident>]`: recompute every incident's audit chain (or one) from its stored
 * timeline and name the first broken entry. Locally it reads the runtime's API (GET /incidents/<id>/audit with the
 * read token); with `--aws --table <name>` it reads a deployed Quell's table with the usual AWS credentials, and
 * with `--bucket <name>` it also holds each chain to the heads exported to the audit bucket (Object Lock), which
 * the table's writers cannot change. Exits 1 when a chain is broken.
 */

/** An incident's stored timeline links and head, as read from wherever it is kept. */
export interface StoredChain {
  readonly entries: Record<string, unknown>[];
  readonly head?: ChainHead;
}

/** Where the chains are read from: the local API, or a deployed table (and its audit bucket). */
export interface AuditSource {
  incidentIds(): AsyncIterable<string>;
  chain(incidentId: string): Promise<StoredChain | undefined>;
  witnessed(incidentId: string): Promise<WitnessedHead[]>;
}

export const VERIFY_AUDIT_USAGE = `Usage: npm run quell -- verify-audit [<incident-id>]
       npm run quell -- verify-audit --aws --table <incidents table> [--bucket <audit bucket>] [<incident-id>]

Recomputes each incident's audit chain (every timeline entry hashes the one before it) and names the first
broken entry: edited, inserted, removed, or cut off the end. With --bucket, each chain must also still hold
the heads exported to the audit bucket (stack output AuditBucketName). Exits 1 when a chain is broken.`;

const short = (hash: string) => hash.slice(0, 12);

/** One line per incident: `ok` with its length and head, or `BROKEN` with the first broken entry. */
export function formatVerdict(verdict: ChainVerdict, witnesses: number): string {
  const { broken, head } = verdict;
  if (!broken) {
    const held = witnesses > 0 ? `, ${witnesses} exported head${witnesses === 1 ? "" : "s"} held` : "";
    return `ok      ${verdict.incidentId}  ${verdict.entries} entries, head ${head ? `${head.seq} ${short(head.hash)}` : "none"}${held}`;
  }
  const where = [
    broken.seq === null ? "an entry" : `entry ${broken.seq}`,
    broken.at ? `at ${broken.at}` : undefined,
    broken.kind ? `(${broken.kind})` : undefined,
  ]
    .filter(Boolean)
    .join(" ");
  return `BROKEN  ${verdict.incidentId}  ${where} ${broken.problem}`;
}

/** Verify the incidents named (all when none) and print a line each; the number of broken chains. */
export async function verifyAudit(
  source: AuditSource,
  only: string | undefined,
  print: (line: string) => void,
): Promise<{ checked: number; broken: number; missing: number }> {
  const tally = { checked: 0, broken: 0, missing: 0 };
  const ids = only ? [only] : source.incidentIds();
  for await (const incidentId of ids) {
    const chain = await source.chain(incidentId);
    if (!chain) {
      tally.missing += 1;
      print(`missing ${incidentId}  no timeline stored`);
      continue;
    }
    const witnessed = await source.witnessed(incidentId);
    const verdict = verifyAuditChain(incidentId, chain.entries, chain.head, witnessed);
    tally.checked += 1;
    if (verdict.broken) tally.broken += 1;
    print(formatVerdict(verdict, witnessed.length));
  }
  return tally;
}

export interface VerifyAuditOptions {
  readonly aws: boolean;
  readonly table?: string;
  readonly bucket?: string;
  readonly incidentId?: string;
}

/** The command line, or the reason it is wrong. */
export function parseVerifyAuditArgs(args: readonly string[]): VerifyAuditOptions | { error: string } {
  const parsed = (() => {
    try {
      return parseArgs({
        args: [...args],
        allowPositionals: true,
        options: { aws: { type: "boolean" }, table: { type: "string" }, bucket: { type: "string" } },
      });
    } catch (error) {
      return { error: (error as Error).message };
    }
  })();
  if ("error" in parsed) return parsed;
  const { values, positionals } = parsed;
  if (positionals.length > 1)
    return { error: `verify-audit takes one incident id at most, got ${positionals.length}` };
  const [incidentId] = positionals;
  if (incidentId !== undefined && !/^[A-Za-z0-9_]{1,64}$/.test(incidentId)) {
    return { error: `not an incident id: ${JSON.stringify(incidentId.slice(0, 80))}` };
  }
  if (values.aws && !values.table) return { error: "verify-audit --aws needs --table <incidents table>" };
  if (!values.aws && (values.table || values.bucket)) return { error: "--table and --bucket go with --aws" };
  return {
    aws: values.aws ?? false,
    ...(values.table ? { table: values.table } : {}),
    ...(values.bucket ? { bucket: values.bucket } : {}),
    ...(incidentId ? { incidentId } : {}),
  };
}

/** Run the command against `source`; returns the exit code. */
export async function runVerifyAudit(
  source: AuditSource,
  incidentId: string | undefined,
  print: (line: string) => void = console.log,
): Promise<number> {
  const tally = await verifyAudit(source, incidentId, print);
  print(
    `${tally.checked} chain${tally.checked === 1 ? "" : "s"} checked, ${tally.broken} broken${
      tally.missing ? `, ${tally.missing} not found` : ""
    }`,
  );
  return tally.broken > 0 || tally.missing > 0 ? 1 : 0;
}

/** The largest page GET /incidents serves (infra/local/pagination.ts); the AWS table is read as many at a time. */
export const INCIDENTS_PAGE = 200;

/** Every incident id, reading `readPage` from the first page to the last by its cursor. */
export async function* incidentIdsOf(
  readPage: (cursor: string | undefined) => Promise<{ ids: string[]; nextCursor?: string | undefined }>,
): AsyncGenerator<string> {
  let cursor: string | undefined;
  do {
    const page = await readPage(cursor);
    yield* page.ids;
    cursor = page.nextCursor;
  } while (cursor);
}

/** The local runtime's API: its incidents a page at a time, and each one's links (no exported heads locally). */
export function localAuditSource(client: Pick<QuellClient, "incidents" | "auditChain">): AuditSource {
  return {
    incidentIds: () =>
      incidentIdsOf(async (cursor) => {
        const page = await client.incidents({ limit: INCIDENTS_PAGE, ...(cursor ? { cursor } : {}) });
        return { ids: page.incidents.map((incident) => incident.id), nextCursor: page.nextCursor };
      }),
    chain: (incidentId) => client.auditChain(incidentId),
    witnessed: async () => [],
  };
}

/** `npm run quell -- verify-audit …`: parse, pick the source, verify; the exit code. */
export async function verifyAuditCommand(args: readonly string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(VERIFY_AUDIT_USAGE);
    return 0;
  }
  const options = parseVerifyAuditArgs(args);
  if ("error" in options) {
    console.error(`${options.error}\n\n${VERIFY_AUDIT_USAGE}`);
    return 2;
  }
  if (options.aws) {
    const { awsAuditSource } = await import("./verify-audit-aws.js");
    return runVerifyAudit(awsAuditSource(options.table as string, options.bucket), options.incidentId);
  }
  const { QuellClient } = await import("./client.js");
  const { loadLocalSecrets, quellUrl } = await import("./local-config.js");
  const secrets = loadLocalSecrets();
  const client = new QuellClient(quellUrl(), {
    github: secrets.QUELL_GITHUB_WEBHOOK_SECRET as string,
    slackSigning: secrets.SLACK_SIGNING_SECRET,
    readToken: secrets.QUELL_READ_TOKEN,
  });
  return runVerifyAudit(localAuditSource(client), options.incidentId);
}
