import type { QuellClient } from "./client.js";
import { formatTimeline } from "./client.js";
import { webhookBody } from "./standins/scenario.js";
import type { SlackStandin } from "./standins/slack.js";

const APPROVAL_ID = /"value":"(inc_[a-z0-9]+\.[A-Za-z]+)"/;

/**
 * Send the sample GitHub leak, wait for its approval card, approve that card (and only that one) as the
 * demo user through the signed interaction path, and show the incident reaching its outcome.
 */
export async function runDemo(options: {
  client: QuellClient;
  demoUser: string;
  /** The GitHub alert number the leak is reported as (seeded in the GitHub stand-in). */
  alertNumber: number;
  slack?: SlackStandin;
}) {
  const { client } = options;
  const started = performance.now();
  console.log(
    `\n[demo] GitHub secret scanning reports an OpenAI key leaked in example-corp/support-chat-service (alert ${options.alertNumber})`,
  );
  const accepted = await client.sendGitHubWebhook(webhookBody(options.alertNumber));
  if (accepted.status !== 202 || !accepted.body.alertId) {
    throw new Error(`[demo] the webhook was refused: ${accepted.status} ${JSON.stringify(accepted.body)}`);
  }
  console.log(`[demo] accepted as ${accepted.body.alertId} (202)`);

  const approvalId = await waitForDemoApproval(client, options.slack);
  const incidentId = approvalId.split(".")[0] as string;
  console.log(`[demo] approval card posted for ${incidentId}; approving it as ${options.demoUser}`);
  const status = await client.decide(approvalId, "approve", options.demoUser);
  if (status !== 200) throw new Error(`[demo] the approval click was refused (${status})`);

  const final = await client.waitFor(incidentId, (incident) =>
    ["mitigated", "denied", "expired", "failed"].includes(incident.status),
  );
  console.log(`\n${formatTimeline(final)}`);
  console.log(
    `\n[demo] ${final.status} in ${Math.round(performance.now() - started)} ms (webhook in to outcome)`,
  );
  if (final.status !== "mitigated") throw new Error(`[demo] expected mitigated, got ${final.status}`);
}

/** The approval id on the demo incident's card: from the Slack stand-in, or the incident itself. */
async function waitForDemoApproval(client: QuellClient, slack?: SlackStandin): Promise<string> {
  if (slack) {
    const card = await slack.waitForMessage(
      (message) => APPROVAL_ID.test(JSON.stringify(message.blocks)),
      30_000,
    );
    return APPROVAL_ID.exec(JSON.stringify(card.blocks))?.[1] as string;
  }
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    for (const summary of (await client.incidents()).incidents) {
      const pending = (await client.incident(summary.id))?.approvals.find(
        (approval) => approval.status === "pending",
      );
      if (pending && summary.title.includes("example-corp/support-chat-service")) return pending.approvalId;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("[demo] no approval card appeared within 30 s");
}
