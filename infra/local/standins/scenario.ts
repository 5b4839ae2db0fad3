import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { actions } from "../../../functions/actions/registry.js";
import { actionRoleName } from "../../../functions/shared/action-session.js";
import { EnvNames } from "../../../functions/shared/env.js";
import { type GitHubAlertSeed, type GitHubStandin, startGitHubStandin } from "./github.js";
import { type IamStandin, type IamUserSeed, startIamStandin } from "./iam.js";
import { type OpenAIProjectSeed, type OpenAIStandin, startOpenAIStandin } from "./openai.js";
import { type SlackStandin, startSlackStandin } from "./slack.js";
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
];

/** The webhook body GitHub posts for the leak, exactly as in the fixture file. */
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
  readonly iam: IamStandin;
  /** Issues the action role sessions (`quell-<incident>`) the AWS actions assume before calling IAM. */
  readonly sts: StsStandin;
  readonly slack: SlackStandin;
  readonly credentials: {
    githubToken: string;
    openaiAdminKey: string;
    slackBotToken: string;
    /** Opens the Slack stand-in's Socket Mode (SLACK_APP_TOKEN); not in standinProviderEnv: HTTP is the default. */
    slackAppToken: string;
  };
  close(): Promise<void>;
}

/** Start the loopback stand-ins seeded with the stories. Labelled as stand-ins wherever printed. */
export async function startScenarioStandins(
  options: { alerts?: GitHubAlertSeed[]; projects?: OpenAIProjectSeed[]; iamUsers?: IamUserSeed[] } = {},
): Promise<ScenarioStandins> {
  const credentials = {
    githubToken: "ghp_localStandinToken0000000000000000000",
    openaiAdminKey: "sk-admin-local-standin-key",
    slackBotToken: "xoxb-local-standin-token",
    slackAppToken: "xapp-1-A0STANDIN-local-standin-token",
  };
  const github = await startGitHubStandin({
    token: credentials.githubToken,
    alerts: options.alerts ?? [githubAlertSeed()],
  });
  const openai = await startOpenAIStandin({
    adminKey: credentials.openaiAdminKey,
    projects: options.projects ?? openaiProjectsSeed(),
  });
  const iam = await startIamStandin({ users: options.iamUsers ?? iamUsersSeed() });
  const sts = await startStsStandin();
  const slack = await startSlackStandin({
    token: credentials.slackBotToken,
    appToken: credentials.slackAppToken,
  });
  return {
    github,
    openai,
    iam,
    sts,
    slack,
    credentials,
    async close() {
      await Promise.all([github.close(), openai.close(), iam.close(), sts.close(), slack.close()]);
    },
  };
}

/**
 * The provider settings that point Quell at the stand-ins (the bench and tests use all of them). IAM is reached
 * through the AWS SDK's service-specific endpoint variable, so it wins over the local runtime's AWS_ENDPOINT_URL.
 */
export function standinProviderEnv(standins: ScenarioStandins): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: standins.credentials.slackBotToken,
    SLACK_API_URL: `${standins.slack.url}/api/`,
    GITHUB_TOKEN: standins.credentials.githubToken,
    GITHUB_API_URL: standins.github.url,
    OPENAI_ADMIN_KEY: standins.credentials.openaiAdminKey,
    OPENAI_BASE_URL: `${standins.openai.url}/v1`,
    ...awsStandinEnv(standins),
  };
}

/**
 * The AWS side of the stand-ins: IAM and STS through the AWS SDK's service-specific endpoint variables (they win
 * over the local runtime's AWS_ENDPOINT_URL), and a role per action, as infra gives each on AWS, so actions
 * assume `quell-action-local-<action>` in a session named after the incident before they call IAM.
 */
export function awsStandinEnv(standins: Pick<ScenarioStandins, "iam" | "sts">): Record<string, string> {
  const roles = Object.fromEntries(
    Object.entries(actions).map(([name, { folder }]) => [
      name,
      `arn:aws:iam::000000000000:role/${actionRoleName("local", folder)}`,
    ]),
  );
  return {
    AWS_ENDPOINT_URL_IAM: standins.iam.url,
    AWS_ENDPOINT_URL_STS: standins.sts.url,
    [EnvNames.actionRoles]: JSON.stringify(roles),
  };
}
