import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { actions } from "../../../functions/actions/registry.js";
import { actionRoleName } from "../../../functions/shared/action-session.js";
import { EnvNames, SecretNames } from "../../../functions/shared/env.js";
import { type AnthropicKeySeed, type AnthropicStandin, startAnthropicStandin } from "./anthropic.js";
import { type BedrockStandin, type GuardrailSeed, startBedrockStandin } from "./bedrock.js";
import { type AgentSeed, type BedrockAgentStandin, startBedrockAgentStandin } from "./bedrock-agent.js";
import { type GitHubAlertSeed, type GitHubStandin, startGitHubStandin } from "./github.js";
import {
  type IamStandin,
  type IamUserSeed,
  type RoleSeed,
  type ServiceCredentialSeed,
  startIamStandin,
} from "./iam.js";
import {
  type LiteLLMCustomerSeed,
  type LiteLLMKeySeed,
  type LiteLLMStandin,
  startLiteLLMStandin,
} from "./litellm.js";
import { type OpenAIProjectSeed, type OpenAIStandin, startOpenAIStandin } from "./openai.js";
import { type S3BucketSeed, type S3Standin, s3KnowledgeBaseSeed, startS3Standin } from "./s3.js";
import { type SageMakerStandin, startSageMakerStandin } from "./sagemaker.js";
import { type SlackStandin, startSlackStandin } from "./slack.js";
import { type SsmStandin, startSsmStandin } from "./ssm.js";
import { type StsStandin, startStsStandin } from "./sts.js";

/**
 * The leaked-key story the demo and the end-to-end tests share: GitHub found an OpenAI key in
 * example-corp/support-chat-service (alert 42); OpenAI has that key in one project, among others.
 * Every value here is fake.
 */
export const LEAKED_SECRET = "sk-proj-DEMOq7N2xLLMJKfakeFAKEfake0000000000000000leak9Zt4";
export const WEBHOOK_FIXTURE = fileURLToPath(
  new URL("../../../test/fixtures/github/secret-scanning-alert-created-openai-key.json", import.meta.url),
);

export const githubAlertSeed = (overrides: Partial<GitHubAlertSeed> = {}): GitHubAlertSeed => ({
  owner: "example-corp",
  repo: "support-chat-service",
  number: 42,
  secret: LEAKED_SECRET,
  secretType: "openai_api_key",
  secretTypeDisplayName: "OpenAI API Key",
  validity: "active",
  ...overrides,
});

export const openaiProjectsSeed = (): OpenAIProjectSeed[] => [
  {
    id: "proj_support_chat",
    name: "support-chat",
    keys: [
      { id: "key_support_prod", name: "support-chat-prod", secret: LEAKED_SECRET },
      {
        id: "key_support_ci",
        name: "support-chat-ci",
        secret: "sk-proj-CIq7N2xfakeFAKEfake1111111111111111111111ciKEY",
      },
    ],
  },
  {
    id: "proj_docs_indexer",
    name: "docs-indexer",
    keys: [
      {
        id: "key_docs",
        name: "docs-indexer",
        secret: "sk-proj-DOCSfakeFAKEfake222222222222222222222222docsKEY",
      },
    ],
  },
];

/**
 * The other leaked-key stories, one per provider Quell disables keys at (GitHub alerts of example-corp, fixtures
 * under test/fixtures/github/): an Anthropic key published in llm-eval-notebooks (57), an IAM user's access key
 * (43), an Amazon Bedrock long-term API key (44), a role session's temporary key (45, no user to act on) and an
 * Azure OpenAI key (46, a provider Quell cannot reach). Every value here is fake.
 */
export const LEAKED_ANTHROPIC_SECRET =
  "sk-ant-api03-EVALq7N2xFAKEfakeFAKEfake000000000000000000000000000000000000000000000000000000000000000-nb57AA";
export const LEAKED_ANTHROPIC_KEY_ID = "apikey_01EvalNotebooksLeak57";
export const LEAKED_AWS_USER = "svc-eval-uploader";
export const LEAKED_AWS_KEY = "AKIAEXAMPLEGH43LEAK1";
export const LEAKED_BEDROCK_USER = "svc-support-bot";
export const LEAKED_BEDROCK_ALIAS = "BedrockAPIKey-svc-support-bot-at-111122223333";
export const LEAKED_BEDROCK_CREDENTIAL = "ACCAEXAMPLEBEDROCK0044";
export const LEAKED_BEDROCK_SECRET = `ABSK${Buffer.from(`${LEAKED_BEDROCK_ALIAS}:fAkEsEcReTpArT0044example`).toString("base64")}`;

/** The GitHub alerts of those stories, as the GitHub stand-in serves them (with their secrets). */
export const otherLeakSeeds = (): GitHubAlertSeed[] => [
  githubAlertSeed({
    repo: "llm-eval-notebooks",
    number: 57,
    secret: LEAKED_ANTHROPIC_SECRET,
    secretType: "anthropic_api_key",
    secretTypeDisplayName: "Anthropic API Key",
  }),
  githubAlertSeed({
    number: 43,
    secret: LEAKED_AWS_KEY,
    secretType: "aws_access_key_id",
    secretTypeDisplayName: "Amazon AWS Access Key ID",
  }),
  githubAlertSeed({
    number: 44,
    secret: LEAKED_BEDROCK_SECRET,
    secretType: "aws_api_key",
    secretTypeDisplayName: "Amazon AWS API Key ID",
  }),
  githubAlertSeed({
    number: 45,
    secret: "ASIAEXAMPLETMP45KEY0",
    secretType: "aws_temporary_access_key_id",
    secretTypeDisplayName: "Amazon AWS Temporary Access Key ID",
  }),
  githubAlertSeed({
    number: 46,
    secret: "0123456789abcdef0123456789abcdef",
    secretType: "azure_openai_key",
    secretTypeDisplayName: "Azure OpenAI Key",
  }),
];

/** The Anthropic organisation: the leaked key among others whose hints differ. */
export const anthropicKeysSeed = (): AnthropicKeySeed[] => [
  { id: LEAKED_ANTHROPIC_KEY_ID, name: "eval-notebooks", secret: LEAKED_ANTHROPIC_SECRET },
  {
    id: "apikey_01SupportChatProd0001",
    name: "support-chat-prod",
    secret:
      "sk-ant-api03-SUPPq7N2xFAKEfakeFAKEfake111111111111111111111111111111111111111111111111111111111111-prodAA",
    workspaceId: "wrkspc_01SupportChat",
  },
  {
    id: "apikey_01EvalNotebooksOld01",
    name: "eval-notebooks-2025",
    secret:
      "sk-ant-api03-EVALq7N2xOLDoldOLDold222222222222222222222222222222222222222222222222222222222222-old1AA",
    status: "inactive",
  },
];

/** IAM's Bedrock long-term API keys: the leaked one, and another user's. */
export const bedrockApiKeysSeed = (): ServiceCredentialSeed[] => [
  {
    userName: LEAKED_BEDROCK_USER,
    serviceName: "bedrock.amazonaws.com",
    id: LEAKED_BEDROCK_CREDENTIAL,
    alias: LEAKED_BEDROCK_ALIAS,
  },
  {
    userName: "svc-docs-indexer",
    serviceName: "bedrock.amazonaws.com",
    id: "ACCAEXAMPLEBEDROCK0099",
    alias: "BedrockAPIKey-svc-docs-indexer-at-111122223333",
  },
];

/**
 * The LLMjacking story: GuardDuty saw the IAM user svc-docs-indexer's access key invoke models it never used
 * (test/fixtures/aws/guardduty/ai-anomalous-model-invocation-iamuser-key.json). IAM has that user, with the
 * leaked key Active and an older one already Inactive. Every value here is fake.
 */
export const LLMJACKED_USER = "svc-docs-indexer";
export const LLMJACKED_KEY = "AKIAEXAMPLEQ7N2LLMJK";

/**
 * The guardrail-tampering story: CloudTrail saw the IAM user contractor-llm-eval, not a guardrail admin, update
 * a Bedrock guardrail (test/fixtures/aws/bedrock/cloudtrail-updateguardrail-unexpected-principal.json).
 */
export const TAMPERING_USER = "contractor-llm-eval";
export const TAMPERING_KEY = "AKIAEXAMPLEM3D8LOGX2";

export const iamUsersSeed = (): IamUserSeed[] => [
  {
    userName: LLMJACKED_USER,
    keys: [
      { accessKeyId: LLMJACKED_KEY, status: "Active" },
      { accessKeyId: "AKIAEXAMPLEOLD0ROTD1", status: "Inactive" },
    ],
  },
  { userName: TAMPERING_USER, keys: [{ accessKeyId: TAMPERING_KEY, status: "Active" }] },
  { userName: LEAKED_AWS_USER, keys: [{ accessKeyId: LEAKED_AWS_KEY, status: "Active" }] },
];

/** Roles whose sessions GuardDuty findings name: the docs indexer's CI role and the support chat app's role. */
export const SESSION_ROLE = "docs-indexer-ci";
export const iamRolesSeed = (): RoleSeed[] => [
  { roleName: SESSION_ROLE },
  { roleName: "support-chat-app-role" },
];

/**
 * The prompt-injection story: GuardDuty and the app's Bedrock guardrail check saw prompt attacks against the
 * support assistant (test/fixtures/aws/guardduty/ai-prompt-injection-direct-guardrail-intervened.json and
 * test/fixtures/bedrock-guardrails/applyguardrail-intervened-prompt-attack-and-pii.json), both naming guardrail
 * q7x2k9m4w1ba of account 111122223333 in us-east-1. Its DRAFT filters prompt attacks at MEDIUM only, next to
 * every other kind of policy (which tightening must leave exactly as they are). Every value here is fake.
 */
export const GUARDRAIL_ACCOUNT = "111122223333";
export const GUARDRAIL_REGION = "us-east-1";
export const GUARDRAIL_ID = "q7x2k9m4w1ba";

export const guardrailSeed = (): GuardrailSeed => ({
  guardrailId: GUARDRAIL_ID,
  name: "support-chat-guardrail",
  description: "Input and output guardrail of the customer support assistant",
  blockedInputMessaging: "Sorry, I can't help with that request.",
  blockedOutputsMessaging: "Sorry, I can't share that.",
  policies: {
    topicPolicy: {
      topics: [
        {
          name: "Refund-fraud",
          definition: "Ways to obtain refunds or credits dishonestly.",
          examples: ["How do I get a refund for an order I received?"],
          type: "DENY",
          inputAction: "BLOCK",
          outputAction: "BLOCK",
          inputEnabled: true,
          outputEnabled: true,
        },
      ],
      tier: { tierName: "CLASSIC" },
    },
    contentPolicy: {
      filters: [
        {
          type: "HATE",
          inputStrength: "HIGH",
          outputStrength: "HIGH",
          inputAction: "BLOCK",
          outputAction: "BLOCK",
        },
        { type: "INSULTS", inputStrength: "MEDIUM", outputStrength: "MEDIUM" },
        { type: "PROMPT_ATTACK", inputStrength: "MEDIUM", outputStrength: "NONE", inputModalities: ["TEXT"] },
        { type: "MISCONDUCT", inputStrength: "LOW", outputStrength: "MEDIUM" },
      ],
      tier: { tierName: "STANDARD" },
    },
    wordPolicy: { words: [{ text: "project-bluebird" }], managedWordLists: [{ type: "PROFANITY" }] },
    sensitiveInformationPolicy: {
      piiEntities: [{ type: "EMAIL", action: "ANONYMIZE" }],
      regexes: [{ name: "order-id", description: "Order numbers", pattern: "ORD-[0-9]{8}", action: "BLOCK" }],
    },
    contextualGroundingPolicy: {
      filters: [
        { type: "GROUNDING", threshold: 0.75, action: "BLOCK", enabled: true },
        { type: "RELEVANCE", threshold: 0.5, action: "NONE", enabled: true },
      ],
    },
    crossRegionDetails: {
      guardrailProfileId: "us.guardrail.v1:0",
      guardrailProfileArn: "arn:aws:bedrock:us-east-1:111122223333:guardrail-profile/us.guardrail.v1:0",
    },
  },
  kmsKeyArn: "arn:aws:kms:us-east-1:111122223333:key/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b",
});

/**
 * The abuse stories behind an LLM gateway (LiteLLM proxy): an end user of hr-assistant repeatedly tried
 * role-play jailbreaks (test/fixtures/generic/jailbreak-roleplay-repeated-attempts.json), and the gateway
 * key gwk_7a0d3e44 probed the embeddings API like a model extraction
 * (test/fixtures/generic/model-extraction-embedding-api-probing.json). The gateway knows both: the end user
 * unblocked, the key with generous limits. Every value here is fake.
 */
export const ABUSIVE_END_USER = "aad:5d2f7b1e-8c3a-4f6d-9e0b-1a2c3d4e5f60";
export const PROBING_GATEWAY_KEY = "gwk_7a0d3e44";

export const litellmKeysSeed = (): LiteLLMKeySeed[] => [
  { key: PROBING_GATEWAY_KEY, alias: "tenant-tn_6120-embeddings", rpmLimit: 600, tpmLimit: 2_000_000 },
  { key: "gwk_0c11f00d", alias: "hr-assistant-backend", rpmLimit: null, tpmLimit: null },
];

export const litellmCustomersSeed = (): LiteLLMCustomerSeed[] => [{ userId: ABUSIVE_END_USER }];

/** The fixture's webhook (alert 42), or the same leak reported as another alert number of the repository. */
export function webhookBody(alertNumber = 42): string {
  const fixture = readFileSync(WEBHOOK_FIXTURE, "utf8");
  if (alertNumber === 42) return fixture;
  const body = JSON.parse(fixture);
  body.alert.number = alertNumber;
  body.alert.html_url = body.alert.html_url.replace(/\/42$/, `/${alertNumber}`);
  return JSON.stringify(body);
}

export interface ScenarioStandins {
  readonly github: GitHubStandin;
  readonly openai: OpenAIStandin;
  /** Anthropic's Admin API (API keys). */
  readonly anthropic: AnthropicStandin;
  readonly iam: IamStandin;
  /** Issues the action role sessions (`quell-<incident>`) the AWS actions assume before calling IAM. */
  readonly sts: StsStandin;
  readonly bedrock: BedrockStandin;
  /** Bedrock Agents' build-time API: the agent alias rollback-model routes back or pauses. */
  readonly bedrockAgent: BedrockAgentStandin;
  /** SageMaker: the endpoint rollback-model puts back on its known-good configuration. */
  readonly sagemaker: SageMakerStandin;
  /** SSM Parameter Store: the model pin rollback-model puts back to its previous value. */
  readonly ssm: SsmStandin;
  /** Amazon S3: the knowledge base's documents, from which quarantine-poisoned-document moves one. */
  readonly s3: S3Standin;
  /** The LLM gateway's admin API (LiteLLM proxy): virtual-key limits and blocked end users. */
  readonly litellm: LiteLLMStandin;
  readonly slack: SlackStandin;
  readonly credentials: {
    githubToken: string;
    openaiAdminKey: string;
    anthropicAdminKey: string;
    litellmMasterKey: string;
    slackBotToken: string;
    /** Opens the Slack stand-in's Socket Mode (SLACK_APP_TOKEN); not in standinProviderEnv: HTTP is the default. */
    slackAppToken: string;
  };
  close(): Promise<void>;
}

/** Start the loopback stand-ins seeded with the stories. Labelled as stand-ins wherever printed. */
export async function startScenarioStandins(
  options: {
    alerts?: GitHubAlertSeed[];
    projects?: OpenAIProjectSeed[];
    anthropicKeys?: AnthropicKeySeed[];
    iamUsers?: IamUserSeed[];
    guardrails?: GuardrailSeed[];
    agents?: AgentSeed[];
    buckets?: S3BucketSeed[];
    litellmKeys?: LiteLLMKeySeed[];
    litellmCustomers?: LiteLLMCustomerSeed[];
  } = {},
): Promise<ScenarioStandins> {
  const credentials = {
    githubToken: "ghp_localStandinToken0000000000000000000",
    openaiAdminKey: "sk-admin-local-standin-key",
    anthropicAdminKey: "sk-ant-admin01-local-standin-key",
    litellmMasterKey: "sk-litellm-local-standin-master-key",
    slackBotToken: "xoxb-local-standin-token",
    slackAppToken: "xapp-1-A0STANDIN-local-standin-token",
  };
  const github = await startGitHubStandin({
    token: credentials.githubToken,
    alerts: options.alerts ?? [githubAlertSeed(), ...otherLeakSeeds()],
  });
  const openai = await startOpenAIStandin({
    adminKey: credentials.openaiAdminKey,
    projects: options.projects ?? openaiProjectsSeed(),
  });
  const anthropic = await startAnthropicStandin({
    adminKey: credentials.anthropicAdminKey,
    keys: options.anthropicKeys ?? anthropicKeysSeed(),
  });
  const iam = await startIamStandin({
    users: options.iamUsers ?? iamUsersSeed(),
    serviceCredentials: bedrockApiKeysSeed(),
    roles: iamRolesSeed(),
  });
  const sts = await startStsStandin();
  const bedrock = await startBedrockStandin({
    accountId: GUARDRAIL_ACCOUNT,
    region: GUARDRAIL_REGION,
    guardrails: options.guardrails ?? [guardrailSeed()],
  });
  const s3 = await startS3Standin({ buckets: options.buckets ?? [s3KnowledgeBaseSeed()] });
  // The knowledge base indexes what its bucket holds when an ingestion job completes.
  const bedrockAgent = await startBedrockAgentStandin({
    ...(options.agents ? { agents: options.agents } : {}),
    documentsOf: (bucketArn, prefixes) => {
      const bucket = bucketArn.replace(/^arn:aws[a-z-]*:s3:::/, "");
      const keys = (prefixes?.length ? prefixes : [""]).flatMap((prefix) => s3.keys(bucket, prefix));
      return [...new Set(keys)]
        .filter((key) => !key.endsWith(".metadata.json"))
        .map((key) => `s3://${bucket}/${key}`);
    },
  });
  const sagemaker = await startSageMakerStandin();
  const ssm = await startSsmStandin();
  const litellm = await startLiteLLMStandin({
    masterKey: credentials.litellmMasterKey,
    keys: options.litellmKeys ?? litellmKeysSeed(),
    customers: options.litellmCustomers ?? litellmCustomersSeed(),
  });
  const slack = await startSlackStandin({
    token: credentials.slackBotToken,
    appToken: credentials.slackAppToken,
  });
  return {
    github,
    openai,
    anthropic,
    iam,
    sts,
    bedrock,
    bedrockAgent,
    sagemaker,
    ssm,
    s3,
    litellm,
    slack,
    credentials,
    async close() {
      await Promise.all([
        github.close(),
        openai.close(),
        anthropic.close(),
        iam.close(),
        sts.close(),
        bedrock.close(),
        bedrockAgent.close(),
        sagemaker.close(),
        ssm.close(),
        s3.close(),
        litellm.close(),
        slack.close(),
      ]);
    },
  };
}

/**
 * The provider settings that point Quell at the stand-ins (the bench and tests use all of them). IAM and Bedrock
 * are reached through the AWS SDK's service-specific endpoint variables, so they win over the local runtime's
 * AWS_ENDPOINT_URL.
 */
export function standinProviderEnv(standins: ScenarioStandins): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: standins.credentials.slackBotToken,
    SLACK_API_URL: `${standins.slack.url}/api/`,
    GITHUB_TOKEN: standins.credentials.githubToken,
    GITHUB_API_URL: standins.github.url,
    OPENAI_ADMIN_KEY: standins.credentials.openaiAdminKey,
    OPENAI_BASE_URL: `${standins.openai.url}/v1`,
    ...anthropicStandinEnv(standins),
    ...litellmStandinEnv(standins),
    ...awsStandinEnv(standins),
  };
}

/** The Anthropic Admin API stand-in's address and admin key, as ANTHROPIC_BASE_URL and ANTHROPIC_ADMIN_KEY. */
export const anthropicStandinEnv = (standins: Pick<ScenarioStandins, "anthropic" | "credentials">) => ({
  [EnvNames.anthropicBaseUrl]: standins.anthropic.url,
  [SecretNames.anthropicAdminKey]: standins.credentials.anthropicAdminKey,
});

/** The LLM gateway stand-in's address and master key, as LITELLM_BASE_URL and LITELLM_MASTER_KEY. */
export const litellmStandinEnv = (standins: Pick<ScenarioStandins, "litellm" | "credentials">) => ({
  [EnvNames.litellmBaseUrl]: standins.litellm.url,
  [SecretNames.litellmMasterKey]: standins.credentials.litellmMasterKey,
});

/**
 * The AWS side of the stand-ins: IAM, STS and Bedrock through the AWS SDK's service-specific endpoint variables (they win
 * over the local runtime's AWS_ENDPOINT_URL), and a role per action, as infra gives each on AWS, so actions
 * assume `quell-action-local-<action>` in a session named after the incident before they call IAM or Bedrock.
 */
export function awsStandinEnv(
  standins: Pick<ScenarioStandins, "iam" | "sts" | "bedrock" | "bedrockAgent" | "sagemaker" | "ssm" | "s3">,
): Record<string, string> {
  const roles = Object.fromEntries(
    Object.entries(actions).map(([name, { folder }]) => [
      name,
      `arn:aws:iam::000000000000:role/${actionRoleName("local", folder)}`,
    ]),
  );
  return {
    AWS_ENDPOINT_URL_IAM: standins.iam.url,
    AWS_ENDPOINT_URL_STS: standins.sts.url,
    AWS_ENDPOINT_URL_BEDROCK: standins.bedrock.url,
    AWS_ENDPOINT_URL_BEDROCK_AGENT: standins.bedrockAgent.url,
    AWS_ENDPOINT_URL_SAGEMAKER: standins.sagemaker.url,
    AWS_ENDPOINT_URL_SSM: standins.ssm.url,
    AWS_ENDPOINT_URL_S3: standins.s3.url,
    [EnvNames.actionRoles]: JSON.stringify(roles),
  };
}
