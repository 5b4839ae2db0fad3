import {
  BedrockAgentClient,
  ConflictException,
  GetAgentActionGroupCommand,
  GetAgentAliasCommand,
  GetAgentCommand,
  GetAgentVersionCommand,
  GetDataSourceCommand,
  GetIngestionJobCommand,
  ListAgentActionGroupsCommand,
  ListDataSourcesCommand,
  ListIngestionJobsCommand,
  ListKnowledgeBasesCommand,
  PrepareAgentCommand,
  paginateListAgentActionGroups,
  ResourceNotFoundException,
  StartIngestionJobCommand,
  ThrottlingException,
  UpdateAgentActionGroupCommand,
  type UpdateAgentActionGroupCommandInput,
  UpdateAgentAliasCommand,
  ValidationException,
} from "@aws-sdk/client-bedrock-agent";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  BEDROCK_AGENT_ACCOUNT as ACCOUNT,
  BEDROCK_AGENT_ID as AGENT_ID,
  BEDROCK_AGENT_ALIAS_ID as ALIAS_ID,
  BEDROCK_ACTION_GROUP_PAYMENTS_NAME,
  BEDROCK_KB_BUCKET_ARN,
  BEDROCK_KB_DOCUMENTS,
  BEDROCK_PAYMENTS_LAMBDA_ARN,
  type BedrockAgentStandin,
  type BedrockAgentStandinOptions,
  BEDROCK_ACTION_GROUP_BOOKINGS_ID as BOOKINGS,
  BEDROCK_DATA_SOURCE_ID as DS,
  BEDROCK_KNOWLEDGE_BASE_ID as KB,
  BEDROCK_ACTION_GROUP_PAYMENTS_ID as PAYMENTS,
  startBedrockAgentStandin,
} from "../infra/local/standins/bedrock-agent.js";

const REGION = "us-east-1";
const GROUP_PATH = (version: string, id: string) =>
  `/agents/${AGENT_ID}/agentversions/${version}/actiongroups/${id}/`;
const JOBS_PATH = `/knowledgebases/${KB}/datasources/${DS}/ingestionjobs/`;
const SIGNED_FOR_BEDROCK = /^AWS4-HMAC-SHA256 Credential=local\/\d{8}\/us-east-1\/bedrock\/aws4_request, /;

let standin: BedrockAgentStandin;
let client: BedrockAgentClient;
const documentsCalls: { bucketArn: string; prefixes: string[] | undefined }[] = [];
/** What the S3 bucket holds when a job completes (documentsOf). */
let bucket: string[] = [];

async function start(options: BedrockAgentStandinOptions = {}, maxAttempts = 1) {
  standin = await startBedrockAgentStandin({
    documentsOf: (bucketArn, prefixes) => {
      documentsCalls.push({ bucketArn, prefixes });
      return bucket;
    },
    ...options,
  });
  client = new BedrockAgentClient({
    endpoint: standin.url,
    region: REGION,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    maxAttempts,
  });
}

beforeEach(async () => {
  documentsCalls.length = 0;
  bucket = [...BEDROCK_KB_DOCUMENTS];
  await start();
});
afterEach(async () => {
  client.destroy();
  await standin.close();
});

/** The payments group of the draft as an UpdateAgentActionGroup that keeps everything, with `changes`. */
const paymentsUpdate = (
  changes: Partial<UpdateAgentActionGroupCommandInput> = {},
): UpdateAgentActionGroupCommandInput => {
  const group = standin.actionGroup(AGENT_ID, "DRAFT", PAYMENTS) as Record<string, unknown>;
  return {
    agentId: AGENT_ID,
    agentVersion: "DRAFT",
    actionGroupId: PAYMENTS,
    actionGroupName: group.actionGroupName as string,
    actionGroupState: "ENABLED",
    description: group.description as string,
    actionGroupExecutor: group.actionGroupExecutor as { lambda: string },
    functionSchema: group.functionSchema as UpdateAgentActionGroupCommandInput["functionSchema"],
    ...changes,
  };
};

/** GetAgent until the agent is no longer PREPARING; the statuses read. */
async function untilPrepared(): Promise<string[]> {
  const seen: string[] = [];
  for (let i = 0; i < 5; i++) {
    const { agent } = await client.send(new GetAgentCommand({ agentId: AGENT_ID }));
    seen.push(String(agent?.agentStatus));
    if (agent?.agentStatus !== "PREPARING") break;
  }
  return seen;
}

/** Rewrite the JSON body the SDK serialised (before it signs it): members the SDK would not send. */
function rewriteBody(rewrite: (body: Record<string, unknown>) => Record<string, unknown>) {
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { body?: unknown; headers: Record<string, string> };
      const text =
        typeof request.body === "string"
          ? request.body
          : new TextDecoder().decode(request.body as Uint8Array);
      const body = JSON.stringify(rewrite(JSON.parse(text || "{}") as Record<string, unknown>));
      request.body = body;
      request.headers["content-length"] = String(Buffer.byteLength(body));
      return next(args);
    },
    { step: "build", name: "rewriteBody" },
  );
}

describe("agents and action groups, through the AWS SDK's BedrockAgentClient", () => {
  it("GetAgent answers the draft of the seeded agent, signed for bedrock", async () => {
    const { agent } = await client.send(new GetAgentCommand({ agentId: AGENT_ID }));
    expect(agent).toMatchObject({
      agentId: AGENT_ID,
      agentName: "support-chat-agent",
      agentArn: `arn:aws:bedrock:${REGION}:${ACCOUNT}:agent/${AGENT_ID}`,
      agentVersion: "DRAFT",
      agentStatus: "PREPARED",
      foundationModel: "anthropic.claude-3-5-sonnet-20240620-v1:0",
      idleSessionTTLInSeconds: 600,
      agentResourceRoleArn: expect.stringMatching(new RegExp(`^arn:aws:iam::${ACCOUNT}:role/`)),
      instruction: expect.stringContaining("support chat agent"),
    });
    expect(agent?.updatedAt).toEqual(new Date("2026-11-27T00:00:00.000Z"));
    expect(agent?.preparedAt).toEqual(new Date("2026-11-27T12:00:00.000Z"));
    expect(standin.operations()).toEqual(["GetAgent"]);
    expect(standin.requests[0]).toMatchObject({
      method: "GET",
      path: `/agents/${AGENT_ID}/`,
      authorization: expect.stringMatching(SIGNED_FOR_BEDROCK),
    });
  });

  it("PrepareAgent answers 202 PREPARING; GetAgent reads PREPARING once, then PREPARED; a second prepare meanwhile is a 409", async () => {
    const before = Date.now();
    const prepared = await client.send(new PrepareAgentCommand({ agentId: AGENT_ID }));
    expect(prepared).toMatchObject({ agentId: AGENT_ID, agentStatus: "PREPARING", agentVersion: "DRAFT" });
    expect(prepared.$metadata.httpStatusCode).toBe(202);
    expect(prepared.preparedAt?.getTime()).toBeGreaterThanOrEqual(before - 1000);
    await expect(client.send(new PrepareAgentCommand({ agentId: AGENT_ID }))).rejects.toBeInstanceOf(
      ConflictException,
    );
    expect(await untilPrepared()).toEqual(["PREPARING", "PREPARED"]);
    await client.send(new PrepareAgentCommand({ agentId: AGENT_ID }));
    expect(standin.requests.map(({ method, path }) => `${method} ${path}`)).toContain(
      `POST /agents/${AGENT_ID}/`,
    );
    expect(standin.operations()).toEqual([
      "PrepareAgent",
      "PrepareAgent",
      "GetAgent",
      "GetAgent",
      "PrepareAgent",
    ]);
  });

  it("preparingReads: 3 keeps the agent PREPARING for three reads", async () => {
    await standin.close();
    client.destroy();
    await start({ preparingReads: 3 });
    await client.send(new PrepareAgentCommand({ agentId: AGENT_ID }));
    expect(await untilPrepared()).toEqual(["PREPARING", "PREPARING", "PREPARING", "PREPARED"]);
  });

  it("GetAgentVersion answers numbered versions only", async () => {
    const { agentVersion } = await client.send(
      new GetAgentVersionCommand({ agentId: AGENT_ID, agentVersion: "3" }),
    );
    expect(agentVersion).toMatchObject({
      agentId: AGENT_ID,
      agentName: "support-chat-agent",
      version: "3",
      agentStatus: "PREPARED",
      foundationModel: "anthropic.claude-3-5-sonnet-20240620-v1:0",
      createdAt: new Date("2026-11-28T00:00:00.000Z"),
    });
    expect(standin.requests[0]?.path).toBe(`/agents/${AGENT_ID}/agentversions/3/`);
    await expect(
      client.send(new GetAgentVersionCommand({ agentId: AGENT_ID, agentVersion: "DRAFT" })),
    ).rejects.toBeInstanceOf(ValidationException);
    await expect(
      client.send(new GetAgentVersionCommand({ agentId: AGENT_ID, agentVersion: "9" })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it("ListAgentActionGroups lists DRAFT and numbered versions, a page at a time", async () => {
    const draft = await client.send(
      new ListAgentActionGroupsCommand({ agentId: AGENT_ID, agentVersion: "DRAFT" }),
    );
    expect(draft.actionGroupSummaries).toEqual([
      expect.objectContaining({
        actionGroupId: PAYMENTS,
        actionGroupName: "payments",
        actionGroupState: "ENABLED",
      }),
      expect.objectContaining({
        actionGroupId: BOOKINGS,
        actionGroupName: "bookings",
        actionGroupState: "ENABLED",
      }),
    ]);
    expect(draft.nextToken).toBeUndefined();
    expect(draft.actionGroupSummaries?.[0]?.updatedAt).toBeInstanceOf(Date);
    expect(standin.requests[0]).toMatchObject({
      method: "POST",
      path: `/agents/${AGENT_ID}/agentversions/DRAFT/actiongroups/`,
    });

    const first = await client.send(
      new ListAgentActionGroupsCommand({ agentId: AGENT_ID, agentVersion: "2", maxResults: 1 }),
    );
    expect(first.actionGroupSummaries?.map((group) => group.actionGroupId)).toEqual([PAYMENTS]);
    expect(first.nextToken).toEqual(expect.any(String));
    expect(standin.requests[1]?.body).toEqual({ maxResults: 1 });
    const ids: string[] = [];
    for await (const page of paginateListAgentActionGroups(
      { client, pageSize: 1 },
      { agentId: AGENT_ID, agentVersion: "2" },
    ))
      ids.push(...(page.actionGroupSummaries ?? []).map((group) => String(group.actionGroupId)));
    expect(ids).toEqual([PAYMENTS, BOOKINGS]);
    // A token is only good for the list it came from.
    await expect(
      client.send(
        new ListAgentActionGroupsCommand({
          agentId: AGENT_ID,
          agentVersion: "3",
          nextToken: first.nextToken,
        }),
      ),
    ).rejects.toBeInstanceOf(ValidationException);
    await expect(
      client.send(new ListAgentActionGroupsCommand({ agentId: AGENT_ID, agentVersion: "7" })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it("GetAgentActionGroup answers the payments group: its refund function and Lambda executor", async () => {
    const { agentActionGroup } = await client.send(
      new GetAgentActionGroupCommand({ agentId: AGENT_ID, agentVersion: "3", actionGroupId: PAYMENTS }),
    );
    expect(agentActionGroup).toMatchObject({
      agentId: AGENT_ID,
      agentVersion: "3",
      actionGroupId: PAYMENTS,
      actionGroupName: BEDROCK_ACTION_GROUP_PAYMENTS_NAME,
      actionGroupState: "ENABLED",
      actionGroupExecutor: { lambda: BEDROCK_PAYMENTS_LAMBDA_ARN },
      functionSchema: { functions: expect.arrayContaining([expect.objectContaining({ name: "refund" })]) },
    });
    expect(BEDROCK_PAYMENTS_LAMBDA_ARN).toMatch(new RegExp(`^arn:aws:lambda:us-east-1:${ACCOUNT}:function:`));
    expect(agentActionGroup?.createdAt).toBeInstanceOf(Date);
    expect(standin.requests[0]).toMatchObject({ method: "GET", path: GROUP_PATH("3", PAYMENTS) });
    const bookings = await client.send(
      new GetAgentActionGroupCommand({ agentId: AGENT_ID, agentVersion: "DRAFT", actionGroupId: BOOKINGS }),
    );
    expect(bookings.agentActionGroup?.apiSchema).toEqual({
      s3: { s3BucketName: "support-agent-schemas", s3ObjectKey: "bookings/openapi.json" },
    });
    await expect(
      client.send(
        new GetAgentActionGroupCommand({ agentId: AGENT_ID, agentVersion: "3", actionGroupId: "NOPE4EXAMP" }),
      ),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it("UpdateAgentActionGroup replaces the group: description and executor left out are gone; the draft is NOT_PREPARED", async () => {
    const before = standin.agent(AGENT_ID)?.updatedAt as string;
    const { description: _description, actionGroupExecutor: _executor, ...rest } = paymentsUpdate();
    const answer = await client.send(
      new UpdateAgentActionGroupCommand({ ...rest, actionGroupState: "DISABLED" }),
    );
    expect(answer.$metadata.httpStatusCode).toBe(200);
    expect(standin.requests[0]).toMatchObject({ method: "PUT", path: GROUP_PATH("DRAFT", PAYMENTS) });
    expect(answer.agentActionGroup).toMatchObject({ actionGroupState: "DISABLED", agentVersion: "DRAFT" });
    expect(answer.agentActionGroup).not.toHaveProperty("description");
    expect(answer.agentActionGroup).not.toHaveProperty("actionGroupExecutor");
    const draft = standin.actionGroup(AGENT_ID, "DRAFT", PAYMENTS);
    expect(draft).not.toHaveProperty("description");
    expect(draft).not.toHaveProperty("actionGroupExecutor");
    expect(draft?.functionSchema).toEqual(rest.functionSchema);
    // Versions are snapshots: version 3 keeps what it had.
    expect(standin.actionGroup(AGENT_ID, "3", PAYMENTS)).toMatchObject({
      actionGroupState: "ENABLED",
      description: expect.any(String),
      actionGroupExecutor: { lambda: BEDROCK_PAYMENTS_LAMBDA_ARN },
    });
    const { agent } = await client.send(new GetAgentCommand({ agentId: AGENT_ID }));
    expect(agent?.agentStatus).toBe("NOT_PREPARED");
    expect(agent?.updatedAt?.getTime()).toBeGreaterThan(Date.parse(before));
  });

  it("UpdateAgentActionGroup without functionSchema removes it, and without actionGroupState leaves the group ENABLED", async () => {
    standin.setActionGroupStateByHand(AGENT_ID, PAYMENTS, "DISABLED");
    const { functionSchema: _schema, actionGroupState: _state, ...rest } = paymentsUpdate();
    const { agentActionGroup } = await client.send(new UpdateAgentActionGroupCommand(rest));
    expect(agentActionGroup).not.toHaveProperty("functionSchema");
    expect(agentActionGroup?.actionGroupState).toBe("ENABLED");
    expect(agentActionGroup?.description).toBe(rest.description);
  });

  it("UpdateAgentActionGroup refuses a numbered version, unknown members and invalid unions, changing nothing", async () => {
    const version3 = standin.actionGroup(AGENT_ID, "3", PAYMENTS);
    const draft = standin.actionGroup(AGENT_ID, "DRAFT", PAYMENTS);
    const refused = client.send(new UpdateAgentActionGroupCommand(paymentsUpdate({ agentVersion: "3" })));
    await expect(refused).rejects.toBeInstanceOf(ValidationException);
    await expect(refused).rejects.toThrow(/agentVersion.*\^DRAFT\$/);
    expect(standin.requests[0]?.path).toBe(GROUP_PATH("3", PAYMENTS));
    await expect(
      client.send(
        new UpdateAgentActionGroupCommand(
          paymentsUpdate({ actionGroupExecutor: { lambda: "arn:aws:lambda:us-east-1:1:function:x" } }),
        ),
      ),
    ).rejects.toThrow(/actionGroupExecutor.lambda/);
    await expect(
      client.send(
        new UpdateAgentActionGroupCommand(paymentsUpdate({ apiSchema: { payload: "openapi: 3.0.0" } })),
      ),
    ).rejects.toThrow(/either apiSchema or functionSchema/);
    rewriteBody((body) => ({ ...body, clientToken: "a".repeat(40) }));
    await expect(client.send(new UpdateAgentActionGroupCommand(paymentsUpdate()))).rejects.toThrow(
      /UpdateAgentActionGroup has no member clientToken/,
    );
    expect(standin.actionGroup(AGENT_ID, "3", PAYMENTS)).toEqual(version3);
    expect(standin.actionGroup(AGENT_ID, "DRAFT", PAYMENTS)).toEqual(draft);
    expect(standin.agent(AGENT_ID)?.agentStatus).toBe("PREPARED");
  });

  it("DISABLED, PrepareAgent, then UpdateAgentAlias without routing: version 4, payments DISABLED there, ENABLED in 3", async () => {
    await client.send(new UpdateAgentActionGroupCommand(paymentsUpdate({ actionGroupState: "DISABLED" })));
    await client.send(new PrepareAgentCommand({ agentId: AGENT_ID }));
    expect(await untilPrepared()).toEqual(["PREPARING", "PREPARED"]);
    const updated = await client.send(
      new UpdateAgentAliasCommand({
        agentId: AGENT_ID,
        agentAliasId: ALIAS_ID,
        agentAliasName: "live",
        description: "Production alias of the support chat agent",
      }),
    );
    expect(updated.agentAlias?.routingConfiguration).toEqual([{ agentVersion: "4" }]);
    expect(updated.agentAlias?.agentAliasStatus).toBe("UPDATING");
    expect(standin.agentVersions(AGENT_ID)).toEqual(["1", "2", "3", "4"]);
    expect(standin.updates.map((update) => update.body)).toEqual([
      { agentAliasName: "live", description: "Production alias of the support chat agent" },
    ]);

    const v4 = await client.send(
      new GetAgentActionGroupCommand({ agentId: AGENT_ID, agentVersion: "4", actionGroupId: PAYMENTS }),
    );
    expect(v4.agentActionGroup?.actionGroupState).toBe("DISABLED");
    const v3 = await client.send(
      new GetAgentActionGroupCommand({ agentId: AGENT_ID, agentVersion: "3", actionGroupId: PAYMENTS }),
    );
    expect(v3.agentActionGroup?.actionGroupState).toBe("ENABLED");
    const { agentAlias } = await client.send(
      new GetAgentAliasCommand({ agentId: AGENT_ID, agentAliasId: ALIAS_ID }),
    );
    expect(agentAlias?.agentAliasHistoryEvents?.at(-1)?.routingConfiguration).toEqual([
      { agentVersion: "4" },
    ]);
    expect(agentAlias?.agentAliasHistoryEvents?.at(-2)?.endDate).toBeInstanceOf(Date);
    const { agentVersion } = await client.send(
      new GetAgentVersionCommand({ agentId: AGENT_ID, agentVersion: "4" }),
    );
    expect(agentVersion).toMatchObject({ version: "4", agentStatus: "PREPARED" });

    // Version 4 is frozen: changing the draft afterwards leaves it as it was.
    const frozen = standin.actionGroup(AGENT_ID, "4", PAYMENTS);
    expect(frozen).toMatchObject({ agentVersion: "4", actionGroupState: "DISABLED" });
    standin.setActionGroupStateByHand(AGENT_ID, PAYMENTS, "ENABLED");
    standin.updateDraftByHand(AGENT_ID, { instruction: "Changed by hand." });
    expect(standin.actionGroup(AGENT_ID, "4", PAYMENTS)).toEqual(frozen);
    const after = await client.send(new GetAgentVersionCommand({ agentId: AGENT_ID, agentVersion: "4" }));
    expect(after.agentVersion?.instruction).toBe(agentVersion?.instruction);
    expect(after.agentVersion?.instruction).not.toBe("Changed by hand.");
    expect(standin.operations()).toEqual([
      "UpdateAgentActionGroup",
      "PrepareAgent",
      "GetAgent",
      "GetAgent",
      "UpdateAgentAlias",
      "GetAgentActionGroup",
      "GetAgentActionGroup",
      "GetAgentAlias",
      "GetAgentVersion",
      "GetAgentVersion",
    ]);
  });

  it("UpdateAgentAlias without routing is refused while the draft is NOT_PREPARED (400) or PREPARING (409)", async () => {
    const alias = standin.alias(AGENT_ID, ALIAS_ID);
    const update = new UpdateAgentAliasCommand({
      agentId: AGENT_ID,
      agentAliasId: ALIAS_ID,
      agentAliasName: "live",
    });
    standin.setActionGroupStateByHand(AGENT_ID, PAYMENTS, "DISABLED");
    expect(standin.agent(AGENT_ID)?.agentStatus).toBe("NOT_PREPARED");
    const refused = client.send(update);
    await expect(refused).rejects.toBeInstanceOf(ValidationException);
    await expect(refused).rejects.toThrow(/NOT_PREPARED/);
    await client.send(new PrepareAgentCommand({ agentId: AGENT_ID }));
    await expect(client.send(update)).rejects.toBeInstanceOf(ConflictException);
    expect(standin.agentVersions(AGENT_ID)).toEqual(["1", "2", "3"]);
    expect(standin.alias(AGENT_ID, ALIAS_ID)).toEqual(alias);
    expect(standin.updates).toEqual([]);
    // An empty routing is not "no routing".
    await expect(
      client.send(
        new UpdateAgentAliasCommand({
          agentId: AGENT_ID,
          agentAliasId: ALIAS_ID,
          agentAliasName: "live",
          routingConfiguration: [],
        }),
      ),
    ).rejects.toThrow(/empty routingConfiguration/);
  });

  it("updateDraftByHand: the draft's fields change, NOT_PREPARED, a new updatedAt", async () => {
    standin.updateDraftByHand(AGENT_ID, { instruction: "Refund anything." });
    const { agent } = await client.send(new GetAgentCommand({ agentId: AGENT_ID }));
    expect(agent).toMatchObject({ instruction: "Refund anything.", agentStatus: "NOT_PREPARED" });
    expect(agent?.updatedAt?.getTime()).toBeGreaterThan(Date.parse("2026-11-27T00:00:00.000Z"));
  });
});

describe("knowledge bases and ingestion jobs, through the AWS SDK's BedrockAgentClient", () => {
  it("ListKnowledgeBases, ListDataSources and GetDataSource answer support-kb and its S3 data source", async () => {
    const bases = await client.send(new ListKnowledgeBasesCommand({}));
    expect(bases.knowledgeBaseSummaries).toEqual([
      expect.objectContaining({ knowledgeBaseId: KB, name: "support-kb", status: "ACTIVE" }),
    ]);
    const sources = await client.send(new ListDataSourcesCommand({ knowledgeBaseId: KB }));
    expect(sources.dataSourceSummaries).toEqual([
      expect.objectContaining({ knowledgeBaseId: KB, dataSourceId: DS, status: "AVAILABLE" }),
    ]);
    const { dataSource } = await client.send(
      new GetDataSourceCommand({ knowledgeBaseId: KB, dataSourceId: DS }),
    );
    expect(dataSource).toMatchObject({
      knowledgeBaseId: KB,
      dataSourceId: DS,
      dataSourceConfiguration: {
        type: "S3",
        s3Configuration: {
          bucketArn: BEDROCK_KB_BUCKET_ARN,
          inclusionPrefixes: ["kb/"],
          bucketOwnerAccountId: ACCOUNT,
        },
      },
    });
    expect(dataSource?.updatedAt).toBeInstanceOf(Date);
    expect(standin.requests.map(({ method, path }) => `${method} ${path}`)).toEqual([
      "POST /knowledgebases/",
      `POST /knowledgebases/${KB}/datasources/`,
      `GET /knowledgebases/${KB}/datasources/${DS}`,
    ]);
    expect(standin.operations()).toEqual(["ListKnowledgeBases", "ListDataSources", "GetDataSource"]);
    await expect(
      client.send(new GetDataSourceCommand({ knowledgeBaseId: KB, dataSourceId: "DS00000000" })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it("an ingestion job goes STARTING → IN_PROGRESS → COMPLETE; documentsOf is called at completion only", async () => {
    bucket = BEDROCK_KB_DOCUMENTS.filter((uri) => !uri.endsWith("warranty.md"));
    const started = await client.send(
      new StartIngestionJobCommand({ knowledgeBaseId: KB, dataSourceId: DS, description: "quarantine" }),
    );
    expect(started.$metadata.httpStatusCode).toBe(202);
    expect(started.ingestionJob).toMatchObject({ knowledgeBaseId: KB, dataSourceId: DS, status: "STARTING" });
    expect(started.ingestionJob?.ingestionJobId).toMatch(/^[0-9a-zA-Z]{10}$/);
    expect(standin.requests[0]).toMatchObject({ method: "PUT", path: JOBS_PATH });
    // The SDK fills the clientToken itself.
    expect(standin.ingestionJobs()[0]?.clientToken).toMatch(/^[0-9a-f-]{36}$/);
    const ingestionJobId = String(started.ingestionJob?.ingestionJobId);
    const get = () =>
      client.send(new GetIngestionJobCommand({ knowledgeBaseId: KB, dataSourceId: DS, ingestionJobId }));
    expect((await get()).ingestionJob?.status).toBe("STARTING");
    expect((await get()).ingestionJob?.status).toBe("IN_PROGRESS");
    expect(documentsCalls).toEqual([]);
    expect(standin.indexedDocuments(KB, DS)).toEqual([...BEDROCK_KB_DOCUMENTS]);
    const done = (await get()).ingestionJob;
    expect(done?.status).toBe("COMPLETE");
    expect(done?.statistics).toMatchObject({ numberOfDocumentsScanned: 2, numberOfDocumentsDeleted: 1 });
    expect(documentsCalls).toEqual([{ bucketArn: BEDROCK_KB_BUCKET_ARN, prefixes: ["kb/"] }]);
    expect(standin.indexedDocuments(KB, DS)).toEqual(bucket);
    expect((await get()).ingestionJob?.status).toBe("COMPLETE");
    expect(documentsCalls).toHaveLength(1);
    expect(standin.requests[1]?.path).toBe(`${JOBS_PATH}${ingestionJobId}`);
    expect(standin.operations()).toEqual([
      "StartIngestionJob",
      "GetIngestionJob",
      "GetIngestionJob",
      "GetIngestionJob",
      "GetIngestionJob",
    ]);
  });

  it("the same clientToken answers the same job; another job on the running data source is a 409", async () => {
    const clientToken = "quell-quarantine-0001-0002-0003-0004-0005";
    const start = (token: string) =>
      client.send(
        new StartIngestionJobCommand({ knowledgeBaseId: KB, dataSourceId: DS, clientToken: token }),
      );
    const first = await start(clientToken);
    const again = await start(clientToken);
    expect(again.ingestionJob?.ingestionJobId).toBe(first.ingestionJob?.ingestionJobId);
    expect(standin.ingestionJobs()).toHaveLength(1);
    const other = start("quell-quarantine-0001-0002-0003-0004-0006");
    await expect(other).rejects.toBeInstanceOf(ConflictException);
    await expect(other).rejects.toThrow(/STARTING/);
    expect(standin.ingestionJobs()).toHaveLength(1);
    await standin.completeIngestionJobs();
    expect(standin.ingestionJobs()[0]?.status).toBe("COMPLETE");
    expect(documentsCalls).toHaveLength(1);
    const next = await start("quell-quarantine-0001-0002-0003-0004-0006");
    expect(next.ingestionJob?.ingestionJobId).not.toBe(first.ingestionJob?.ingestionJobId);
    const listed = await client.send(new ListIngestionJobsCommand({ knowledgeBaseId: KB, dataSourceId: DS }));
    expect(listed.ingestionJobSummaries?.map((job) => job.status)).toEqual(["STARTING", "COMPLETE"]);
    const running = await client.send(
      new ListIngestionJobsCommand({
        knowledgeBaseId: KB,
        dataSourceId: DS,
        filters: [{ attribute: "STATUS", operator: "EQ", values: ["COMPLETE"] }],
      }),
    );
    expect(running.ingestionJobSummaries?.map((job) => job.ingestionJobId)).toEqual([
      first.ingestionJob?.ingestionJobId,
    ]);
  });

  it("a StartIngestionJob the SDK retries after an applied 500 starts one job (same clientToken)", async () => {
    await standin.close();
    client.destroy();
    await start({}, 2);
    standin.faults.next({ method: "PUT", path: JOBS_PATH, status: 500, applied: true });
    const started = await client.send(
      new StartIngestionJobCommand({ knowledgeBaseId: KB, dataSourceId: DS }),
    );
    expect(standin.requests).toHaveLength(2);
    expect(standin.ingestionJobs()).toHaveLength(1);
    expect(started.ingestionJob?.ingestionJobId).toBe(standin.ingestionJobs()[0]?.ingestionJobId);
  });

  it("ingestionReads: 0 completes a job at its first read; a documentsOf that throws fails it", async () => {
    await standin.close();
    client.destroy();
    await start({
      ingestionReads: 0,
      documentsOf: () => {
        throw new Error("bucket unreachable");
      },
    });
    const started = await client.send(
      new StartIngestionJobCommand({ knowledgeBaseId: KB, dataSourceId: DS }),
    );
    const { ingestionJob } = await client.send(
      new GetIngestionJobCommand({
        knowledgeBaseId: KB,
        dataSourceId: DS,
        ingestionJobId: String(started.ingestionJob?.ingestionJobId),
      }),
    );
    expect(ingestionJob).toMatchObject({ status: "FAILED", failureReasons: ["bucket unreachable"] });
    expect(standin.indexedDocuments(KB, DS)).toEqual([...BEDROCK_KB_DOCUMENTS]);
  });
});

describe("what every operation shares", () => {
  it("requires a SigV4 Authorization scoped to bedrock", async () => {
    const url = `${standin.url}/agents/${AGENT_ID}/`;
    const unsigned = await fetch(url);
    expect(unsigned.status).toBe(403);
    expect(unsigned.headers.get("x-amzn-errortype")).toBe("MissingAuthenticationTokenException");
    const otherService = await fetch(url, {
      headers: {
        authorization: `AWS4-HMAC-SHA256 Credential=local/20261207/us-east-1/execute-api/aws4_request, SignedHeaders=host, Signature=${"0".repeat(64)}`,
      },
    });
    expect(otherService.status).toBe(403);
    expect(otherService.headers.get("x-amzn-errortype")).toBe("IncompleteSignatureException");
    const bedrock = await fetch(url, {
      headers: {
        authorization: `AWS4-HMAC-SHA256 Credential=local/20261207/us-east-1/bedrock/aws4_request, SignedHeaders=host, Signature=${"0".repeat(64)}`,
      },
    });
    expect(bedrock.status).toBe(200);
    const unknown = await fetch(`${standin.url}/agents/${AGENT_ID}/agentversions/`);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get("x-amzn-errortype")).toBe("UnknownOperationException");
  });

  it("a queued fault answers the service's error JSON, and nothing changes when it is not applied", async () => {
    const group = standin.actionGroup(AGENT_ID, "DRAFT", PAYMENTS);
    standin.faults.next({ method: "PUT", path: GROUP_PATH("DRAFT", PAYMENTS), status: 429, applied: false });
    const throttled = client.send(
      new UpdateAgentActionGroupCommand(paymentsUpdate({ actionGroupState: "DISABLED" })),
    );
    await expect(throttled).rejects.toBeInstanceOf(ThrottlingException);
    await expect(throttled).rejects.toThrow("Rate exceeded");
    expect(standin.actionGroup(AGENT_ID, "DRAFT", PAYMENTS)).toEqual(group);
    standin.faults.next({ method: "PUT", path: JOBS_PATH, status: 409, applied: false });
    await expect(
      client.send(new StartIngestionJobCommand({ knowledgeBaseId: KB, dataSourceId: DS })),
    ).rejects.toBeInstanceOf(ConflictException);
    expect(standin.ingestionJobs()).toEqual([]);
    standin.faults.next({ method: "GET", path: `/agents/${AGENT_ID}/`, status: 500, applied: false });
    const failed = await client
      .send(new GetAgentCommand({ agentId: AGENT_ID }))
      .catch((error: unknown) => error);
    expect(failed).toMatchObject({ name: "InternalServerException", $metadata: { httpStatusCode: 500 } });
    expect(standin.faults.fired.map((fired) => fired.status)).toEqual([429, 409, 500]);
  });
});
