import { parseArgs } from "node:util";
import { awsRedriveCommand } from "./aws-redrive.js";
import { formatTimeline, QuellClient } from "./client.js";
import { DeadLettersClient, deadLetterCommand } from "./dead-letters-client.js";
import { LOCAL_RESPONDER, LOCAL_SECOND_RESPONDER, loadLocalSecrets, quellUrl } from "./local-config.js";
import { replayCommand } from "./replay.js";
import { shadowReportCommand } from "./shadow-report.js";
import { smokeCommand } from "./smoke.js";
import { webhookBody } from "./standins/scenario.js";
import { statsCommand } from "./stats.js";
import { verifyAuditCommand } from "./verify-audit.js";

const HELP = `Usage: npm run quell -- <command>

  incidents [--limit <n>] [--cursor <c>]  list incidents, newest first, a page at a time (default 50)
  incident <incident-id>                 show an incident and its timeline
  stats [days]                           times to acknowledge, contain and resolve of the incidents opened in
                                         the last days (default 7), per playbook and per alert type
  shadow-report [--days N]               what shadow playbooks would have done, per playbook and per incident,
                                         over the last N days (default 1): steps, planned writes, would-asks
  verify-audit [<incident-id>]           recompute every incident's audit chain (or one) and name the first
                                         entry edited, inserted or removed; --aws --table <t> [--bucket <b>]
                                         checks a deployed Quell and its exported heads (verify-audit --help)
  replay --playbook <name> [--since 7d | --from <file>] [--limit 50] [--wait 120]
                                         rehearse stored alerts (received within --since; their incident went to
                                         the playbook or triage routes them there now) or a JSON/JSONL file of
                                         canonical alerts: per alert the route now and then, steps, planned writes,
                                         approvals it would ask, and the diff from the deployed run; sends nothing
  approve <approval-id> [--comment "<note>"] [--as <user>]
                                         approve through the signed Slack interaction path
  deny <approval-id> --reason "<why>" [--as <user>]
                                         deny through the same path (the deny-reason modal's submission)
  slash "<text>" [--as <user>]           run a /quell command through the signed Slack path, e.g.
                                         slash "undo <action-run>", slash "dry-run leaked-ai-key <alert-id>"
  send-sample                            send the sample GitHub secret-scanning alert
  dead-letters [--limit <n>] [--cursor <c>]
                                         list events the bus could not deliver after its retries
  redrive <dead-letter-id>… | --all      deliver dead letters again (to the rule that refused them)
  redrive --aws --queue <url|name> [--function <name>] [--dry-run]
                                         deliver again a deployed Quell's failed deliveries (redrive --aws --help)
  smoke --url <ingest url> [--secret <s>] [--aws --table <name>]
                                         send one signed smoke-test alert (a dry-run rehearsal) and report
                                         each hop seen: accepted, triaged, card posted (smoke --help)

Talks to QUELL_URL (default http://127.0.0.1:$QUELL_PORT, port 8787) with the secrets in the environment,
else those in .quell/local-secrets.json (reads send the read token, QUELL_READ_TOKEN). --as defaults to ${LOCAL_RESPONDER}.`;

async function main(): Promise<number> {
  // Its own options, and no local secrets unless it talks to the local runtime (smoke.ts).
  if (process.argv[2] === "smoke") return smokeCommand(process.argv.slice(3));
  // Reads the local API, or a deployed table and audit bucket with --aws (verify-audit.ts).
  if (process.argv[2] === "verify-audit") return verifyAuditCommand(process.argv.slice(3));
  // Talks to AWS with the usual credentials, never to the local runtime (aws-redrive.ts).
  if (process.argv[2] === "redrive" && process.argv.includes("--aws")) {
    return awsRedriveCommand(process.argv.slice(3));
  }
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      as: { type: "string", default: LOCAL_RESPONDER },
      reason: { type: "string" },
      comment: { type: "string" },
      limit: { type: "string" },
      cursor: { type: "string" },
      all: { type: "boolean" },
      help: { type: "boolean", short: "h" },
      // replay's (replay-input.ts checks them).
      playbook: { type: "string" },
      since: { type: "string" },
      from: { type: "string" },
      wait: { type: "string" },
      // shadow-report's.
      days: { type: "string" },
    },
  });
  const [command, argument] = positionals;
  if (values.help || !command) {
    console.log(HELP);
    return command ? 0 : 1;
  }
  const secrets = loadLocalSecrets();
  const client = new QuellClient(quellUrl(), {
    github: secrets.QUELL_GITHUB_WEBHOOK_SECRET as string,
    slackSigning: secrets.SLACK_SIGNING_SECRET,
    readToken: secrets.QUELL_READ_TOKEN,
  });
  switch (command) {
    case "incidents": {
      const page = await client.incidents({
        ...(values.limit ? { limit: Number(values.limit) } : {}),
        ...(values.cursor ? { cursor: values.cursor } : {}),
      });
      for (const incident of page.incidents) {
        const mode = (incident as { shadow?: boolean }).shadow ? " [shadow]" : "";
        console.log(
          `${incident.id}  ${incident.status.padEnd(17)} ${incident.severity.padEnd(8)} ${incident.title}${mode}`,
        );
      }
      if (page.nextCursor) console.log(`more: npm run quell -- incidents --cursor ${page.nextCursor}`);
      return 0;
    }
    case "incident": {
      const incident = argument ? await client.incident(argument) : undefined;
      if (!incident) {
        console.error(`no incident ${argument ?? "(missing id)"}`);
        return 1;
      }
      console.log(formatTimeline(incident));
      for (const approval of incident.approvals) {
        console.log(
          `  approval ${approval.approvalId}: ${approval.status}${approval.decidedBy ? ` by ${approval.decidedBy}` : ""}`,
        );
      }
      return 0;
    }
    case "replay": {
      const { code, output } = await replayCommand(process.argv.slice(3), client);
      (code === 0 ? console.log : console.error)(output);
      return code;
    }
    case "shadow-report": {
      const { code, output } = await shadowReportCommand(client, values.days);
      (code === 0 ? console.log : console.error)(output);
      return code;
    }
    case "stats": {
      const { code, output } = await statsCommand(client, argument);
      (code === 0 ? console.log : console.error)(output);
      return code;
    }
    case "approve":
    case "deny": {
      if (!argument) {
        console.error(`${command} needs an approval id (see: npm run quell -- incident <id>)`);
        return 1;
      }
      if (command === "deny" && (values.reason ?? "").trim().length < 3) {
        console.error('deny needs a reason: --reason "why" (kept on the incident\'s record)');
        return 1;
      }
      const text = command === "deny" ? values.reason : values.comment;
      const status = await client.decide(argument, command, values.as, text);
      if (status !== 200) {
        console.error(`Quell refused the ${command} (${status})`);
        return 1;
      }
      const incident = await client.incident(argument.split(".")[0] ?? "");
      const approval = incident?.approvals.find((candidate) => candidate.approvalId === argument);
      if (!approval) {
        console.error(`no approval ${argument}`);
        return 1;
      }
      if (approval.status === "pending" && (approval.approvedBy ?? []).includes(values.as)) {
        console.log(
          `approval ${argument}: first approval by ${values.as} recorded; four eyes: a second, different approver ` +
            `decides it (e.g. --as ${values.as === LOCAL_SECOND_RESPONDER ? LOCAL_RESPONDER : LOCAL_SECOND_RESPONDER})`,
        );
        return 0;
      }
      if (approval.status === "pending") {
        console.error(
          `approval ${argument} is still pending: ${values.as} is not an authorised approver (QUELL_APPROVERS)`,
        );
        return 1;
      }
      console.log(
        `approval ${argument}: ${approval.status}${approval.decidedBy ? ` by ${approval.decidedBy}` : ""}`,
      );
      return approval.decidedBy === values.as ? 0 : 1;
    }
    case "slash": {
      const answer = await client.slash(positionals.slice(1).join(" "), values.as);
      console.log(answer.text || `Quell answered ${answer.status}`);
      return answer.status === 200 ? 0 : 1;
    }
    case "dead-letters":
    case "redrive":
      return deadLetterCommand(
        command,
        { ...values, ids: positionals.slice(1) },
        new DeadLettersClient(quellUrl(), secrets.QUELL_READ_TOKEN as string),
      );
    case "send-sample": {
      const response = await client.sendGitHubWebhook(webhookBody());
      console.log(`${response.status} ${JSON.stringify(response.body)}`);
      return response.status === 202 ? 0 : 1;
    }
    default:
      console.error(`unknown command "${command}"\n\n${HELP}`);
      return 1;
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
