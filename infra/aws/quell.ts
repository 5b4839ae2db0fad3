import { type App, type Environment, Tags, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { secretsInUse } from "./catalog.js";
import type { QuellConfig } from "./config.js";
import { DataStack } from "./data-stack.js";
import { LogicStack } from "./logic-stack.js";

export interface QuellStacks {
  readonly data: DataStack;
  readonly logic: LogicStack;
}

/**
 * Quell on AWS: a stateful data stack and a stateless logic stack, checked by cdk-nag's AwsSolutions
 * pack during synth (an unacknowledged finding fails it).
 */
export function addQuell(app: App, config: QuellConfig, env?: Environment): QuellStacks {
  const prefix = `Quell-${config.environmentName}`;
  const data = new DataStack(app, `${prefix}-Data`, {
    env,
    description: `Quell (${config.environmentName}): incident tables and secrets`,
    secretNames: secretsInUse(),
    environmentName: config.environmentName,
    auditRetentionDays: config.auditRetentionDays,
  });
  const logic = new LogicStack(app, `${prefix}-Logic`, {
    env,
    description: `Quell (${config.environmentName}): ingest, triage, playbooks, Slack approvals and notifications`,
    config,
    data,
  });
  Tags.of(app).add("quell:environment", config.environmentName);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { data, logic };
}
