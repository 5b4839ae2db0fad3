import { routesRefusingEverything } from "../../functions/ingest/readiness.js";
import { QuellClient } from "./client.js";
import { runDemo } from "./demo.js";
import {
  DATA_DIR,
  DEFAULT_PORT,
  LOCAL_RESPONDER,
  loadLocalSecrets,
  localSecretsFile,
  READ_TOKEN,
} from "./local-config.js";
import { ALLOWED_HOSTS } from "./request-guard.js";
import { startLocalRuntime } from "./runtime.js";
import { SLACK_APP_TOKEN, slackAppTokenFrom } from "./slack-socket.js";
import {
  anthropicStandinEnv,
  awsStandinEnv,
  githubAlertSeed,
  litellmStandinEnv,
  type ScenarioStandins,
  startScenarioStandins,
} from "./standins/scenario.js";
import { localSettings, settingsEnv } from "./team-config-env.js";

/**
 * `npm start`: Quell on this machine. `npm run demo`: the same, plus a demo incident that decides only its
 * own card. Providers without credentials are replaced by clearly labelled loopback stand-ins.
 */
async function main(): Promise<void> {
  const args = new Set(process.argv.slice(2));
  const demo = args.has("--demo");
  const env = process.env;
  // Read before the runtime starts: it puts the stand-in's bot token into the environment.
  const realSlack = Boolean(env.SLACK_BOT_TOKEN);
  const slackAppToken = slackAppTokenFrom(env);
  if (slackAppToken && !realSlack) {
    throw new Error(
      `${SLACK_APP_TOKEN} (Socket Mode) connects a real workspace: set SLACK_BOT_TOKEN from the same Slack app ` +
        "too, or unset it to use the local Slack stand-in",
    );
  }
  // The team configuration file (QUELL_CONFIG_FILE, else the example): checked whole here, so a bad field fails
  // the start with its path; its settings stand in for the variables the environment leaves unset.
  const team = localSettings(env);
  const secrets = loadLocalSecrets(env);
  const needsStandins =
    !env.SLACK_BOT_TOKEN ||
    !env.GITHUB_TOKEN ||
    !env.OPENAI_ADMIN_KEY ||
    !env.ANTHROPIC_ADMIN_KEY ||
    !env.LITELLM_MASTER_KEY;
  // The demo reports its leak as a fresh alert number each run: the same alert again would be a duplicate of
  // the incident a previous demo left in .quell/ (dedup at work), and start nothing.
  const demoAlertNumber = 1000 + (Math.floor(Date.now() / 1000) % 1_000_000);
  const standins: ScenarioStandins | undefined = needsStandins
    ? await startScenarioStandins(
        demo ? { alerts: [githubAlertSeed(), githubAlertSeed({ number: demoAlertNumber })] } : {},
      )
    : undefined;
  const demoUser = "U0QUELLDEMO";
  const approvers =
    env.QUELL_APPROVERS ||
    (demo ? [...team.settings.approvers, demoUser] : team.settings.approvers).join(",");

  const providerEnv: Record<string, string> = {};
  const lines: string[] = [];
  if (standins && !env.SLACK_BOT_TOKEN) {
    Object.assign(providerEnv, {
      SLACK_BOT_TOKEN: standins.credentials.slackBotToken,
      SLACK_API_URL: `${standins.slack.url}/api/`,
    });
    lines.push(
      `  Slack    LOCAL STAND-IN at ${standins.slack.url} (no SLACK_BOT_TOKEN): cards are kept, not sent`,
    );
  }
  if (standins && !env.GITHUB_TOKEN) {
    Object.assign(providerEnv, {
      GITHUB_TOKEN: standins.credentials.githubToken,
      GITHUB_API_URL: standins.github.url,
    });
    lines.push(`  GitHub   LOCAL STAND-IN at ${standins.github.url} (no GITHUB_TOKEN)`);
  }
  if (standins && !env.OPENAI_ADMIN_KEY) {
    Object.assign(providerEnv, {
      OPENAI_ADMIN_KEY: standins.credentials.openaiAdminKey,
      OPENAI_BASE_URL: `${standins.openai.url}/v1`,
    });
    lines.push(`  OpenAI   LOCAL STAND-IN at ${standins.openai.url} (no OPENAI_ADMIN_KEY)`);
  }
  if (standins && !env.ANTHROPIC_ADMIN_KEY) {
    Object.assign(providerEnv, anthropicStandinEnv(standins));
    lines.push(`  Anthropic LOCAL STAND-IN at ${standins.anthropic.url} (no ANTHROPIC_ADMIN_KEY)`);
  }
  if (standins && !env.LITELLM_MASTER_KEY) {
    Object.assign(providerEnv, litellmStandinEnv(standins));
    lines.push(
      `  LiteLLM  LOCAL STAND-IN at ${standins.litellm.url} (no LITELLM_MASTER_KEY; throttle-abuser)`,
    );
  }
  if (standins) {
    // The local runtime never reaches AWS: without this, IAM, STS and Bedrock calls are refused by its AWS endpoint.
    Object.assign(providerEnv, awsStandinEnv(standins));
    lines.push(`  AWS IAM  LOCAL STAND-IN at ${standins.iam.url} (contain-llmjacking's key deactivation)`);
    lines.push(
      `  AWS STS  LOCAL STAND-IN at ${standins.sts.url} (each action's role session, quell-<incident>)`,
    );
    lines.push(`  Bedrock  LOCAL STAND-IN at ${standins.bedrock.url} (tighten-guardrail's guardrail update)`);
    lines.push(
      `  Bedrock Agent LOCAL STAND-IN at ${standins.bedrockAgent.url} (agent AGT7EXAMPL: rollback-model's alias, contain-agent-tool's action groups; knowledge base KB12EXAMPL)`,
    );
    lines.push(
      `  Amazon S3 LOCAL STAND-IN at ${standins.s3.url} (bucket support-kb-docs: quarantine-poisoned-document)`,
    );
    lines.push(
      `  SageMaker LOCAL STAND-IN at ${standins.sagemaker.url} (rollback-model's endpoint support-chat-ranker)`,
    );
    lines.push(
      `  AWS SSM  LOCAL STAND-IN at ${standins.ssm.url} (rollback-model's model pin /support-chat/model-id)`,
    );
  }
  const dryRun = env.QUELL_DRY_RUN ?? String(team.settings.dryRun);
  const runtime = await startLocalRuntime({
    port: Number(env.QUELL_PORT ?? DEFAULT_PORT),
    dataDir: DATA_DIR,
    env: {
      ...settingsEnv(team.settings, env),
      ...secrets,
      ...providerEnv,
      ...(slackAppToken ? { [SLACK_APP_TOKEN]: slackAppToken } : {}),
      QUELL_DRY_RUN: dryRun,
      QUELL_APPROVERS: approvers,
      QUELL_SLACK_CHANNEL: env.QUELL_SLACK_CHANNEL ?? team.settings.slackChannel,
      POWERTOOLS_LOG_LEVEL: env.POWERTOOLS_LOG_LEVEL ?? "WARN",
    },
  });

  // startLocalRuntime has put the runtime's configuration into process.env, where the functions read it.
  const refusing = routesRefusingEverything(process.env);
  const refusingLines = refusing.length
    ? [
        "  refusing everything until their secret is set (fail closed):",
        ...refusing.map(({ route, secretName }) => `           ${route.padEnd(30)} set ${secretName}`),
      ]
    : [];
  console.log(
    [
      `Quell is running at ${runtime.url}  (dry run: ${dryRun}; state in ${DATA_DIR}/)`,
      `  POST ${runtime.url}/alerts/{source}   GET ${runtime.url}/incidents   POST ${runtime.url}/slack/events`,
      `  secrets: environment, else ${localSecretsFile()} (generated for this machine)`,
      `  reads (every GET but /healthz): Authorization: Bearer <${READ_TOKEN}>; only loopback Host names are served`,
      `  configuration: ${team.file} (QUELL_CONFIG_FILE; triage re-reads it when it changes)`,
      `  approvers: ${approvers}`,
      ...refusingLines,
      ...lines,
      runtime.slackMode === "socket"
        ? "  Slack    SOCKET MODE (SLACK_APP_TOKEN): clicks and /quell arrive over Slack's WebSocket, no public URL needed; POST /slack/events is served too"
        : realSlack
          ? `  Slack    HTTP: interactivity at POST ${runtime.url}/slack/events (give Slack a public URL, e.g. a tunnel, and its host name in ${ALLOWED_HOSTS}; or set ${SLACK_APP_TOKEN} for Socket Mode)`
          : "  Slack    HTTP: signed POST /slack/events; the stand-in sends no clicks, so decide from the terminal",
      `  decide from the terminal: npm run quell -- approve <approval-id> --as ${LOCAL_RESPONDER}`,
    ].join("\n"),
  );

  const stop = async () => {
    await runtime.stop();
    await standins?.close();
    process.exit(0);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);

  if (demo) {
    const client = new QuellClient(runtime.url, {
      github: secrets.QUELL_GITHUB_WEBHOOK_SECRET as string,
      slackSigning: secrets.SLACK_SIGNING_SECRET,
      readToken: runtime.readToken,
    });
    await runDemo({
      client,
      demoUser,
      alertNumber: demoAlertNumber,
      ...(standins && !env.SLACK_BOT_TOKEN ? { slack: standins.slack } : {}),
    });
    if (args.has("--exit")) return stop();
    console.log("\nQuell keeps running; Ctrl-C stops it.");
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
