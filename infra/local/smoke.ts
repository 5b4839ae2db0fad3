import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { GenericAlertV1 } from "../../functions/sources/generic.js";
import { SMOKE_EMITTER, smokeIncidentId } from "../../functions/triage/smoke.js";
import { loadLocalSecrets, READ_TOKEN } from "./local-config.js";
import { quellSignatureHeaders } from "./signing.js";

/**
 * `npm run quell -- smoke --url <ingest url>`: send one signed smoke-test alert through a running Quell (local or
 * deployed) and report each hop it saw, with the time since sending: accepted (202 and the alert id), triaged
 * (the incident exists, marked as a rehearsal), card posted (the approval's Slack message recorded). Triage runs
 * a smoke alert as a rehearsal (functions/triage/smoke.ts), so nothing is written, whatever the deployment's dry
 * run. A hop not seen within the timeout fails the command, naming that hop.
 */

export const SMOKE_HOPS = ["accepted", "triaged", "card posted"] as const;
export type SmokeHop = (typeof SMOKE_HOPS)[number];

/** What the reader saw of the smoke incident. */
export interface IncidentProbe {
  readonly status: string;
  /** Whether triage marked it a rehearsal (a smoke incident always is). */
  readonly rehearsal: boolean;
  /** The Slack message ts of its first approval card, once recorded. */
  readonly cardTs?: string;
}

/** Reads the smoke incident: through GET /incidents/{id} locally, from the incidents table on AWS. */
export interface IncidentReader {
  read(incidentId: string): Promise<IncidentProbe | undefined>;
}

export interface SmokeOptions {
  /** The ingest URL: the local runtime's address, or the IngestUrl stack output. */
  readonly url: string;
  /** QUELL_WEBHOOK_SECRET, which signs generic alerts. */
  readonly secret: string;
  readonly reader: IncidentReader;
  /** How long to wait for each hop after the one before, in ms. */
  readonly timeoutMs: number;
  readonly pollMs?: number;
  readonly log?: (line: string) => void;
}

export interface SmokeReport {
  readonly ok: boolean;
  readonly alertId?: string;
  readonly incidentId?: string;
  /** The hops seen, in order, with ms since the alert was sent. */
  readonly seen: readonly { readonly hop: SmokeHop; readonly ms: number; readonly detail: string }[];
  /** The first hop that did not happen, and why. */
  readonly failed?: { readonly hop: SmokeHop; readonly reason: string };
}

/** The smoke alert: unmistakable in Slack and in the incident list, naming nobody real. */
export function smokeAlert(now = new Date()): GenericAlertV1 {
  const run = randomUUID();
  return {
    schemaVersion: "1",
    id: `smoke-${run}`,
    source: SMOKE_EMITTER,
    type: "jailbreak",
    severity: "info",
    status: "firing",
    title: "Quell smoke test: nothing happened, nothing to do",
    description:
      "Sent by `npm run quell -- smoke` to check the deployed path (ingest, triage, playbook, Slack card). It runs as a dry-run rehearsal: no action sends a write. Approving or denying changes nothing; the card expires on its own.",
    occurredAt: `${now.toISOString().slice(0, 19)}Z`,
    principal: { type: "service_account", id: "quell-smoke-test", provider: "quell" },
    asset: { kind: "model_endpoint", id: "quell-smoke-test", provider: "quell", environment: "test" },
    dedupKey: `quell-smoke-${run}`,
  };
}

/** Where generic alerts go under an ingest URL (`http://127.0.0.1:8787`, `https://….lambda-url….on.aws/`). */
export const genericAlertUrl = (url: string): string => `${baseOf(url)}/alerts/generic`;

/** The ingest URL without a trailing slash or a route. */
const baseOf = (url: string) => url.replace(/\/+$/, "").replace(/\/alerts\/generic$/, "");

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runSmoke(options: SmokeOptions): Promise<SmokeReport> {
  const { reader, timeoutMs, pollMs = 500, log = () => {} } = options;
  const seen: { hop: SmokeHop; ms: number; detail: string }[] = [];
  const started = Date.now();
  const elapsed = () => Date.now() - started;
  const saw = (hop: SmokeHop, detail: string) => {
    const ms = elapsed();
    seen.push({ hop, ms, detail });
    log(`ok    ${hop.padEnd(12)} ${String(ms).padStart(6)} ms  ${detail}`);
  };
  const fail = (hop: SmokeHop, reason: string, ids: { alertId?: string; incidentId?: string } = {}) => {
    log(`FAIL  ${hop.padEnd(12)} ${String(elapsed()).padStart(6)} ms  ${reason}`);
    return { ok: false, ...ids, seen, failed: { hop, reason } };
  };

  const body = JSON.stringify(smokeAlert());
  let response: Response;
  try {
    response = await fetch(genericAlertUrl(options.url), {
      method: "POST",
      headers: quellSignatureHeaders(body, options.secret),
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    return fail("accepted", `no answer from ${genericAlertUrl(options.url)}: ${(error as Error).message}`);
  }
  const answer = (await response.json().catch(() => undefined)) as
    | { alertId?: string; error?: { code?: string; message?: string } }
    | undefined;
  if (response.status !== 202 || typeof answer?.alertId !== "string") {
    const why = answer?.error ? `${answer.error.code}: ${answer.error.message}` : "no alert id";
    const hint =
      response.status === 401
        ? " (is --secret the deployment's QUELL_WEBHOOK_SECRET?)"
        : response.status === 422
          ? ` (a deployment older than the smoke test refuses the ${SMOKE_EMITTER} emitter)`
          : "";
    return fail("accepted", `ingest answered ${response.status}, ${why}${hint}`);
  }
  const alertId = answer.alertId;
  saw("accepted", `202, alert ${alertId}`);
  const incidentId = smokeIncidentId(alertId);
  if (!incidentId) return fail("triaged", `alert id ${alertId} is not one of ingest's`, { alertId });

  const until = async (test: (probe: IncidentProbe | undefined) => boolean) => {
    const deadline = Date.now() + timeoutMs;
    let probe = await reader.read(incidentId);
    while (!test(probe) && Date.now() < deadline) {
      await sleep(pollMs);
      probe = await reader.read(incidentId);
    }
    return probe;
  };
  const ids = { alertId, incidentId };
  const triaged = await until((probe) => probe !== undefined);
  if (!triaged) {
    return fail(
      "triaged",
      `no incident ${incidentId} within ${timeoutMs / 1000} s: the bus or triage did not take the alert (see triage's logs and dead-letter queue)`,
      ids,
    );
  }
  if (!triaged.rehearsal) {
    return fail("triaged", `incident ${incidentId} is not marked as a rehearsal: stop and check triage`, ids);
  }
  saw("triaged", `incident ${incidentId}, ${triaged.status}, rehearsal (dry run)`);
  // Until the card is recorded, or the incident reaches a status that will post none (failed, rate_limited…).
  const waiting = ["open", "running", "awaiting_approval"];
  const carded = await until(
    (probe) => probe?.cardTs !== undefined || !waiting.includes(probe?.status ?? ""),
  );
  if (!carded?.cardTs) {
    const check = "check the approval-request function's logs, the Slack bot token and the channel";
    const status = carded?.status ?? "gone";
    return fail(
      "card posted",
      waiting.includes(status)
        ? `no approval card recorded for ${incidentId} within ${timeoutMs / 1000} s (incident ${status}): ${check}`
        : `incident ${incidentId} ended (${status}) without recording an approval card: ${check}`,
      ids,
    );
  }
  saw("card posted", `Slack message ts ${carded.cardTs}`);
  return { ok: true, ...ids, seen };
}

interface IncidentDetailView {
  status: string;
  rehearsal?: unknown;
  approvals?: { messageTs?: string; requestedAt?: string }[];
}

const probeOf = (detail: IncidentDetailView): IncidentProbe => {
  const cardTs = (detail.approvals ?? []).find((approval) => approval.messageTs)?.messageTs;
  return { status: detail.status, rehearsal: detail.rehearsal !== undefined, ...(cardTs ? { cardTs } : {}) };
};

/** Reads through the local runtime's GET /incidents/{id}, with the read token. */
export const httpIncidentReader = (baseUrl: string, readToken: string): IncidentReader => ({
  async read(incidentId) {
    const url = `${baseOf(baseUrl)}/incidents/${incidentId}`;
    const response = await fetch(url, { headers: { authorization: `Bearer ${readToken}` } });
    if (response.status === 404) return undefined;
    if (response.status !== 200) throw new Error(`GET /incidents/${incidentId} answered ${response.status}`);
    return probeOf((await response.json()) as IncidentDetailView);
  },
});

/** Reads the incident's partition from the incidents table, with the operator's own AWS credentials. */
export const tableIncidentReader = (tableName: string, region?: string): IncidentReader => {
  const db = DynamoDBDocumentClient.from(new DynamoDBClient(region ? { region } : {}));
  return {
    async read(incidentId) {
      const { Items = [] } = await db.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: "pk = :pk",
          ExpressionAttributeValues: { ":pk": `INC#${incidentId}` },
          ConsistentRead: true,
        }),
      );
      const meta = Items.find((item) => item.sk === "META");
      if (!meta) return undefined;
      const approvals = Items.filter((item) => String(item.sk).startsWith("APR#"));
      return probeOf({ ...(meta as IncidentDetailView), approvals });
    },
  };
};

const USAGE = `Usage: npm run quell -- smoke --url <ingest url> [--secret <webhook secret>] [--timeout <seconds>]
                              [--aws --table <incidents table> [--region <region>]]

  --url      the local runtime (http://127.0.0.1:8787) or the IngestUrl output of Quell-<env>-Logic
  --secret   QUELL_WEBHOOK_SECRET (default: the environment, else .quell/local-secrets.json when local)
  --aws      read the hops from the incidents table with your AWS credentials (the IncidentsTableName output
             of Quell-<env>-Data); without it, through GET /incidents/{id} with the read token
  --timeout  seconds to wait for each hop (default 60)`;

/** The command line: exit code 0 when every hop was seen. */
export async function smokeCommand(args: readonly string[], env = process.env): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      url: { type: "string" },
      secret: { type: "string" },
      aws: { type: "boolean" },
      table: { type: "string" },
      region: { type: "string" },
      timeout: { type: "string", default: "60" },
      help: { type: "boolean", short: "h" },
    },
  });
  const timeoutSeconds = Number(values.timeout);
  if (values.help || !values.url || !(timeoutSeconds > 0)) {
    console.error(values.url ? `--timeout must be a positive number of seconds\n\n${USAGE}` : USAGE);
    return values.help ? 0 : 1;
  }
  if (values.aws && !values.table) {
    console.error(`--aws needs --table <the IncidentsTableName output of Quell-<env>-Data>\n\n${USAGE}`);
    return 1;
  }
  // Local secrets are only a fallback for the local runtime: a smoke test of AWS never creates .quell/.
  const local = values.aws ? undefined : loadLocalSecrets(env);
  const secret = values.secret ?? env.QUELL_WEBHOOK_SECRET ?? local?.QUELL_WEBHOOK_SECRET;
  if (!secret) {
    console.error("no webhook secret: pass --secret or set QUELL_WEBHOOK_SECRET");
    return 1;
  }
  const reader =
    values.aws && values.table
      ? tableIncidentReader(values.table, values.region)
      : httpIncidentReader(values.url, env[READ_TOKEN] || (local?.[READ_TOKEN] ?? ""));
  console.log(
    `smoke test: one signed ${SMOKE_EMITTER} alert to ${genericAlertUrl(values.url)} (a dry-run rehearsal)`,
  );
  const report = await runSmoke({
    url: values.url,
    secret,
    reader,
    timeoutMs: timeoutSeconds * 1000,
    log: (line) => console.log(line),
  });
  if (report.ok) console.log(`smoke test passed: ${SMOKE_HOPS.join(", ")}`);
  else console.error(`smoke test failed at "${report.failed?.hop}": ${report.failed?.reason}`);
  return report.ok ? 0 : 1;
}
