import { CfnOutput, Duration, Stack } from "aws-cdk-lib";
import {
  Application,
  ConfigurationContent,
  ConfigurationType,
  DeploymentStrategy,
  Environment,
  HostedConfiguration,
  JsonSchemaValidator,
  RolloutStrategy,
} from "aws-cdk-lib/aws-appconfig";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import { Construct } from "constructs";
import { EnvNames } from "../../../functions/shared/env.js";
import type { TriageConfig } from "../../../functions/triage/config.js";
import { triageJsonSchema } from "../team-config.js";
import type { QuellFunction } from "./quell-function.js";

/** What a reader may do: open a configuration session and take the latest version, nothing else. */
export const APPCONFIG_READ_ACTIONS = [
  "appconfig:StartConfigurationSession",
  "appconfig:GetLatestConfiguration",
];

export interface TriageConfigurationProps {
  /** The team file's triage part, deployed as the first version. */
  readonly triage: TriageConfig;
  readonly environmentName: string;
}

/**
 * The triage part of the team configuration in AWS AppConfig: an application, an environment, a freeform hosted
 * configuration profile whose JSON Schema validator (generated from the zod schema) refuses a malformed version
 * before it is deployed, and an immediate deployment strategy (all at once, no bake). Triage and ingest read it
 * at run time (functions/triage/config-source.ts), so a team changes routes, inventory or suppressions with
 * `aws appconfig create-hosted-configuration-version` and `start-deployment`, without redeploying Quell.
 */
export class TriageConfiguration extends Construct {
  readonly application: Application;
  readonly environment: Environment;
  readonly profile: HostedConfiguration;
  readonly strategy: DeploymentStrategy;

  constructor(scope: Construct, id: string, { triage, environmentName }: TriageConfigurationProps) {
    super(scope, id);
    this.application = new Application(this, "Application", {
      description: `Quell (${environmentName}): the team's triage configuration`,
    });
    this.environment = new Environment(this, "Environment", {
      application: this.application,
      description: `Quell (${environmentName}): the configuration triage and ingest read`,
    });
    this.strategy = new DeploymentStrategy(this, "Immediately", {
      description:
        "Quell: a triage configuration change applies at once (functions pick it up within a minute)",
      rolloutStrategy: RolloutStrategy.linear({
        growthFactor: 100,
        deploymentDuration: Duration.minutes(0),
        finalBakeTime: Duration.minutes(0),
      }),
    });
    this.profile = new HostedConfiguration(this, "Triage", {
      application: this.application,
      description:
        "Quell's triage configuration: inventory, people, routes, suppressions, GitHub allow-list…",
      type: ConfigurationType.FREEFORM,
      content: ConfigurationContent.fromInlineJson(JSON.stringify(triage, null, 2)),
      validators: [JsonSchemaValidator.fromInline(JSON.stringify(triageJsonSchema()))],
      deploymentStrategy: this.strategy,
      deployTo: [this.environment],
    });
    // What `aws appconfig create-hosted-configuration-version` and `start-deployment` need (see the README).
    const outputs = {
      ApplicationId: this.application.applicationId,
      EnvironmentId: this.environment.environmentId,
      ProfileId: this.profile.configurationProfileId,
      DeploymentStrategyId: this.strategy.deploymentStrategyId,
    };
    for (const [name, value] of Object.entries(outputs)) {
      new CfnOutput(this, name, { value, description: `Quell triage configuration (AppConfig): ${name}` });
    }
  }

  /** The ARN a reader's two actions are allowed on: this profile in this environment. */
  get readableArn(): string {
    return Stack.of(this).formatArn({
      service: "appconfig",
      resource: "application",
      resourceName: [
        this.application.applicationId,
        "environment",
        this.environment.environmentId,
        "configuration",
        this.profile.configurationProfileId,
      ].join("/"),
    });
  }

  /** Tell a function where the configuration is, and let it read that one configuration only. */
  grantRead(reader: QuellFunction): void {
    reader.fn.addEnvironment(EnvNames.appConfigApplication, this.application.applicationId);
    reader.fn.addEnvironment(EnvNames.appConfigEnvironment, this.environment.environmentId);
    reader.fn.addEnvironment(EnvNames.appConfigProfile, this.profile.configurationProfileId);
    reader.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: [...APPCONFIG_READ_ACTIONS], resources: [this.readableArn] }),
    );
  }
}
