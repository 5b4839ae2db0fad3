import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { beforeAll, describe, expect, it } from "vitest";
import { EnvNames } from "../../functions/shared/env.js";
import { esbuildOptions } from "../../infra/aws/bundling.js";
import { APPCONFIG_READ_ACTIONS } from "../../infra/aws/constructs/triage-configuration.js";
import { repoRoot } from "../../infra/aws/paths.js";
import { EXAMPLE_CONFIG_PATH, triageJsonSchema } from "../../infra/aws/team-config.js";
import { logicalIdOf, type SynthesizedQuell, synthQuell, TEST_CONFIG } from "./quell-app.js";

type Resources = SynthesizedQuell["raw"]["logic"]["Resources"];
const ofType = (resources: Resources, type: string) =>
  Object.entries(resources).filter(([, resource]) => resource.Type === type);
const only = <T>(items: readonly T[]): T => {
  expect(items).toHaveLength(1);
  return items[0] as T;
};
const ref = (id: unknown) => ({ Ref: id });

/** Every IAM statement in the template that names an AppConfig action, with the role it is attached to. */
function appConfigStatements(resources: Resources) {
  return ofType(resources, "AWS::IAM::Policy").flatMap(([, policy]) => {
    const properties = policy.Properties as {
      Roles: unknown[];
      PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] };
    };
    return properties.PolicyDocument.Statement.filter((statement) =>
      [statement.Action].flat().some((action) => action.startsWith("appconfig:")),
    ).map((statement) => ({ roles: properties.Roles, statement }));
  });
}

describe("the triage configuration in AWS AppConfig", () => {
  let quell: SynthesizedQuell;
  beforeAll(() => {
    quell = synthQuell();
  });

  it("deploys the file's triage part, validated by a JSON Schema, with an immediate strategy", () => {
    const resources = quell.raw.logic.Resources;
    only(ofType(resources, "AWS::AppConfig::Application"));
    only(ofType(resources, "AWS::AppConfig::Environment"));
    const [, profile] = only(ofType(resources, "AWS::AppConfig::ConfigurationProfile"));
    expect(profile.Properties).toMatchObject({
      LocationUri: "hosted",
      Type: "AWS.Freeform",
      Validators: [{ Type: "JSON_SCHEMA", Content: JSON.stringify(triageJsonSchema()) }],
    });
    const [, strategy] = only(ofType(resources, "AWS::AppConfig::DeploymentStrategy"));
    expect(strategy.Properties).toMatchObject({
      GrowthFactor: 100,
      DeploymentDurationInMinutes: 0,
      FinalBakeTimeInMinutes: 0,
    });
    const [, version] = only(ofType(resources, "AWS::AppConfig::HostedConfigurationVersion"));
    expect(version.Properties?.ContentType).toBe("application/json");
    expect(JSON.parse(version.Properties?.Content as string)).toEqual(TEST_CONFIG.triage);
    // The ids a team needs to deploy a new version without redeploying Quell.
    const outputs = Object.keys(quell.raw.logic.Outputs ?? {});
    for (const name of ["ApplicationId", "EnvironmentId", "ProfileId", "DeploymentStrategyId"]) {
      expect(outputs.filter((output) => output.includes(`TriageConfiguration${name}`))).toHaveLength(1);
    }
    const [, deployment] = only(ofType(resources, "AWS::AppConfig::Deployment"));
    expect(deployment.Properties).toMatchObject({
      DeploymentStrategyId: ref(logicalIdOf(quell.logic.intake.triageConfiguration.strategy)),
    });
  });

  it("tells triage and ingest where it is, and lets them only read that profile in that environment", () => {
    const configuration = quell.logic.intake.triageConfiguration;
    // Ref gives each one's id (the L2 constructs' applicationId, environmentId and configurationProfileId).
    const ids = {
      [EnvNames.appConfigApplication]: ref(logicalIdOf(configuration.application)),
      [EnvNames.appConfigEnvironment]: ref(logicalIdOf(configuration.environment)),
      [EnvNames.appConfigProfile]: ref(expect.stringMatching(/TriageConfigurationProfile/)),
    };
    const readers = [quell.logic.intake.triage, quell.logic.intake.ingest];
    for (const reader of readers) {
      const fn = quell.raw.logic.Resources[logicalIdOf(reader.fn)];
      const properties = fn?.Properties as
        | { Environment: { Variables: Record<string, unknown> } }
        | undefined;
      const variables = properties?.Environment.Variables;
      expect(variables).toMatchObject(ids);
      expect(variables).not.toHaveProperty(EnvNames.configFile);
      expect(variables).not.toHaveProperty(EnvNames.triageConfigFile);
    }
    const statements = appConfigStatements(quell.raw.logic.Resources);
    const rolesOf = (roles: readonly unknown[]) => roles.map((role) => JSON.stringify(role)).sort();
    expect(rolesOf(statements.map(({ roles }) => roles))).toEqual(
      rolesOf(readers.map((reader) => [ref(logicalIdOf(reader.role))])),
    );
    for (const { statement } of statements) {
      expect([statement.Action].flat().sort()).toEqual([...APPCONFIG_READ_ACTIONS].sort());
      const arn = JSON.stringify(statement.Resource);
      expect(arn).toContain(":appconfig:");
      expect(arn).toMatch(/application\/".*\/environment\/".*\/configuration\/"/);
      expect(arn).not.toContain("*");
    }
  });
});

describe("function bundles", () => {
  const graphOf = async (entry: string) => {
    const outdir = mkdtempSync(join(tmpdir(), "quell-graph-"));
    const result = await build({ ...esbuildOptions(entry, outdir), write: false, metafile: true });
    // The code itself, not the source map (whose sources keep comments that may quote an example id).
    const text = result.outputFiles
      .filter((file) => file.path.endsWith(".mjs"))
      .map((file) => file.text)
      .join("\n");
    return { inputs: Object.keys(result.metafile.inputs), text };
  };

  it.each(["functions/triage/handler.ts", "functions/ingest/handler.ts"])(
    "%s carries no example configuration: it reads the team's at run time",
    async (entry) => {
      const { inputs, text } = await graphOf(entry);
      expect(inputs).toContain("functions/triage/read-config.ts");
      expect(inputs.filter((input) => /triage-config|quell\.example|team-config/.test(input))).toEqual([]);
      // The example's own asset ids are nowhere in the bundle.
      expect(text).not.toContain("q7x2k9m4w1ba");
      expect(text).not.toContain("code-review-bot");
    },
  );
});

describe("the CDK app", () => {
  const app = (context: Record<string, string>, env: Record<string, string> = {}) => {
    const { QUELL_CONFIG: _ignored, CDK_CONTEXT_JSON: _also, ...inherited } = process.env;
    return spawnSync(process.execPath, ["--import", "tsx", "infra/aws/app.ts"], {
      cwd: repoRoot,
      env: {
        ...inherited,
        CDK_CONTEXT_JSON: JSON.stringify(context),
        CDK_OUTDIR: mkdtempSync(join(tmpdir(), "quell-app-")),
        ...env,
      },
      encoding: "utf8",
      timeout: 120_000,
    });
  };

  it("fails synth without a configuration file, saying how to pass one and where the example is", () => {
    const result = app({});
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("-c config=<path>");
    expect(result.stderr).toContain("QUELL_CONFIG");
    expect(result.stderr).toContain("playbooks/quell.example.json");
  });

  it("fails synth on missing required settings, naming each, before any function is built", () => {
    const document = JSON.parse(readFileSync(EXAMPLE_CONFIG_PATH, "utf8"));
    delete document.settings.slackChannel;
    document.settings.approvers = [];
    const file = join(mkdtempSync(join(tmpdir(), "quell-app-")), "quell.json");
    writeFileSync(file, JSON.stringify(document));
    const result = app({}, { QUELL_CONFIG: file });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`the team configuration ${file} is invalid`);
    expect(result.stderr).toMatch(/settings\.slackChannel: required/);
    expect(result.stderr).toMatch(/settings\.approvers: name at least one/);
    expect(result.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
  });
});
