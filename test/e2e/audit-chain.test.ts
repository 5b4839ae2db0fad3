import { DynamoDBDocumentClient, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QuellClient } from "../../infra/local/client.js";
import { localDynamoClient } from "../../infra/local/dynamodb.js";
import { webhookBody } from "../../infra/local/standins/scenario.js";
import { localAuditSource, runVerifyAudit } from "../../infra/local/verify-audit.js";
import { type Harness, SECRETS, startHarness } from "./harness.js";

/**
 * Issue 16, tamper-evident audit, from outside: a real approved run leaves an unbroken chain that
 * `verify-audit` recomputes through GET /incidents/<id>/audit; a decision edited in the table afterwards is named.
 */
describe("verify-audit on the local runtime", () => {
  let harness: Harness;
  let client: QuellClient;
  beforeAll(async () => {
    harness = await startHarness({ dryRun: false });
    client = new QuellClient(harness.runtime.url, {
      github: SECRETS.github,
      slackSigning: SECRETS.slackSigning,
      readToken: harness.runtime.readToken,
    });
  });
  afterAll(async () => harness?.stop());

  const verify = async (incidentId?: string) => {
    const lines: string[] = [];
    const code = await runVerifyAudit(localAuditSource(client), incidentId, (line) => lines.push(line));
    return { code, lines };
  };

  it("finds every chain of an approved run whole, then names the decision edited in the table", async () => {
    expect((await harness.postGitHub(webhookBody())).status).toBe(202);
    const card = await harness.standins.slack.waitForMessage(undefined, 15_000);
    const approvalId = JSON.stringify(card.blocks).match(/"value":"(inc_[a-z0-9]+\.approveRevoke)"/)?.[1];
    if (!approvalId) throw new Error("no approval button on the card");
    const incident = await harness.approveAndSettle(approvalId);
    await harness.runtime.idle();

    const whole = await verify();
    expect(whole.code).toBe(0);
    const entries = (await client.auditChain(incident.id))?.entries ?? [];
    expect(entries.length).toBeGreaterThanOrEqual(incident.timeline.length);
    expect(whole.lines).toContain(
      `ok      ${incident.id}  ${entries.length} entries, head ${entries.length} ${String(
        entries.find((entry) => entry.seq === entries.length)?.hash,
      ).slice(0, 12)}`,
    );
    expect(whole.lines.at(-1)).toBe("1 chain checked, 0 broken");

    const decision = entries.find((entry) => entry.kind === "approval_decided");
    if (!decision) throw new Error("no approval_decided entry");
    const db = DynamoDBDocumentClient.from(
      localDynamoClient(harness.runtime.dynamoEndpoint, {
        accessKeyId: process.env.AWS_ACCESS_KEY_ID as string,
        secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY as string,
      }),
    );
    try {
      await db.send(
        new UpdateCommand({
          TableName: "quell-incidents",
          Key: { pk: decision.pk, sk: decision.sk },
          UpdateExpression: "SET actor = :someone, summary = :forged",
          ExpressionAttributeValues: { ":someone": "U0SOMEONEELSE", ":forged": "approved by U0SOMEONEELSE" },
        }),
      );
    } finally {
      db.destroy();
    }
    const broken = await verify(incident.id);
    expect(broken.code).toBe(1);
    expect(broken.lines).toEqual([
      `BROKEN  ${incident.id}  entry ${decision.seq} at ${decision.at} (approval_decided) does not match its hash: it was edited after it was written`,
      "1 chain checked, 1 broken",
    ]);
  });

  it("serves the links only with the read token, and says when an incident has none", async () => {
    const anonymous = await fetch(`${harness.runtime.url}/incidents/inc_anything/audit`);
    expect(anonymous.status).toBe(401);
    expect(await client.auditChain("inc_nosuchincident")).toBeUndefined();
    expect(await verify("inc_nosuchincident")).toEqual({
      code: 1,
      lines: ["missing inc_nosuchincident  no timeline stored", "0 chains checked, 0 broken, 1 not found"],
    });
  });
});
