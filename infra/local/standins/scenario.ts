import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type GitHubAlertSeed, type GitHubStandin, startGitHubStandin } from "./github.js";
import { type OpenAIProjectSeed, type OpenAIStandin, startOpenAIStandin } from "./openai.js";
import { type SlackStandin, startSlackStandin } from "./slack.js";

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

/** The webhook body GitHub posts for the leak, exactly as in the fixture file. */
export const webhookBody = (): string => readFileSync(WEBHOOK_FIXTURE, "utf8");

export interface ScenarioStandins {
  readonly github: GitHubStandin;
  readonly openai: OpenAIStandin;
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

/** Start the three loopback stand-ins seeded with the story. Labelled as stand-ins wherever printed. */
export async function startScenarioStandins(
  options: { alerts?: GitHubAlertSeed[]; projects?: OpenAIProjectSeed[] } = {},
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
  const slack = await startSlackStandin({
    token: credentials.slackBotToken,
    appToken: credentials.slackAppToken,
  });
  return {
    github,
    openai,
    slack,
    credentials,
    async close() {
      await Promise.all([github.close(), openai.close(), slack.close()]);
    },
  };
}

/** The provider settings that point Quell at the three stand-ins (the bench and tests use all of them). */
export function standinProviderEnv(standins: ScenarioStandins): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: standins.credentials.slackBotToken,
    SLACK_API_URL: `${standins.slack.url}/api/`,
    GITHUB_TOKEN: standins.credentials.githubToken,
    GITHUB_API_URL: standins.github.url,
    OPENAI_ADMIN_KEY: standins.credentials.openaiAdminKey,
    OPENAI_BASE_URL: `${standins.openai.url}/v1`,
  };
}
