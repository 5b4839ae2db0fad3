import { BedrockAgentClient } from "@aws-sdk/client-bedrock-agent";
import { afterEach, describe, expect, it } from "vitest";
import { findAgentAliasRollbackTarget } from "../../functions/actions/bedrock-agent-find-alias-target/action.js";
import { pauseAgentAlias } from "../../functions/actions/bedrock-agent-pause-alias/action.js";
import { routeAgentAliasToVersion } from "../../functions/actions/bedrock-agent-route-alias/action.js";
import type { AnyAction } from "../../functions/actions/contract.js";
import { runAction, runUndo } from "../../functions/actions/run.js";
import { TargetChanged, ValidationError, VerificationFailed } from "../../functions/shared/errors.js";
import {
  BEDROCK_AGENT_ID as AGENT_ID,
  type AgentAliasSeed,
  type AgentSeed,
  BEDROCK_AGENT_ALIAS_ID as ALIAS_ID,
  BEDROCK_AGENT_ALIAS_ARN as ARN,
  type BedrockAgentStandin,
  bedrockAgentSeed,
  startBedrockAgentStandin,
} from "../../infra/local/standins/bedrock-agent.js";
import { contextWith, type JournalEntry, recordingJournal } from "./action-context-doubles.js";

const PATH = `/agents/${AGENT_ID}/agentaliases/${ALIAS_ID}/`;
const DESCRIPTION = "Production alias of the support chat agent";
const IDENTITY = { agentId: AGENT_ID, agentAliasId: ALIAS_ID, aliasName: "live" };
const ALIAS_TEXT = `alias "live" (${AGENT_ID}/${ALIAS_ID})`;

let standin: BedrockAgentStandin | undefined;
let client: BedrockAgentClient | undefined;
afterEach(async () => {
  client?.destroy();
  await standin?.close();
  [client, standin] = [undefined, undefined];
});

/** The seeded agent with its alias changed by `changes`. */
const seed = (changes: Partial<AgentAliasSeed>) => [bedrockAgentSeed(changes)];

/** The stand-in (seeded with `agents`, by default the support chat agent) and a context whose real client calls it. */
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

/** The UpdateAgentAlias the actions send for the seeded alias: everything kept but `change`. */
const fullUpdate = (change: { version?: string; state?: string } = {}) => ({
  agentId: AGENT_ID,
  agentAliasId: ALIAS_ID,
  agentAliasName: "live",
  description: DESCRIPTION,
  routingConfiguration: [{ agentVersion: change.version ?? "3" }],
  aliasInvocationState: change.state ?? "ACCEPT_INVOCATIONS",
});
/** The same request as the stand-in received it: the ids in the path, the rest in the JSON body. */
const putBody = ({ agentId: _agent, agentAliasId: _alias, ...body }: ReturnType<typeof fullUpdate>) => body;
const updateWrite = (change: { version?: string; state?: string }) => ({
  kind: "aws",
  service: "bedrock-agent",
  operation: "UpdateAgentAlias",
  input: fullUpdate(change),
});

const sentWrites = (journal: JournalEntry[]) => journal.filter((entry) => "attempted" in entry);

describe("bedrock-agent.find-alias-rollback-target", () => {
  const find = async (agents?: AgentSeed[]) => {
    const { standin, context } = await bedrockAgent(agents);
    const result = await runAction(
      findAgentAliasRollbackTarget,
      { aliasArn: ARN },
      { dryRun: false, context },
    );
    expect(standin.operations()).toEqual(["GetAgentAlias"]);
    expect(result.writes).toEqual([]);
    return result.output;
  };

  it("reads the alias once (GET, signed for bedrock) and picks the last version before the current one", async () => {
    const { standin, context } = await bedrockAgent();
    const result = await runAction(
      findAgentAliasRollbackTarget,
      { aliasArn: ARN },
      { dryRun: false, context },
    );
    expect(standin.requests).toMatchObject([
      {
        method: "GET",
        path: PATH,
        body: undefined,
        authorization: expect.stringMatching(
          /^AWS4-HMAC-SHA256 Credential=local\/\d{8}\/us-east-1\/bedrock\/aws4_request, /,
        ),
      },
    ]);
    expect(result).toMatchObject({ mode: "applied", writes: [] });
    expect(result.output).toEqual({
      ...IDENTITY,
      currentVersion: "3",
      targetVersion: "2",
      targetLastLiveAt: "2026-11-28T00:00:00.000Z",
      chosenBy:
        "the alias's own history (agentAliasHistoryEvents): the most recent other numbered version it routed to",
      found: true,
      why: "version 2 was live until 2026-11-28T00:00:00.000Z: the most recent version other than the current 3 in the alias's history",
    });
  });

  it("finds nothing for an alias without history, and says so", async () => {
    expect(await find(seed({ history: [] }))).toMatchObject({
      currentVersion: "3",
      targetVersion: null,
      targetLastLiveAt: null,
      found: false,
      why: "the alias has no history (agentAliasHistoryEvents is empty): nothing shows which version was live before 3",
    });
  });

  it("finds nothing for an alias routed to DRAFT", async () => {
    expect(await find(seed({ routingConfiguration: [{ agentVersion: "DRAFT" }] }))).toMatchObject({
      currentVersion: "DRAFT",
      targetVersion: null,
      found: false,
      why: "the alias routes to DRAFT, the agent's working draft, not a numbered version: there is no released version to roll back from",
    });
  });

  it("finds nothing when the history shows only the current version and DRAFT", async () => {
    const history = [
      {
        routingConfiguration: [{ agentVersion: "DRAFT" }],
        startDate: "2026-06-01T00:00:00Z",
        endDate: "2026-07-01T00:00:00Z",
      },
      { routingConfiguration: [{ agentVersion: "3" }], startDate: "2026-07-01T00:00:00Z" },
    ];
    expect(await find(seed({ history }))).toMatchObject({
      targetVersion: null,
      found: false,
      why: "the alias's history (2 events in agentAliasHistoryEvents) shows no ended routing to a single numbered version other than the current 3",
    });
  });

  it("after a rollback to 2, finds 3 (the history the service keeps moved on)", async () => {
    const { standin, context } = await bedrockAgent();
    standin.routeByHand(AGENT_ID, ALIAS_ID, "2");
    const result = await runAction(
      findAgentAliasRollbackTarget,
      { aliasArn: ARN },
      { dryRun: false, context },
    );
    expect(result.output).toMatchObject({ currentVersion: "2", targetVersion: "3", found: true });
  });
});

describe("bedrock-agent.route-alias-to-version", () => {
  const input = { aliasArn: ARN, expectedVersion: "3", targetVersion: "2" };

  it("in dry run records the UpdateAgentAlias it would send (everything kept but the version), sends only the read", async () => {
    const { standin, context } = await bedrockAgent();
    const result = await runAction(routeAgentAliasToVersion, input, { dryRun: true, context });
    expect(result).toMatchObject({ mode: "planned", writes: [updateWrite({ version: "2" })] });
    expect(result.output).toEqual({ ...IDENTITY, replacedVersion: "3", routedVersion: "2" });
    expect(standin.operations()).toEqual(["GetAgentAlias"]);
  });

  it("routes the alias to the target, then reads it back until it is PREPARED", async () => {
    const { standin, context, journal } = await bedrockAgent();
    const result = await runAction(routeAgentAliasToVersion, input, { dryRun: false, context });
    expect(standin.operations()).toEqual([
      "GetAgentAlias",
      "UpdateAgentAlias",
      "GetAgentAlias",
      "GetAgentAlias",
    ]);
    expect(standin.requests[1]).toMatchObject({
      method: "PUT",
      path: PATH,
      contentType: "application/json",
      body: putBody(fullUpdate({ version: "2" })),
    });
    expect(standin.answered.map((answer) => answer.status)).toEqual([200, 202, 200, 200]);
    expect(result).toMatchObject({
      mode: "applied",
      verified: `${ALIAS_TEXT}: PREPARED, routes to version 2`,
    });
    expect(sentWrites(journal)).toEqual([{ attempted: updateWrite({ version: "2" }) }]);
    const alias = standin.alias(AGENT_ID, ALIAS_ID);
    expect(alias).toMatchObject({ routingConfiguration: [{ agentVersion: "2" }], description: DESCRIPTION });
    expect(alias?.agentAliasHistoryEvents).toMatchObject([
      { routingConfiguration: [{ agentVersion: "1" }] },
      { routingConfiguration: [{ agentVersion: "2" }] },
      { routingConfiguration: [{ agentVersion: "3" }], endDate: expect.any(String) },
      { routingConfiguration: [{ agentVersion: "2" }] },
    ]);
  });

  it("keeps a paused state and the provisioned throughput the alias routes through", async () => {
    const throughput = "arn:aws:bedrock:us-east-1:111122223333:provisioned-model/abcdef123456";
    const { standin, context } = await bedrockAgent(
      seed({
        routingConfiguration: [{ agentVersion: "3", provisionedThroughput: throughput }],
        aliasInvocationState: "REJECT_INVOCATIONS",
      }),
    );
    await runAction(routeAgentAliasToVersion, input, { dryRun: false, context });
    expect(standin.updates.map((update) => update.body)).toEqual([
      {
        ...putBody(fullUpdate({ state: "REJECT_INVOCATIONS" })),
        routingConfiguration: [{ agentVersion: "2", provisionedThroughput: throughput }],
      },
    ]);
  });

  it("writes nothing when the alias already routes to the target", async () => {
    const { standin, context } = await bedrockAgent();
    standin.routeByHand(AGENT_ID, ALIAS_ID, "2");
    const result = await runAction(routeAgentAliasToVersion, input, { dryRun: false, context });
    expect(result).toMatchObject({ mode: "applied", writes: [], verified: null });
    expect(standin.operations()).toEqual(["GetAgentAlias"]);
  });

  it("refuses, writing nothing, when the alias no longer routes to the version the approval was given for", async () => {
    const { standin, context, journal } = await bedrockAgent();
    standin.routeByHand(AGENT_ID, ALIAS_ID, "1");
    const run = runAction(routeAgentAliasToVersion, input, { dryRun: false, context });
    await expect(run).rejects.toBeInstanceOf(TargetChanged);
    await expect(run).rejects.toThrow(
      `${ALIAS_TEXT} routes to version 1, not the version 3 the approval was given for: someone changed it since; nothing was written`,
    );
    expect(standin.updates).toEqual([]);
    expect(journal).toEqual([]);
  });

  it("fails the step when the service refuses the version (Bedrock's 400 ValidationException)", async () => {
    const { standin, context } = await bedrockAgent();
    const run = runAction(
      routeAgentAliasToVersion,
      { ...input, targetVersion: "7" },
      { dryRun: false, context },
    );
    await expect(run).rejects.toThrow("Agent version 7 does not exist for this agent.");
    expect(standin.answered.map((answer) => answer.status)).toEqual([200, 400]);
    expect(standin.alias(AGENT_ID, ALIAS_ID)).toMatchObject({
      routingConfiguration: [{ agentVersion: "3" }],
    });
  });

  it("fails the step when the read-back does not find the target (the update did not hold)", async () => {
    const { standin, context } = await bedrockAgent();
    // Bedrock answers 202 but changes nothing.
    standin.faults.next({ method: "PUT", path: PATH, status: 202, applied: false, body: { agentAlias: {} } });
    const run = runAction(routeAgentAliasToVersion, input, { dryRun: false, context });
    await expect(run).rejects.toBeInstanceOf(VerificationFailed);
    await expect(run).rejects.toThrow(`read-back found: ${ALIAS_TEXT}: PREPARED, routes to version 3`);
  });

  describe("undo (given the output the applied run recorded)", () => {
    const applied = { input, output: { ...IDENTITY, replacedVersion: "3", routedVersion: "2" } };

    it("routes the alias back to the version it replaced, everything else kept", async () => {
      const { standin, context } = await bedrockAgent();
      await runAction(routeAgentAliasToVersion, input, { dryRun: false, context });
      const result = await runUndo(routeAgentAliasToVersion, applied, { dryRun: false, context });
      expect(result.writes).toEqual([updateWrite({ version: "3" })]);
      expect(standin.updates.map((update) => update.body)).toEqual([
        putBody(fullUpdate({ version: "2" })),
        putBody(fullUpdate({ version: "3" })),
      ]);
      expect(standin.alias(AGENT_ID, ALIAS_ID)).toMatchObject({
        routingConfiguration: [{ agentVersion: "3" }],
      });
    });

    it("writes nothing when the alias is already back on the replaced version", async () => {
      const { standin, context } = await bedrockAgent();
      const result = await runUndo(routeAgentAliasToVersion, applied, { dryRun: false, context });
      expect(result.writes).toEqual([]);
      expect(standin.operations()).toEqual(["GetAgentAlias"]);
    });

    it("refuses, writing nothing, when a human routed the alias elsewhere after Quell", async () => {
      const { standin, context } = await bedrockAgent();
      await runAction(routeAgentAliasToVersion, input, { dryRun: false, context });
      standin.routeByHand(AGENT_ID, ALIAS_ID, "1");
      const run = runUndo(routeAgentAliasToVersion, applied, { dryRun: false, context });
      await expect(run).rejects.toBeInstanceOf(TargetChanged);
      await expect(run).rejects.toThrow(
        `${ALIAS_TEXT} routes to version 1, not the version 2 Quell routed it to`,
      );
      expect(standin.updates).toHaveLength(1);
    });
  });
});

describe("bedrock-agent.pause-alias", () => {
  const input = { aliasArn: ARN };
  const output = (previousInvocationState: string) => ({ ...IDENTITY, previousInvocationState });

  it("sets REJECT_INVOCATIONS with everything else kept, then reads it back", async () => {
    const { standin, context } = await bedrockAgent();
    const result = await runAction(pauseAgentAlias, input, { dryRun: false, context });
    expect(result).toMatchObject({
      mode: "applied",
      output: output("ACCEPT_INVOCATIONS"),
      writes: [updateWrite({ state: "REJECT_INVOCATIONS" })],
      verified: `${ALIAS_TEXT}: PREPARED, REJECT_INVOCATIONS`,
    });
    expect(standin.operations()).toEqual([
      "GetAgentAlias",
      "UpdateAgentAlias",
      "GetAgentAlias",
      "GetAgentAlias",
    ]);
    expect(standin.requests[1]?.body).toEqual(putBody(fullUpdate({ state: "REJECT_INVOCATIONS" })));
    // Pausing is not a routing change: the history is as it was.
    expect(standin.alias(AGENT_ID, ALIAS_ID)?.agentAliasHistoryEvents).toHaveLength(3);
  });

  it("writes nothing when the alias already rejects invocations", async () => {
    const { standin, context } = await bedrockAgent(seed({ aliasInvocationState: "REJECT_INVOCATIONS" }));
    const result = await runAction(pauseAgentAlias, input, { dryRun: false, context });
    expect(result).toMatchObject({ writes: [], output: output("REJECT_INVOCATIONS"), verified: null });
    expect(standin.operations()).toEqual(["GetAgentAlias"]);
  });

  it("undo resumes the alias, keeping the routing a human changed meanwhile", async () => {
    const { standin, context } = await bedrockAgent();
    await runAction(pauseAgentAlias, input, { dryRun: false, context });
    standin.routeByHand(AGENT_ID, ALIAS_ID, "2");
    const result = await runUndo(
      pauseAgentAlias,
      { input, output: output("ACCEPT_INVOCATIONS") },
      { dryRun: false, context },
    );
    expect(result.writes).toEqual([updateWrite({ version: "2", state: "ACCEPT_INVOCATIONS" })]);
    expect(standin.alias(AGENT_ID, ALIAS_ID)).toMatchObject({
      aliasInvocationState: "ACCEPT_INVOCATIONS",
      routingConfiguration: [{ agentVersion: "2" }],
    });
  });

  it("undo writes nothing when someone already resumed the alias", async () => {
    const { standin, context } = await bedrockAgent();
    await runAction(pauseAgentAlias, input, { dryRun: false, context });
    standin.setInvocationStateByHand(AGENT_ID, ALIAS_ID, "ACCEPT_INVOCATIONS");
    const result = await runUndo(
      pauseAgentAlias,
      { input, output: output("ACCEPT_INVOCATIONS") },
      { dryRun: false, context },
    );
    expect(result.writes).toEqual([]);
    expect(standin.updates).toHaveLength(1);
  });
});

describe("input the alias actions refuse before calling Bedrock", () => {
  const base = "arn:aws:bedrock:us-east-1:111122223333:agent-alias";
  const hostile = [
    "arn:aws:iam::111122223333:role/quell",
    "arn:aws:bedrock:us-east-1:111122223333:flow-alias/AGT7EXAMPL/ALS4EXAMPL",
    "arn:aws:bedrock:us-east-1:111122223333:agent/AGT7EXAMPL",
    `${base}/AGT7EXAMPL/../ALS4EXAMPL`,
    `${base}/AGT7EXAMPL/ALS4EXAMPL/`,
    `${base}/agt7exampl/als4exampl`,
    `${base}/AGT7EXAMPL/ALS4EXAMPL\n`,
    `${ARN}${"A".repeat(2049 - ARN.length)}`,
    "",
  ];
  const actions: [string, AnyAction, Record<string, string>][] = [
    [findAgentAliasRollbackTarget.name, findAgentAliasRollbackTarget, {}],
    [routeAgentAliasToVersion.name, routeAgentAliasToVersion, { expectedVersion: "3", targetVersion: "2" }],
    [pauseAgentAlias.name, pauseAgentAlias, {}],
  ];

  it.each(actions)(
    "%s refuses another service's ARN, a path, junk and 2049 characters",
    async (_name, action, rest) => {
      const { standin, context } = await bedrockAgent();
      expect(hostile.at(-2)).toHaveLength(2049);
      for (const aliasArn of hostile) {
        const run = runAction(action, { aliasArn, ...rest }, { dryRun: false, context });
        await expect(run).rejects.toBeInstanceOf(ValidationError);
        await expect(run).rejects.toMatchObject({
          issues: expect.arrayContaining([expect.objectContaining({ path: "aliasArn" })]),
        });
      }
      expect(standin.requests).toEqual([]);
    },
  );

  it("refuses versions that are not numbered, and a target equal to the expected version", async () => {
    const { standin, context } = await bedrockAgent();
    for (const [expectedVersion, targetVersion] of [
      ["3", "DRAFT"],
      ["3", "0"],
      ["3", "2.0"],
      ["3", " 2"],
      ["3", "123456"],
      ["DRAFT", "2"],
      ["3", "3"],
    ]) {
      const run = runAction(
        routeAgentAliasToVersion,
        { aliasArn: ARN, expectedVersion, targetVersion },
        {
          dryRun: false,
          context,
        },
      );
      await expect(run).rejects.toBeInstanceOf(ValidationError);
    }
    expect(standin.requests).toEqual([]);
  });

  it("refuses an alias in another region than the one the client calls, before any call", async () => {
    const { standin, context } = await bedrockAgent();
    const run = runAction(
      pauseAgentAlias,
      { aliasArn: ARN.replace("us-east-1", "eu-west-1") },
      { dryRun: false, context },
    );
    await expect(run).rejects.toThrow(
      "the alias is in eu-west-1, but this action calls Bedrock in us-east-1: nothing was read or written",
    );
    expect(standin.requests).toEqual([]);
  });
});
