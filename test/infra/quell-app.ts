import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, type CfnElement, type Environment, Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import type { CloudAssembly } from "aws-cdk-lib/cx-api";
import type { IConstruct } from "constructs";
import type { QuellConfig } from "../../infra/aws/config.js";
import { addQuell, type QuellStacks } from "../../infra/aws/quell.js";
import { triageConfig } from "../../playbooks/triage-config.js";

export const TEST_ENV = { account: "123456789012", region: "eu-west-1" } as const satisfies Environment;

export const TEST_CONFIG: QuellConfig = {
  environmentName: "test",
  dryRun: true,
  slackChannel: "C0TESTCHAN",
  approvers: ["U0APPROVER1", "U0APPROVER2"],
  dedupWindowSeconds: 3600,
  guardrailAdmins: [],
  containmentsPerHour: 10,
  protectedPrincipals: ["arn:aws:iam::123456789012:role/release-pipeline", "break-glass-*"],
  litellmBaseUrl: "https://llm-gateway.test.example.com",
  documentQuarantineBucket: "quell-test-document-quarantine",
  playbookDocsUrl: "https://github.com/example-corp/quell/blob/main/docs/playbooks",
  cloudwatchAlarmNamePrefixes: ["support-chat-"],
  alarmEmails: ["secops@example.com"],
  auditRetentionDays: 400,
  ingestReservedConcurrency: 20,
  slackReservedConcurrency: 10,
  // The example's triage part (playbooks/quell.example.json), deployed to AppConfig as the first version.
  triage: triageConfig,
};

/** The context `cdk synth` runs with (cdk.json), minus bundling: `npm run synth` covers bundling. */
function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(new URL("../../cdk.json", import.meta.url), "utf8")) as {
    context?: Record<string, unknown>;
  };
  return { ...cdkJson.context, "aws:cdk:bundling-stacks": [] };
}

export interface SynthesizedQuell extends QuellStacks {
  readonly app: App;
  readonly assembly: CloudAssembly;
  readonly dataTemplate: Template;
  readonly logicTemplate: Template;
  /** Raw templates, for following Fn::ImportValue from the logic stack into the data stack's exports. */
  readonly raw: { readonly data: CfnTemplate; readonly logic: CfnTemplate };
}

export interface CfnTemplate {
  readonly Resources: Record<
    string,
    { Type: string; Properties?: Record<string, unknown>; [key: string]: unknown }
  >;
  readonly Outputs?: Record<string, { Value: unknown; Export?: { Name: string } }>;
}

/** Build the app as app.ts does (same stacks, cdk-nag plugin and cdk.json context) and synthesize it once. */
export function synthQuell(
  env: Environment | undefined = TEST_ENV,
  config: QuellConfig = TEST_CONFIG,
): SynthesizedQuell {
  const app = new App({ context: cdkJsonContext(), outdir: mkdtempSync(join(tmpdir(), "quell-cdk-")) });
  const stacks = addQuell(app, config, env);
  const assembly = app.synth();
  const data = assembly.getStackArtifact(stacks.data.artifactId).template as CfnTemplate;
  const logic = assembly.getStackArtifact(stacks.logic.artifactId).template as CfnTemplate;
  return {
    ...stacks,
    app,
    assembly,
    dataTemplate: Template.fromJSON(data),
    logicTemplate: Template.fromJSON(logic),
    raw: { data, logic },
  };
}

/** The logical id of a construct's CloudFormation resource (the construct itself or its default child). */
export function logicalIdOf(construct: IConstruct): string {
  const element = (construct.node.defaultChild ?? construct) as CfnElement;
  return Stack.of(element).getLogicalId(element);
}
