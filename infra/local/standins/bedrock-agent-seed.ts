/**
 * What the Agents for Amazon Bedrock stand-in (see bedrock-agent.ts) is seeded with: agents (their working draft,
 * numbered versions, action groups per version and aliases) and knowledge bases with their S3 data sources, in
 * the shapes the service's Get operations return them; and the default seed, the support chat agent with its
 * `payments` and `bookings` action groups and its knowledge base `support-kb`.
 */

export type AgentStatus =
  | "CREATING"
  | "PREPARING"
  | "PREPARED"
  | "NOT_PREPARED"
  | "DELETING"
  | "FAILED"
  | "VERSIONING"
  | "UPDATING";
export type ActionGroupState = "ENABLED" | "DISABLED";
export type ActionGroupExecutor = { lambda: string } | { customControl: "RETURN_CONTROL" };
export type ApiSchema = { s3: { s3BucketName?: string; s3ObjectKey?: string } } | { payload: string };
export type ParentActionGroupSignature =
  | "AMAZON.UserInput"
  | "AMAZON.CodeInterpreter"
  | "ANTHROPIC.Computer"
  | "ANTHROPIC.Bash"
  | "ANTHROPIC.TextEditor";

export interface FunctionParameter {
  type: "string" | "number" | "integer" | "boolean" | "array";
  description?: string;
  required?: boolean;
}

export interface AgentFunction {
  name: string;
  description?: string;
  parameters?: Record<string, FunctionParameter>;
  requireConfirmation?: "ENABLED" | "DISABLED";
}

/** An action group of one version of an agent, as GetAgentActionGroup returns it (without agentId/agentVersion). */
export interface ActionGroupSeed {
  actionGroupId: string;
  actionGroupName: string;
  actionGroupState: ActionGroupState;
  description?: string;
  actionGroupExecutor?: ActionGroupExecutor;
  apiSchema?: ApiSchema;
  functionSchema?: { functions: AgentFunction[] };
  parentActionSignature?: ParentActionGroupSignature;
  parentActionGroupSignatureParams?: Record<string, string>;
  /** ISO 8601. */
  createdAt: string;
  /** ISO 8601. */
  updatedAt: string;
}

/** The agent's own fields (DRAFT's, or a numbered version's). */
export interface AgentFieldsSeed {
  foundationModel?: string;
  instruction?: string;
  description?: string;
  /** Default 600. */
  idleSessionTTLInSeconds?: number;
  /** Default `arn:aws:iam::<account>:role/service-role/AmazonBedrockExecutionRoleForAgents_<agentName>`. */
  agentResourceRoleArn?: string;
  /** ISO 8601; default 2026-01-01. */
  createdAt?: string;
  /** ISO 8601; default createdAt. */
  updatedAt?: string;
}

export interface AgentDraftSeed extends AgentFieldsSeed {
  /** Default PREPARED. PREPARING reads as PREPARING for `preparingReads` GetAgent reads, then PREPARED. */
  agentStatus?: AgentStatus;
  /** ISO 8601; default updatedAt when the agent is PREPARED. */
  preparedAt?: string;
}

/** An agent apart from its aliases. */
export interface AgentDefinitionSeed {
  agentId: string;
  agentName: string;
  /** The numbered versions the agent has (DRAFT it always has). */
  versions: string[];
  /** The working draft's fields. */
  draft?: AgentDraftSeed;
  /** A numbered version's own fields; default the draft's (with the draft's createdAt as both dates). */
  versionFields?: Record<string, AgentFieldsSeed>;
  /** Action groups by version: "DRAFT" and numbered versions of `versions`; none when absent. */
  actionGroups?: Record<string, ActionGroupSeed[]>;
}

export type InvocationState = "ACCEPT_INVOCATIONS" | "REJECT_INVOCATIONS";

export interface AliasRouting {
  agentVersion: string;
  provisionedThroughput?: string;
}

export interface AliasHistoryEvent {
  routingConfiguration: AliasRouting[];
  /** ISO 8601. */
  startDate: string;
  /** ISO 8601; absent for the routing that is live now. */
  endDate?: string;
}

export interface AgentAliasSeed {
  agentAliasId: string;
  agentAliasName: string;
  description?: string;
  routingConfiguration: AliasRouting[];
  aliasInvocationState?: InvocationState;
  createdAt: string;
  updatedAt: string;
  history: AliasHistoryEvent[];
}

/** An agent: its draft, numbered versions and their action groups (see AgentDefinitionSeed), and its aliases. */
export interface AgentSeed extends AgentDefinitionSeed {
  aliases: AgentAliasSeed[];
}

export const BEDROCK_AGENT_ACCOUNT = "111122223333";
export const BEDROCK_AGENT_REGION = "us-east-1";
export const BEDROCK_AGENT_ID = "AGT7EXAMPL";
export const BEDROCK_AGENT_ALIAS_ID = "ALS4EXAMPL";
export const BEDROCK_AGENT_ALIAS_ARN = `arn:aws:bedrock:${BEDROCK_AGENT_REGION}:${BEDROCK_AGENT_ACCOUNT}:agent-alias/${BEDROCK_AGENT_ID}/${BEDROCK_AGENT_ALIAS_ID}`;
export const BEDROCK_ACTION_GROUP_PAYMENTS_ID = "AGP4EXAMPL";
export const BEDROCK_ACTION_GROUP_PAYMENTS_NAME = "payments";
export const BEDROCK_ACTION_GROUP_BOOKINGS_ID = "AGB4EXAMPL";
export const BEDROCK_ACTION_GROUP_BOOKINGS_NAME = "bookings";
export const BEDROCK_PAYMENTS_LAMBDA_ARN = `arn:aws:lambda:${BEDROCK_AGENT_REGION}:${BEDROCK_AGENT_ACCOUNT}:function:support-agent-payments`;
export const BEDROCK_BOOKINGS_LAMBDA_ARN = `arn:aws:lambda:${BEDROCK_AGENT_REGION}:${BEDROCK_AGENT_ACCOUNT}:function:support-agent-bookings`;

/** The support chat agent's action groups `payments` (refund, get_payment) and `bookings`, ENABLED, as of `at`. */
export function supportActionGroups(at: string): ActionGroupSeed[] {
  return [
    {
      actionGroupId: BEDROCK_ACTION_GROUP_PAYMENTS_ID,
      actionGroupName: BEDROCK_ACTION_GROUP_PAYMENTS_NAME,
      actionGroupState: "ENABLED",
      description: "Look up a customer's payments and refund them to the original payment method",
      actionGroupExecutor: { lambda: BEDROCK_PAYMENTS_LAMBDA_ARN },
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
      createdAt: "2026-05-20T00:00:00.000Z",
      updatedAt: at,
    },
    {
      actionGroupId: BEDROCK_ACTION_GROUP_BOOKINGS_ID,
      actionGroupName: BEDROCK_ACTION_GROUP_BOOKINGS_NAME,
      actionGroupState: "ENABLED",
      description: "Find, change and cancel the customer's bookings",
      actionGroupExecutor: { lambda: BEDROCK_BOOKINGS_LAMBDA_ARN },
      apiSchema: { s3: { s3BucketName: "support-agent-schemas", s3ObjectKey: "bookings/openapi.json" } },
      createdAt: "2026-05-20T00:00:00.000Z",
      updatedAt: at,
    },
  ];
}

/**
 * The support chat agent with versions 1 to 3 and its alias "live", on version 3 since 2026-11-28 (after 1 and
 * 2), with `aliasChanges` applied to the alias (another routing, no history, paused, …). Its action groups
 * `payments` and `bookings` are ENABLED in DRAFT and in versions 1 to 3; version 3 is the prepared draft as it is
 * (no unreleased change).
 */
export function bedrockAgentSeed(aliasChanges: Partial<AgentAliasSeed> = {}): AgentSeed {
  const v = (agentVersion: string) => [{ agentVersion }];
  const released = {
    "1": "2026-06-01T00:00:00.000Z",
    "2": "2026-09-15T00:00:00.000Z",
    "3": "2026-11-28T00:00:00.000Z",
  };
  const draftChanged = "2026-11-27T00:00:00.000Z";
  const fields: AgentFieldsSeed = {
    foundationModel: "anthropic.claude-3-5-sonnet-20240620-v1:0",
    instruction:
      "You are the support chat agent of Example Corp. Answer customers' questions about their orders and bookings " +
      "from the support knowledge base, change bookings, and refund payments within the refund policy.",
    description: "Customer support chat agent",
    idleSessionTTLInSeconds: 600,
    agentResourceRoleArn: `arn:aws:iam::${BEDROCK_AGENT_ACCOUNT}:role/service-role/AmazonBedrockExecutionRoleForAgents_support`,
  };
  return {
    agentId: BEDROCK_AGENT_ID,
    agentName: "support-chat-agent",
    versions: ["1", "2", "3"],
    draft: {
      ...fields,
      agentStatus: "PREPARED",
      createdAt: "2026-05-20T00:00:00.000Z",
      updatedAt: draftChanged,
      preparedAt: "2026-11-27T12:00:00.000Z",
    },
    versionFields: Object.fromEntries(
      Object.entries(released).map(([version, at]) => [version, { ...fields, createdAt: at, updatedAt: at }]),
    ),
    actionGroups: {
      DRAFT: supportActionGroups(draftChanged),
      "1": supportActionGroups("2026-05-31T00:00:00.000Z"),
      "2": supportActionGroups("2026-09-14T00:00:00.000Z"),
      "3": supportActionGroups(draftChanged),
    },
    aliases: [
      {
        agentAliasId: BEDROCK_AGENT_ALIAS_ID,
        agentAliasName: "live",
        description: "Production alias of the support chat agent",
        routingConfiguration: v("3"),
        aliasInvocationState: "ACCEPT_INVOCATIONS",
        createdAt: "2026-06-01T00:00:00.000Z",
        updatedAt: "2026-11-28T00:00:00.000Z",
        history: [
          {
            routingConfiguration: v("1"),
            startDate: "2026-06-01T00:00:00.000Z",
            endDate: "2026-09-15T00:00:00.000Z",
          },
          {
            routingConfiguration: v("2"),
            startDate: "2026-09-15T00:00:00.000Z",
            endDate: "2026-11-28T00:00:00.000Z",
          },
          { routingConfiguration: v("3"), startDate: "2026-11-28T00:00:00.000Z" },
        ],
        ...aliasChanges,
      },
    ],
  };
}

export type KnowledgeBaseStatus =
  | "CREATING"
  | "ACTIVE"
  | "DELETING"
  | "UPDATING"
  | "FAILED"
  | "DELETE_UNSUCCESSFUL";

export interface S3DataSourceConfiguration {
  bucketArn: string;
  inclusionPrefixes?: string[];
  bucketOwnerAccountId?: string;
}

export interface DataSourceSeed {
  dataSourceId: string;
  name: string;
  description?: string;
  /** Default AVAILABLE. */
  status?: "AVAILABLE" | "DELETING" | "DELETE_UNSUCCESSFUL";
  s3Configuration: S3DataSourceConfiguration;
  dataDeletionPolicy?: "RETAIN" | "DELETE";
  /** ISO 8601. */
  createdAt: string;
  /** ISO 8601. */
  updatedAt: string;
  /** What the knowledge base indexes from this data source now, as `s3://bucket/key` URIs. */
  indexedDocuments?: string[];
}

export interface KnowledgeBaseSeed {
  knowledgeBaseId: string;
  name: string;
  description?: string;
  /** Default ACTIVE. */
  status?: KnowledgeBaseStatus;
  /** ISO 8601. */
  createdAt: string;
  /** ISO 8601. */
  updatedAt: string;
  dataSources: DataSourceSeed[];
}

export const BEDROCK_KNOWLEDGE_BASE_ID = "KB12EXAMPL";
export const BEDROCK_KNOWLEDGE_BASE_NAME = "support-kb";
export const BEDROCK_DATA_SOURCE_ID = "DS12EXAMPL";
export const BEDROCK_DATA_SOURCE_NAME = "support-kb-docs";
export const BEDROCK_KB_BUCKET_ARN = "arn:aws:s3:::support-kb-docs";
export const BEDROCK_KB_INCLUSION_PREFIXES: readonly string[] = ["kb/"];
export const BEDROCK_KB_DOCUMENTS: readonly string[] = [
  "s3://support-kb-docs/kb/refund-policy.md",
  "s3://support-kb-docs/kb/shipping-faq.md",
  "s3://support-kb-docs/kb/warranty.md",
];

/** The support chat agent's knowledge base `support-kb`: one S3 data source over support-kb-docs/kb/. */
export function bedrockKnowledgeBaseSeed(dataSourceChanges: Partial<DataSourceSeed> = {}): KnowledgeBaseSeed {
  return {
    knowledgeBaseId: BEDROCK_KNOWLEDGE_BASE_ID,
    name: BEDROCK_KNOWLEDGE_BASE_NAME,
    description: "Support articles the support chat agent answers from",
    status: "ACTIVE",
    createdAt: "2026-05-20T00:00:00.000Z",
    updatedAt: "2026-11-20T00:00:00.000Z",
    dataSources: [
      {
        dataSourceId: BEDROCK_DATA_SOURCE_ID,
        name: BEDROCK_DATA_SOURCE_NAME,
        description: "Support articles in S3",
        status: "AVAILABLE",
        s3Configuration: {
          bucketArn: BEDROCK_KB_BUCKET_ARN,
          inclusionPrefixes: [...BEDROCK_KB_INCLUSION_PREFIXES],
          bucketOwnerAccountId: BEDROCK_AGENT_ACCOUNT,
        },
        dataDeletionPolicy: "DELETE",
        createdAt: "2026-05-20T00:00:00.000Z",
        updatedAt: "2026-11-20T00:00:00.000Z",
        indexedDocuments: [...BEDROCK_KB_DOCUMENTS],
        ...dataSourceChanges,
      },
    ],
  };
}
