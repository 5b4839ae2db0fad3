import { BedrockAgentClient } from "@aws-sdk/client-bedrock-agent";
import { afterEach, describe, expect, it } from "vitest";
import { disableActionGroup } from "../../functions/actions/bedrock-agent-disable-action-group/action.js";
import { findMisusedActionGroup } from "../../functions/actions/bedrock-agent-find-action-group/action.js";
import { runAction, runUndo } from "../../functions/actions/run.js";
import { TargetChanged, VerificationFailed } from "../../functions/shared/errors.js";
import {
  BEDROCK_AGENT_ID as AGENT_ID,
  type AgentSeed,
  BEDROCK_AGENT_ALIAS_ARN as ALIAS_ARN,
  BEDROCK_AGENT_ALIAS_ID as ALIAS_ID,
  type BedrockAgentStandin,
  BEDROCK_ACTION_GROUP_BOOKINGS_ID as BOOKINGS_ID,
  bedrockAgentSeed,
  BEDROCK_ACTION_GROUP_PAYMENTS_ID as PAYMENTS_ID,
  startBedrockAgentStandin,
} from "../../infra/local/standins/bedrock-agent.js";
import { contextWith, type JournalEntry, recordingJournal } from "./action-context-doubles.js";

const AGENT_ARN = `arn:aws:bedrock:us-east-1:111122223333:agent/${AGENT_ID}`;
const GROUP_PATH = `/agents/${AGENT_ID}/agentversions/DRAFT/actiongroups/${PAYMENTS_ID}/`;
const ALIAS_PATH = `/agents/${AGENT_ID}/agentaliases/${ALIAS_ID}/`;

let standin: BedrockAgentStandin | undefined;
let client: BedrockAgentClient | undefined;
afterEach(async () => {
  client?.destroy();
  await standin?.close();
  [client, standin] = [undefined, undefined];
});

/** The Agents stand-in (the support chat agent by default) and a context whose real SDK client calls it. */
async function bedrockAgent(agents: AgentSeed[] = [bedrockAgentSeed()]) {
  const started = await startBedrockAgentStandin({ agents });
  standin = started;
  client = new BedrockAgentClient({
    endpoint: started.url,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    maxAttempts: 1,
  });
  const { journal, entries } = recordingJournal();
  return { standin: started, context: contextWith({ bedrockAgent: client }, journal), journal: entries };
}

/** The details a generic alert about the support agent's `payments` tool carries, with `changes` applied. */
const alertDetails = (changes: Record<string, unknown> = {}) => ({
  schemaVersion: "1",
  emitter: "agent-policy-monitor",
  principalType: "service",
  principalId: AGENT_ARN,
  principalProvider: "aws",
  assetKind: "agent",
  assetId: `${AGENT_ARN}/actiongroup/payments`,
  assetProvider: "aws",
  environment: "production",
  "evidence.agentAliasId": ALIAS_ID,
  "evidence.actionGroup": "payments",
  "evidence.function": "refund",
  ...changes,
});

const NOT_FOUND = {
  found: false,
  agentId: null,
  aliasArn: null,
  actionGroupId: null,
  actionGroupName: null,
  liveVersion: null,
  draftInSync: false,
  draftChanges: "",
  alreadyCut: false,
};

const cutInput = { aliasArn: ALIAS_ARN, actionGroupId: PAYMENTS_ID, expectedVersion: "3" };
const cutOutput = {
  agentId: AGENT_ID,
  agentAliasId: ALIAS_ID,
  aliasName: "live",
  actionGroupId: PAYMENTS_ID,
  actionGroupName: "payments",
  previousVersion: "3",
};

/** The `payments` group exactly as the seed has it (GetAgentActionGroup's members but ids and dates). */
const paymentsMembers = (state: "ENABLED" | "DISABLED") => ({
  actionGroupName: "payments",
  description: "Look up a customer's payments and refund them to the original payment method",
  actionGroupExecutor: {
    lambda: "arn:aws:lambda:us-east-1:111122223333:function:support-agent-payments",
  },
  functionSchema: {
    functions: [
      {
        name: "refund",
        description: "Refund a payment, in full or in part, to the original payment method",
        parameters: {
          paymentId: { type: "string", description: "The payment to refund", required: true },
          amountCents: { type: "integer", description: "The amount to refund, in cents", required: true },
          reason: { type: "string", description: "Why the customer is refunded", required: false },
        },
        requireConfirmation: "DISABLED",
      },
      {
        name: "get_payment",
        description: "Look up a payment of the customer",
        parameters: { paymentId: { type: "string", description: "The payment", required: true } },
      },
    ],
  },
  actionGroupState: state,
});

const operationsOf = (writes: readonly unknown[]) =>
  writes.map((write) => (write as { operation?: string }).operation);
const writeOperations = ["UpdateAgentActionGroup", "PrepareAgent", "UpdateAgentAlias"];
const writesSent = (operations: string[]) => operations.filter((op) => writeOperations.includes(op));
const attempted = (journal: JournalEntry[]) =>
  journal.flatMap((entry) =>
    "attempted" in entry && entry.attempted.kind === "aws" ? [entry.attempted] : [],
  );

describe("bedrock-agent.find-misused-action-group", () => {
  const find = async (details: Record<string, unknown>) => {
    const result = await runAction(
      findMisusedActionGroup,
      { details },
      { dryRun: false, context: (await bedrockAgent()).context },
    );
    expect(result.writes).toEqual([]);
    return result.output;
  };

  it("finds the tool a generic alert names, the version its alias serves, and a draft in sync", async () => {
    const { standin, context } = await bedrockAgent();
    const result = await runAction(
      findMisusedActionGroup,
      { details: alertDetails() },
      { dryRun: false, context },
    );
    expect(result).toMatchObject({ mode: "applied", writes: [], verified: null });
    expect(result.output).toEqual({
      found: true,
      why: "version 3 serves the alias with payments enabled; the draft holds no other change",
      agentId: AGENT_ID,
      aliasArn: ALIAS_ARN,
      actionGroupId: PAYMENTS_ID,
      actionGroupName: "payments",
      liveVersion: "3",
      draftInSync: true,
      draftChanges: "",
      alreadyCut: false,
    });
    // Reads only.
    expect(writesSent(standin.operations())).toEqual([]);
    expect(new Set(standin.operations())).toEqual(
      new Set(["GetAgentAlias", "ListAgentActionGroups", "GetAgent", "GetAgentVersion"]),
    );
  });

  it("takes the tool from the asset's suffix, and by id, when evidence.actionGroup is absent or an id", async () => {
    const { "evidence.actionGroup": _group, ...withoutGroup } = alertDetails();
    expect(await find(withoutGroup)).toMatchObject({ found: true, actionGroupId: PAYMENTS_ID });
    expect(await find(alertDetails({ "evidence.actionGroup": BOOKINGS_ID }))).toMatchObject({
      found: true,
      actionGroupId: BOOKINGS_ID,
      actionGroupName: "bookings",
    });
  });

  it("says the draft is not in sync after a human edits it, and names what differs", async () => {
    const { standin, context } = await bedrockAgent();
    standin.updateDraftByHand(AGENT_ID, { instruction: "You are a refund bot. Refund whatever is asked." });
    const result = await runAction(
      findMisusedActionGroup,
      { details: alertDetails() },
      { dryRun: false, context },
    );
    expect(result.output).toMatchObject({
      found: true,
      liveVersion: "3",
      draftInSync: false,
      alreadyCut: false,
      draftChanges:
        "the agent's settings (model, instruction, guardrail, prompts or role) differ from version 3",
      why: "version 3 serves the alias; the draft holds unreleased changes: the agent's settings (model, instruction, guardrail, prompts or role) differ from version 3",
    });
  });

  it("says the draft is not in sync when another action group of the draft changed, but not for the tool itself", async () => {
    const { standin, context } = await bedrockAgent();
    standin.setActionGroupStateByHand(AGENT_ID, PAYMENTS_ID, "DISABLED");
    const own = await runAction(
      findMisusedActionGroup,
      { details: alertDetails() },
      { dryRun: false, context },
    );
    expect(own.output).toMatchObject({ draftInSync: true, alreadyCut: false });
    standin.setActionGroupStateByHand(AGENT_ID, BOOKINGS_ID, "DISABLED");
    const other = await runAction(
      findMisusedActionGroup,
      { details: alertDetails() },
      { dryRun: false, context },
    );
    expect(other.output).toMatchObject({
      draftInSync: false,
      draftChanges: "the draft's other action groups differ from version 3's",
    });
  });

  it("finds nothing, calling nothing, without an alias id, without an agent ARN, or with a non-agent principal", async () => {
    const { standin, context } = await bedrockAgent();
    const run = async (details: Record<string, unknown>) =>
      (await runAction(findMisusedActionGroup, { details }, { dryRun: false, context })).output;
    const { "evidence.agentAliasId": _alias, ...withoutAlias } = alertDetails();
    expect(await run(withoutAlias)).toEqual({
      ...NOT_FOUND,
      why: "the alert names no agent alias (evidence.agentAliasId): Quell cannot tell which version serves the app",
    });
    const notAgent = {
      why: "the alert names no Bedrock agent ARN (asset, principal or evidence.agentArn)",
      ...NOT_FOUND,
    };
    expect(
      await run(
        alertDetails({
          principalId: "arn:aws:iam::111122223333:role/support-agent",
          assetId: "arn:aws:lambda:us-east-1:111122223333:function:support-agent-payments",
        }),
      ),
    ).toEqual(notAgent);
    expect(
      await run(
        alertDetails({
          principalId: `arn:aws:bedrock:us-east-1:111122223333:agent-alias/${AGENT_ID}/${ALIAS_ID}`,
          assetId: "support-chat",
        }),
      ),
    ).toEqual(notAgent);
    expect(standin.requests).toEqual([]);
  });

  it("finds nothing for a tool the agent does not have", async () => {
    const { standin, context } = await bedrockAgent();
    const result = await runAction(
      findMisusedActionGroup,
      { details: alertDetails({ "evidence.actionGroup": "wire_transfers" }) },
      { dryRun: false, context },
    );
    expect(result.output).toEqual({
      ...NOT_FOUND,
      why: `agent ${AGENT_ID} has no action group named or id'd wire_transfers in its draft`,
    });
    expect(writesSent(standin.operations())).toEqual([]);
  });

  it("finds nothing for an alias of another agent", async () => {
    const other = `arn:aws:bedrock:us-east-1:111122223333:agent-alias/AGT9OTHERX/${ALIAS_ID}`;
    expect(await find(alertDetails({ "evidence.agentAliasArn": other }))).toEqual({
      ...NOT_FOUND,
      why: `the alias ${other} belongs to another agent than ${AGENT_ID}`,
    });
  });

  it("treats hostile alert text (mrkdwn, paths, control characters, overlong) as naming nothing, and calls nothing", async () => {
    const { standin, context } = await bedrockAgent();
    const hostile: [Record<string, unknown>, string][] = [
      [{ "evidence.actionGroup": "payments <!channel>" }, "names no action group"],
      [{ "evidence.actionGroup": "*payments*" }, "names no action group"],
      [{ "evidence.actionGroup": "../bookings" }, "names no action group"],
      [{ "evidence.actionGroup": "payments/../bookings" }, "names no action group"],
      [{ "evidence.actionGroup": "p".repeat(101) }, "names no action group"],
      [
        {
          "evidence.actionGroup": undefined,
          assetId: `${AGENT_ARN}/actiongroup/<https://evil.example|payments>`,
        },
        "names no action group",
      ],
      [{ "evidence.agentAliasId": "<@U0123> ALS4EXAMPL" }, "names no agent alias"],
      [{ "evidence.agentAliasId": `../${ALIAS_ID}` }, "names no agent alias"],
      [{ "evidence.agentAliasId": "als4exampl" }, "names no agent alias"],
      [{ "evidence.agentAliasId": ALIAS_ID.repeat(300) }, "names no agent alias"],
      [
        { principalId: `${AGENT_ARN}\n<!channel>`, assetId: `${AGENT_ARN}/actiongroup/payments\n` },
        "names no Bedrock agent ARN",
      ],
      [{ principalId: `${AGENT_ARN}/../../role/admin`, assetId: "x" }, "names no Bedrock agent ARN"],
      [{ principalId: `${AGENT_ARN}${"A".repeat(2100)}`, assetId: "x" }, "names no Bedrock agent ARN"],
      [{ principalId: { arn: AGENT_ARN }, assetId: ["x"] }, "names no Bedrock agent ARN"],
      [{ "evidence.agentAliasArn": `${ALIAS_ARN}\n<!here>` }, "names no agent alias"],
      [{ "evidence.agentAliasArn": "arn:aws:iam::111122223333:role/x" }, "names no agent alias"],
    ];
    for (const [changes, why] of hostile) {
      const result = await runAction(
        findMisusedActionGroup,
        { details: alertDetails(changes) },
        { dryRun: false, context },
      );
      expect(result.output, JSON.stringify(changes).slice(0, 200)).toMatchObject({
        ...NOT_FOUND,
        why: expect.stringContaining(why),
      });
    }
    expect(standin.requests).toEqual([]);
  });

  it("says the tool is already cut when the version the alias serves has it disabled", async () => {
    const { standin, context } = await bedrockAgent();
    await runAction(disableActionGroup, cutInput, { dryRun: false, context });
    const result = await runAction(
      findMisusedActionGroup,
      { details: alertDetails() },
      { dryRun: false, context },
    );
    expect(result.output).toMatchObject({
      found: true,
      liveVersion: "4",
      alreadyCut: true,
      why: "version 4 already has payments disabled",
    });
    expect(standin.agentVersions(AGENT_ID)).toEqual(["1", "2", "3", "4"]);
  });
});

describe("bedrock-agent.disable-action-group", () => {
  it("disables the tool in the draft keeping every member, prepares it, publishes a new version, and verifies", async () => {
    const { standin, context, journal } = await bedrockAgent();
    const draftBefore = standin.actionGroup(AGENT_ID, "DRAFT", PAYMENTS_ID);
    const result = await runAction(disableActionGroup, cutInput, { dryRun: false, context });

    const operations = standin.operations();
    // The three reads comparing the draft with version 3 go out together (Promise.all): their order is not fixed.
    expect(operations.slice(0, 3)).toEqual(["GetAgentAlias", "GetAgentActionGroup", "ListAgentActionGroups"]);
    expect([...operations.slice(3, 6)].sort()).toEqual([
      "GetAgent",
      "GetAgentVersion",
      "ListAgentActionGroups",
    ]);
    expect(operations.slice(6)).toEqual([
      "UpdateAgentActionGroup",
      "PrepareAgent",
      // PrepareAgent answers PREPARING; the draft reads PREPARING once more, then PREPARED.
      "GetAgent",
      "GetAgent",
      "UpdateAgentAlias",
      // The read-back: UPDATING once, then PREPARED, then the new version's action groups.
      "GetAgentAlias",
      "GetAgentAlias",
      "ListAgentActionGroups",
    ]);

    // UpdateAgentActionGroup replaces the group: every member is sent back, only the state changes.
    const update = standin.requests.find(
      (request) => request.method === "PUT" && request.path === GROUP_PATH,
    );
    expect(update?.body).toEqual(paymentsMembers("DISABLED"));
    const { updatedAt: _before, ...kept } = draftBefore ?? {};
    const { updatedAt: _after, ...now } = standin.actionGroup(AGENT_ID, "DRAFT", PAYMENTS_ID) ?? {};
    expect(now).toEqual({ ...kept, actionGroupState: "DISABLED" });
    expect(standin.actionGroup(AGENT_ID, "DRAFT", BOOKINGS_ID)).toMatchObject({
      actionGroupState: "ENABLED",
    });

    // UpdateAgentAlias without routing: a new version 4 from the draft, and the alias routed to it.
    expect(standin.updates.map((each) => each.body)).toEqual([
      {
        agentAliasName: "live",
        description: "Production alias of the support chat agent",
        aliasInvocationState: "ACCEPT_INVOCATIONS",
      },
    ]);
    expect(standin.agentVersions(AGENT_ID)).toEqual(["1", "2", "3", "4"]);
    expect(standin.alias(AGENT_ID, ALIAS_ID)).toMatchObject({
      routingConfiguration: [{ agentVersion: "4" }],
    });
    expect(standin.actionGroup(AGENT_ID, "4", PAYMENTS_ID)).toMatchObject(paymentsMembers("DISABLED"));
    expect(standin.actionGroup(AGENT_ID, "4", BOOKINGS_ID)).toMatchObject({ actionGroupState: "ENABLED" });
    // Version 3 is frozen: the tool is still enabled there (what undo routes back to).
    expect(standin.actionGroup(AGENT_ID, "3", PAYMENTS_ID)).toMatchObject(paymentsMembers("ENABLED"));

    expect(result).toMatchObject({
      mode: "applied",
      output: cutOutput,
      verified: `the alias serves version 4, where action group ${PAYMENTS_ID} is DISABLED`,
    });
    expect(attempted(journal).map((write) => write.kind === "aws" && write.operation)).toEqual(
      writeOperations,
    );
    expect(journal.filter((entry) => "outcome" in entry && !entry.outcome.ok)).toEqual([]);
  });

  it("keeps an API-schema tool's schema and executor when it cuts it", async () => {
    const { standin, context } = await bedrockAgent();
    await runAction(
      disableActionGroup,
      { ...cutInput, actionGroupId: BOOKINGS_ID },
      { dryRun: false, context },
    );
    const path = `/agents/${AGENT_ID}/agentversions/DRAFT/actiongroups/${BOOKINGS_ID}/`;
    expect(
      standin.requests.find((request) => request.method === "PUT" && request.path === path)?.body,
    ).toEqual({
      actionGroupName: "bookings",
      description: "Find, change and cancel the customer's bookings",
      actionGroupExecutor: {
        lambda: "arn:aws:lambda:us-east-1:111122223333:function:support-agent-bookings",
      },
      apiSchema: { s3: { s3BucketName: "support-agent-schemas", s3ObjectKey: "bookings/openapi.json" } },
      actionGroupState: "DISABLED",
    });
    expect(standin.actionGroup(AGENT_ID, "4", BOOKINGS_ID)).toMatchObject({ actionGroupState: "DISABLED" });
    expect(standin.actionGroup(AGENT_ID, "4", PAYMENTS_ID)).toMatchObject({ actionGroupState: "ENABLED" });
  });

  it("in dry run records the three writes and sends only reads", async () => {
    const { standin, context, journal } = await bedrockAgent();
    const result = await runAction(disableActionGroup, cutInput, { dryRun: true, context });
    expect(result).toMatchObject({ mode: "planned", output: cutOutput, verified: null });
    expect(result.writes).toEqual([
      {
        kind: "aws",
        service: "bedrock-agent",
        operation: "UpdateAgentActionGroup",
        input: {
          agentId: AGENT_ID,
          agentVersion: "DRAFT",
          actionGroupId: PAYMENTS_ID,
          ...paymentsMembers("DISABLED"),
        },
      },
      { kind: "aws", service: "bedrock-agent", operation: "PrepareAgent", input: { agentId: AGENT_ID } },
      {
        kind: "aws",
        service: "bedrock-agent",
        operation: "UpdateAgentAlias",
        input: {
          agentId: AGENT_ID,
          agentAliasId: ALIAS_ID,
          agentAliasName: "live",
          description: "Production alias of the support chat agent",
          aliasInvocationState: "ACCEPT_INVOCATIONS",
        },
      },
    ]);
    expect(writesSent(standin.operations())).toEqual([]);
    expect(journal).toEqual([]);
    expect(standin.agentVersions(AGENT_ID)).toEqual(["1", "2", "3"]);
    expect(standin.actionGroup(AGENT_ID, "DRAFT", PAYMENTS_ID)).toMatchObject({
      actionGroupState: "ENABLED",
    });
  });

  it("refuses, writing nothing, when the alias no longer serves the version the approval showed", async () => {
    const { standin, context, journal } = await bedrockAgent();
    standin.routeByHand(AGENT_ID, ALIAS_ID, "2");
    const run = runAction(disableActionGroup, cutInput, { dryRun: false, context });
    await expect(run).rejects.toBeInstanceOf(TargetChanged);
    await expect(run).rejects.toThrow(
      "the alias now routes to 2, not version 3 that the approval showed: nothing was written",
    );
    expect(writesSent(standin.operations())).toEqual([]);
    expect(journal).toEqual([]);
  });

  it("refuses, writing nothing, when the draft holds unreleased changes", async () => {
    const { standin, context, journal } = await bedrockAgent();
    standin.updateDraftByHand(AGENT_ID, { foundationModel: "anthropic.claude-3-haiku-20240307-v1:0" });
    const run = runAction(disableActionGroup, cutInput, { dryRun: false, context });
    await expect(run).rejects.toBeInstanceOf(TargetChanged);
    await expect(run).rejects.toThrow(
      "the agent's draft holds changes version 3 does not have (the agent's settings (model, instruction, guardrail, prompts or role) differ from version 3)",
    );
    expect(writesSent(standin.operations())).toEqual([]);
    expect(journal).toEqual([]);
    expect(standin.actionGroup(AGENT_ID, "DRAFT", PAYMENTS_ID)).toMatchObject({
      actionGroupState: "ENABLED",
    });
  });

  it("retried after UpdateAgentAlias was applied but answered 500, writes nothing twice", async () => {
    const { standin, context, journal } = await bedrockAgent();
    standin.faults.next({ method: "PUT", path: ALIAS_PATH, status: 500, applied: true });
    const first = runAction(disableActionGroup, cutInput, { dryRun: false, context });
    await expect(first).rejects.toMatchObject({ $metadata: { httpStatusCode: 500 } });
    expect(standin.faults.fired).toHaveLength(1);
    expect(standin.agentVersions(AGENT_ID)).toEqual(["1", "2", "3", "4"]);
    // The journal keeps the write that failed as far as Quell could tell.
    expect(journal.at(-1)).toMatchObject({
      settled: { operation: "UpdateAgentAlias" },
      outcome: { ok: false, status: 500 },
    });

    const retry = await runAction(disableActionGroup, cutInput, { dryRun: false, context });
    expect(retry).toMatchObject({ mode: "applied", writes: [], output: cutOutput });
    expect(writesSent(standin.operations())).toEqual(writeOperations);
    expect(standin.agentVersions(AGENT_ID)).toEqual(["1", "2", "3", "4"]);
    expect(standin.alias(AGENT_ID, ALIAS_ID)).toMatchObject({
      routingConfiguration: [{ agentVersion: "4" }],
    });
  });

  it("retried after PrepareAgent was applied but answered 500, goes on with the alias only", async () => {
    const { standin, context } = await bedrockAgent();
    standin.faults.next({ method: "POST", path: `/agents/${AGENT_ID}/`, status: 500, applied: true });
    await expect(runAction(disableActionGroup, cutInput, { dryRun: false, context })).rejects.toMatchObject({
      $metadata: { httpStatusCode: 500 },
    });
    const retry = await runAction(disableActionGroup, cutInput, { dryRun: false, context });
    expect(operationsOf(retry.writes)).toEqual(["UpdateAgentAlias"]);
    expect(writesSent(standin.operations())).toEqual(writeOperations);
    expect(retry.verified).toBe(`the alias serves version 4, where action group ${PAYMENTS_ID} is DISABLED`);
  });

  it("fails the step when the read-back finds the alias still on version 3 (the publish did not hold)", async () => {
    const { standin, context } = await bedrockAgent();
    // Bedrock answers 202 but neither makes a version nor routes the alias.
    standin.faults.next({
      method: "PUT",
      path: ALIAS_PATH,
      status: 202,
      applied: false,
      body: { agentAlias: {} },
    });
    const run = runAction(disableActionGroup, cutInput, { dryRun: false, context });
    await expect(run).rejects.toBeInstanceOf(VerificationFailed);
    await expect(run).rejects.toThrow(
      `read-back found: the alias serves version 3, where action group ${PAYMENTS_ID} is ENABLED`,
    );
  });

  describe("undo (given the output the applied run recorded)", () => {
    it("routes the alias back to version 3 and enables the tool in the draft again", async () => {
      const { standin, context } = await bedrockAgent();
      const applied = await runAction(disableActionGroup, cutInput, { dryRun: false, context });
      const before = standin.operations().length;
      const result = await runUndo(
        disableActionGroup,
        { input: applied.input, output: applied.output },
        { dryRun: false, context },
      );
      expect(result.mode).toBe("applied");
      // The alias first, then the draft.
      const undoOperations = ["UpdateAgentAlias", "UpdateAgentActionGroup", "PrepareAgent"];
      expect(operationsOf(result.writes)).toEqual(undoOperations);
      expect(writesSent(standin.operations().slice(before))).toEqual(undoOperations);
      expect(standin.updates.at(-1)?.body).toEqual({
        agentAliasName: "live",
        description: "Production alias of the support chat agent",
        routingConfiguration: [{ agentVersion: "3" }],
        aliasInvocationState: "ACCEPT_INVOCATIONS",
      });
      expect(standin.alias(AGENT_ID, ALIAS_ID)).toMatchObject({
        routingConfiguration: [{ agentVersion: "3" }],
      });
      const update = standin.requests.filter(
        (request) => request.method === "PUT" && request.path === GROUP_PATH,
      );
      expect(update.at(-1)?.body).toEqual(paymentsMembers("ENABLED"));
      expect(standin.actionGroup(AGENT_ID, "DRAFT", PAYMENTS_ID)).toMatchObject(paymentsMembers("ENABLED"));
      expect(standin.agent(AGENT_ID)).toMatchObject({ agentStatus: "PREPARED" });
      // No new version: the alias serves 3 again, and the draft matches it.
      expect(standin.agentVersions(AGENT_ID)).toEqual(["1", "2", "3", "4"]);
      const found = await runAction(
        findMisusedActionGroup,
        { details: alertDetails() },
        { dryRun: false, context },
      );
      expect(found.output).toMatchObject({ liveVersion: "3", draftInSync: true, alreadyCut: false });
    });

    it("refuses, writing nothing, when a human routed the alias elsewhere since", async () => {
      const { standin, context, journal } = await bedrockAgent();
      const applied = await runAction(disableActionGroup, cutInput, { dryRun: false, context });
      standin.routeByHand(AGENT_ID, ALIAS_ID, "2");
      const writesBefore = writesSent(standin.operations()).length;
      const entriesBefore = journal.length;
      const run = runUndo(
        disableActionGroup,
        { input: applied.input, output: applied.output },
        { dryRun: false, context },
      );
      await expect(run).rejects.toBeInstanceOf(TargetChanged);
      await expect(run).rejects.toThrow(
        "the alias now routes to 2, not the version Quell published: someone moved it since",
      );
      expect(writesSent(standin.operations())).toHaveLength(writesBefore);
      expect(journal).toHaveLength(entriesBefore);
      expect(standin.actionGroup(AGENT_ID, "DRAFT", PAYMENTS_ID)).toMatchObject({
        actionGroupState: "DISABLED",
      });
    });
  });
});
