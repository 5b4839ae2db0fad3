import { readFileSync } from "node:fs";
import { join } from "node:path";
import { App, Validations } from "aws-cdk-lib";
import { Runtime } from "aws-cdk-lib/aws-lambda";
import { AwsSolutionsChecks } from "cdk-nag";
import type { IConstruct } from "constructs";
import { beforeAll, describe, expect, it } from "vitest";
import { DOCUMENT_QUARANTINE_BUCKET_ENV } from "../../functions/actions/knowledge-base-documents.js";
import { actionNames, actions } from "../../functions/actions/registry.js";
import {
  EnvNames,
  putParameterCommand,
  type SecretName,
  SecretNames,
  secretParameterVariable,
} from "../../functions/shared/env.js";
import { PROTECTED_PRINCIPALS_ENV } from "../../functions/shared/protected-principals.js";
import { QUELL_EVENT } from "../../functions/shared/quell-events.js";
import {
  GUARDRAIL_ADMINS_ENV,
  GUARDRAIL_CHANGES,
  MODEL_ENUMERATION,
  WATCHED_EVENT_NAMES,
} from "../../functions/sources/aws/bedrock.js";
import { eventSources, sources } from "../../functions/sources/index.js";
import { actionEntry, coreFunctions as catalogFunctions } from "../../infra/aws/catalog.js";
import type { QuellFunction } from "../../infra/aws/constructs/quell-function.js";
import type { LogicStack } from "../../infra/aws/logic-stack.js";
import { addQuell } from "../../infra/aws/quell.js";
import { playbooks } from "../../playbooks/index.js";
import { compiledMachines } from "../../playbooks/machines.js";
import { UNDO_MACHINE } from "../../playbooks/undo.js";
import {
  envNamesReadBy,
  functionSourceFiles,
  LITERAL_ENV_READS,
  literalEnvNamesIn,
} from "./function-code.js";
import {
  type CfnTemplate,
  logicalIdOf,
  type SynthesizedQuell,
  synthQuell,
  TEST_CONFIG,
  TEST_ENV,
} from "./quell-app.js";

// One synthesis (cdk.json context, cdk-nag plugin, CloudFormation validation) shared by every test below.
let quell: SynthesizedQuell;
beforeAll(() => {
  quell = synthQuell();
});

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

const list = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];
const sorted = (values: Iterable<string>) => [...new Set(values)].sort();

/** Follow Fn::ImportValue into the data stack's exports, so references compare by producer resource. */
function deref(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(deref);
  if (value && typeof value === "object") {
    const node = value as Record<string, unknown>;
    if ("Fn::ImportValue" in node) {
      const name = node["Fn::ImportValue"];
      const output = Object.values(quell.raw.data.Outputs ?? {}).find(
        (candidate) => candidate.Export?.Name === name,
      );
      if (!output) throw new Error(`no export ${String(name)} in the data stack`);
      return output.Value;
    }
    return Object.fromEntries(Object.entries(node).map(([key, inner]) => [key, deref(inner)]));
  }
  return value;
}

/** A CloudFormation value as one string: `Ref` -> `<Id>`, `Fn::GetAtt` -> `<Id.Attr>`, joins joined. */
function flat(value: unknown): string {
  const resolved = deref(value);
  if (typeof resolved === "string") return resolved;
  const node = resolved as Record<string, unknown>;
  if ("Ref" in node) return `<${String(node.Ref)}>`;
  if ("Fn::GetAtt" in node) return `<${(node["Fn::GetAtt"] as string[]).join(".")}>`;
  if ("Fn::Join" in node) {
    const [separator, parts] = node["Fn::Join"] as [string, unknown[]];
    return parts.map(flat).join(separator);
  }
  return JSON.stringify(resolved);
}

const ref = (construct: IConstruct) => `<${logicalIdOf(construct)}>`;
const arnOf = (construct: IConstruct) => `<${logicalIdOf(construct)}.Arn>`;

function resource(template: CfnTemplate, logicalId: string) {
  const found = template.Resources[logicalId];
  if (!found) throw new Error(`no resource ${logicalId}`);
  return found;
}

const functionProps = (fn: QuellFunction) => resource(quell.raw.logic, logicalIdOf(fn.fn)).Properties ?? {};
const environmentIn = (template: CfnTemplate, fn: QuellFunction) =>
  ((
    resource(template, logicalIdOf(fn.fn)).Properties?.Environment as
      | { Variables?: Record<string, unknown> }
      | undefined
  )?.Variables ?? {}) as Record<string, unknown>;
const environmentOf = (fn: QuellFunction) => environmentIn(quell.raw.logic, fn);

/** Every Allow statement that applies to a role: its inline policies and every AWS::IAM::Policy attached to it. */
function statementsOfRole(roleLogicalId: string): Statement[] {
  const role = resource(quell.raw.logic, roleLogicalId);
  const inline = list(role.Properties?.Policies as { PolicyDocument: { Statement: Statement[] } }[]).flatMap(
    (policy) => policy.PolicyDocument.Statement,
  );
  const attached = Object.values(quell.raw.logic.Resources)
    .filter((candidate) => candidate.Type === "AWS::IAM::Policy")
    .filter((policy) =>
      list(policy.Properties?.Roles as { Ref: string }[]).some((roleRef) => roleRef.Ref === roleLogicalId),
    )
    .flatMap(
      (policy) =>
        (policy.Properties?.PolicyDocument as { Statement: Statement[] } | undefined)?.Statement ?? [],
    );
  return [...inline, ...attached].filter((statement) => statement.Effect === "Allow");
}

const statementsOf = (fn: QuellFunction) => statementsOfRole(logicalIdOf(fn.role));
/** Every Allow statement of every role and policy in the logic stack (functions and state machines). */
function allStatements(): Statement[] {
  return Object.values(quell.raw.logic.Resources)
    .flatMap((r) =>
      r.Type === "AWS::IAM::Policy"
        ? list((r.Properties?.PolicyDocument as { Statement: Statement[] } | undefined)?.Statement)
        : r.Type === "AWS::IAM::Role"
          ? list(r.Properties?.Policies as { PolicyDocument: { Statement: Statement[] } }[]).flatMap(
              (policy) => policy.PolicyDocument.Statement,
            )
          : [],
    )
    .filter((statement) => statement.Effect === "Allow");
}
const actionsIn = (statements: Statement[]) =>
  sorted(statements.flatMap((statement) => list(statement.Action)));
/** The resources (flattened) every statement granting `action` names. */
const resourcesFor = (statements: Statement[], action: string) =>
  sorted(
    statements
      .filter((statement) => list(statement.Action).includes(action))
      .flatMap((statement) => list(statement.Resource).map(flat)),
  );

const PLUMBING = [
  "logs:CreateLogStream",
  "logs:PutLogEvents",
  "xray:PutTraceSegments",
  "xray:PutTelemetryRecords",
];
const IDEMPOTENCY = ["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"];
/** An action reads the approval in front of its step and journals its writes on the timeline: nothing else. */
const ACTION_INCIDENTS = ["dynamodb:GetItem", "dynamodb:PutItem"];
const SECRET_READ = ["kms:Decrypt", "ssm:GetParameter"];
const X_RAY = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"];
const SFN_LOG_DELIVERY_AND_TRACING = [
  "logs:CreateLogDelivery",
  "logs:DeleteLogDelivery",
  "logs:DescribeLogGroups",
  "logs:DescribeResourcePolicies",
  "logs:GetLogDelivery",
  "logs:ListLogDeliveries",
  "logs:PutResourcePolicy",
  "logs:UpdateLogDelivery",
  "xray:GetSamplingRules",
  "xray:GetSamplingTargets",
  "xray:PutTelemetryRecords",
  "xray:PutTraceSegments",
];

/** A contract ARN as the test environment should render it. */
const rendered = (arn: string) =>
  arn.replace(/\$\{(Partition|Region|Account)\}/g, (_match, name: string) =>
    name === "Partition" ? "<AWS::Partition>" : name === "Region" ? TEST_ENV.region : TEST_ENV.account,
  );

const actionFunction = (name: string) => quell.logic.actions.functionFor(name);
const actionEntries = () => actionNames.map((name) => [name, actions[name].definition] as const);

/** The construct of each catalog function (every catalog entry must appear here: `satisfies`). */
const coreConstructs = (logic: LogicStack) =>
  ({
    ingest: logic.intake.ingest,
    triage: logic.intake.triage,
    approvalRequest: logic.tasks.approvalRequest,
    recorder: logic.tasks.recorder,
    slack: logic.slack.slack,
    notifier: logic.notifier.notifier,
    executionWatch: logic.executionWatch.watch,
    auditExport: logic.auditExport.exporter,
    shadowDigest: logic.shadowDigest.digest,
  }) satisfies Record<keyof typeof catalogFunctions, QuellFunction>;

/** Every function of a logic stack with its handler entry: core functions from the catalog, then actions. */
const functionsOf = (logic: LogicStack): { name: string; entry: string; fn: QuellFunction }[] => [
  ...Object.entries(coreConstructs(logic)).map(([name, fn]) => ({
    name,
    entry: catalogFunctions[name as keyof typeof catalogFunctions].entry,
    fn,
  })),
  ...actionNames.map((name) => ({
    name,
    entry: actionEntry(actions[name].folder),
    fn: logic.actions.functionFor(name),
  })),
];

/** Variables code reads but may go without: overrides with a default, set only when configured. */
const OPTIONAL_ENV: readonly string[] = [
  EnvNames.maxBodyBytes,
  EnvNames.openaiBaseUrl,
  EnvNames.anthropicBaseUrl,
  EnvNames.githubApiUrl,
  EnvNames.slackApiUrl,
  // Where docs/playbooks/ is published: set on approval-request only when configured (cards then link diagrams).
  EnvNames.playbookDocsUrl,
  // A self-hosted gateway's address: set on the actions holding its credential when the deployment has one.
  EnvNames.litellmBaseUrl,
  // Unset means nobody is allow-listed (every guardrail change is flagged); set only when configured.
  GUARDRAIL_ADMINS_ENV,
  // Unset means nothing is protected; set on every action only when the settings name protected principals.
  PROTECTED_PRINCIPALS_ENV,
  // Unset means a quell-quarantine/ prefix of the document's own bucket; set on bedrock-kb.* when configured.
  DOCUMENT_QUARANTINE_BUCKET_ENV,
  // Local only: the team file (or a triage-only file) instead of AppConfig, and how often it is looked at again.
  EnvNames.configFile,
  EnvNames.triageConfigFile,
  EnvNames.configMaxAgeSeconds,
  // Set only for actions that call AWS (their role to assume); the others have none.
  EnvNames.actionRoles,
];

/** Where triage and ingest find the triage configuration in AppConfig (TriageConfiguration.grantRead). */
const APPCONFIG_ENV = [
  EnvNames.appConfigApplication,
  EnvNames.appConfigEnvironment,
  EnvNames.appConfigProfile,
];

/** What each non-action function may read, by intent: secrets and environment variable names. */
const coreFunctions = () =>
  ({
    ingest: {
      fn: quell.logic.intake.ingest,
      // Each webhook source's own secret, and the token of POST /events.
      secrets: sorted([
        ...Object.values(sources).map((source) => source.secretName),
        SecretNames.eventsToken,
      ]),
      env: sorted([...APPCONFIG_ENV, "QUELL_EVENT_BUS_NAME", "QUELL_TABLE_NAME"]),
    },
    triage: {
      fn: quell.logic.intake.triage,
      secrets: [],
      env: sorted([
        ...APPCONFIG_ENV,
        "QUELL_DEDUP_WINDOW_SECONDS",
        "QUELL_PLAYBOOK_ARNS",
        "QUELL_TABLE_NAME",
      ]),
    },
    approvalRequest: {
      fn: quell.logic.tasks.approvalRequest,
      secrets: ["SLACK_BOT_TOKEN"],
      env: [
        "QUELL_APPROVERS",
        "QUELL_CONTAINMENTS_PER_HOUR",
        "QUELL_DRY_RUN",
        "QUELL_PLAYBOOK_DOCS_URL",
        "QUELL_SLACK_CHANNEL",
        "QUELL_TABLE_NAME",
      ],
    },
    recorder: {
      fn: quell.logic.tasks.recorder,
      secrets: [],
      env: ["QUELL_EVENT_BUS_NAME", "QUELL_TABLE_NAME"],
    },
    slack: {
      fn: quell.logic.slack.slack,
      secrets: ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"],
      env: ["QUELL_APPROVERS", "QUELL_EVENT_BUS_NAME", "QUELL_PLAYBOOK_ARNS", "QUELL_TABLE_NAME"],
    },
    notifier: {
      fn: quell.logic.notifier.notifier,
      secrets: ["SLACK_BOT_TOKEN"],
      env: ["QUELL_SLACK_CHANNEL", "QUELL_TABLE_NAME"],
    },
    executionWatch: {
      fn: quell.logic.executionWatch.watch,
      secrets: [],
      env: ["QUELL_EVENT_BUS_NAME", "QUELL_PLAYBOOK_ARNS", "QUELL_TABLE_NAME"],
    },
    auditExport: {
      fn: quell.logic.auditExport.exporter,
      secrets: [],
      env: ["QUELL_AUDIT_BUCKET"],
    },
    shadowDigest: {
      fn: quell.logic.shadowDigest.digest,
      secrets: ["SLACK_BOT_TOKEN"],
      env: ["QUELL_SLACK_CHANNEL", "QUELL_TABLE_NAME"],
    },
  }) satisfies Record<string, { fn: QuellFunction; secrets: string[]; env: string[] }>;

/** Every function with the secrets it is meant to read: core functions by intent, actions by contract. */
const secretExpectations = (): [string, QuellFunction, readonly string[]][] => [
  ...Object.entries(coreFunctions()).map(
    ([name, core]) => [name, core.fn, core.secrets] as [string, QuellFunction, string[]],
  ),
  ...actionEntries().map(
    ([name, definition]) =>
      [name, actionFunction(name), definition.secrets] as [string, QuellFunction, readonly string[]],
  ),
];

describe("action functions", () => {
  it("has one function per registered action, with its contract's timeout and its own role", () => {
    const roles = new Set<string>();
    for (const [name, definition] of actionEntries()) {
      const fn = actionFunction(name);
      expect(functionProps(fn).Timeout).toBe(definition.timeoutSeconds);
      roles.add(logicalIdOf(fn.role));
    }
    expect(roles.size).toBe(actionNames.length);
  });

  it.each(actionNames)(
    "role of %s grants logs, tracing, idempotency, secrets and assuming its action role; the action role exactly its IAM contract",
    (name) => {
      const { definition } = actions[name];
      const statements = statementsOf(actionFunction(name));
      const actionRole = quell.logic.actions.actionRoles.get(name);
      const expected = [
        ...PLUMBING,
        ...IDEMPOTENCY,
        ...ACTION_INCIDENTS,
        ...(definition.secrets.length > 0 ? SECRET_READ : []),
        ...(definition.iam.length > 0 ? ["sts:AssumeRole"] : []),
      ];
      expect(actionsIn(statements)).toEqual(sorted(expected));
      expect(
        resource(quell.raw.logic, logicalIdOf(actionFunction(name).role)).Properties?.ManagedPolicyArns,
      ).toBeUndefined();
      if (definition.iam.length === 0) {
        expect(actionRole).toBeUndefined();
        expect(environmentOf(actionFunction(name)).QUELL_ACTION_ROLES).toBeUndefined();
      } else {
        if (!actionRole) throw new Error(`${name} calls AWS but has no action role`);
        const roleId = logicalIdOf(actionRole);
        expect(resourcesFor(statements, "sts:AssumeRole")).toEqual([`<${roleId}.Arn>`]);
        expect(JSON.parse(flat(environmentOf(actionFunction(name)).QUELL_ACTION_ROLES))).toEqual({
          [name]: `<${roleId}.Arn>`,
        });
        const props = resource(quell.raw.logic, roleId).Properties ?? {};
        expect(props.RoleName).toMatch(new RegExp(`^quell-action-${TEST_CONFIG.environmentName}-`));
        expect(props.ManagedPolicyArns).toBeUndefined();
        // Only this action's function may assume it.
        expect(
          (props.AssumeRolePolicyDocument as { Statement: { Principal: unknown; Action: string }[] })
            .Statement,
        ).toEqual([
          expect.objectContaining({
            Action: "sts:AssumeRole",
            Principal: { AWS: { "Fn::GetAtt": [logicalIdOf(actionFunction(name).role), "Arn"] } },
          }),
        ]);
        const roleStatements = statementsOfRole(roleId);
        expect(actionsIn(roleStatements)).toEqual(sorted(definition.iam.flatMap((need) => need.actions)));
        for (const need of definition.iam) {
          for (const action of need.actions) {
            expect(resourcesFor(roleStatements, action), `${name}: ${action}`).toEqual(
              sorted(need.resources.map(rendered)),
            );
          }
        }
      }
      const idempotencyTable = arnOf(quell.data.tables.idempotency);
      const incidentsTable = arnOf(quell.data.tables.incidents);
      for (const action of IDEMPOTENCY) {
        const tables = [idempotencyTable, ...(ACTION_INCIDENTS.includes(action) ? [incidentsTable] : [])];
        expect(resourcesFor(statements, action), `${name}: ${action}`).toEqual(sorted(tables));
      }
      expect(resourcesFor(statements, "logs:PutLogEvents")).toEqual([arnOf(actionFunction(name).logGroup)]);
    },
  );

  it.each(actionNames)("%s gets the idempotency and incidents table names and the dry-run flag", (name) => {
    const env = environmentOf(actionFunction(name));
    expect(flat(env.QUELL_IDEMPOTENCY_TABLE_NAME)).toBe(ref(quell.data.tables.idempotency));
    expect(flat(env.QUELL_TABLE_NAME)).toBe(ref(quell.data.tables.incidents));
    expect(env.QUELL_DRY_RUN).toBe(String(TEST_CONFIG.dryRun));
  });

  it.each(actionNames)(
    "%s gets the LiteLLM gateway's address exactly when its contract holds the gateway's master key",
    (name) => {
      const holdsMasterKey = (actions[name].definition.secrets as readonly string[]).includes(
        SecretNames.litellmMasterKey,
      );
      expect(environmentOf(actionFunction(name))[EnvNames.litellmBaseUrl]).toBe(
        holdsMasterKey ? TEST_CONFIG.litellmBaseUrl : undefined,
      );
    },
  );

  it("gives the gateway's master key, by parameter name, to the two litellm actions only", () => {
    const holders = actionNames.filter(
      (name) =>
        environmentOf(actionFunction(name))[secretParameterVariable(SecretNames.litellmMasterKey)] !==
        undefined,
    );
    expect(sorted(holders)).toEqual(["litellm.block-end-user", "litellm.throttle-virtual-key"]);
  });
});

describe("every function", () => {
  it("exists once per core function and action, nothing else", () => {
    quell.logicTemplate.resourceCountIs(
      "AWS::Lambda::Function",
      Object.keys(coreFunctions()).length + actionNames.length,
    );
    quell.dataTemplate.resourceCountIs("AWS::Lambda::Function", 0);
  });

  it("runs the latest Node.js (24) on arm64 with active X-Ray tracing, source maps, a retained log group and its own role", () => {
    // The newest Node.js runtime aws-cdk-lib knows, as cdk-nag AwsSolutions-L1 ranks them: a newer one fails here.
    const nodeVersion = (name: string) => Number(/^nodejs(\d+)/.exec(name)?.[1] ?? 0);
    const latest = Math.max(...Runtime.ALL.map((runtime) => nodeVersion(runtime.name)));
    expect(latest).toBe(24);
    const functions = Object.values(quell.raw.logic.Resources).filter(
      (r) => r.Type === "AWS::Lambda::Function",
    );
    const roles = functions.map((fn) => flat(fn.Properties?.Role));
    expect(new Set(roles).size).toBe(functions.length);
    for (const fn of functions) {
      const props = fn.Properties ?? {};
      expect(props.Runtime).toBe("nodejs24.x");
      expect(props.Architectures).toEqual(["arm64"]);
      expect(props.TracingConfig).toEqual({ Mode: "Active" });
      expect((props.Environment as { Variables: Record<string, unknown> }).Variables.NODE_OPTIONS).toBe(
        "--enable-source-maps",
      );
      const logGroupId = flat((props.LoggingConfig as { LogGroup: unknown }).LogGroup).slice(1, -1);
      expect(resource(quell.raw.logic, logGroupId).Properties?.RetentionInDays).toBeGreaterThan(0);
    }
  });

  it("uses no AWS managed policies", () => {
    for (const role of Object.values(quell.raw.logic.Resources).filter((r) => r.Type === "AWS::IAM::Role")) {
      expect(role.Properties?.ManagedPolicyArns).toBeUndefined();
    }
  });

  it("gets only the environment variables it is meant to", () => {
    for (const [name, core] of Object.entries(coreFunctions())) {
      const expected = [
        "NODE_OPTIONS",
        ...core.env,
        ...core.secrets.map((secret) => secretParameterVariable(secret as SecretName)),
      ];
      expect(Object.keys(environmentOf(core.fn)).sort(), name).toEqual(sorted(expected));
    }
  });

  it("has its intent written down above: every catalog function, no other", () => {
    expect(sorted(Object.keys(coreFunctions()))).toEqual(sorted(Object.keys(catalogFunctions)));
  });

  it("gets every variable its code requires, and none its code never reads", () => {
    for (const { name, entry, fn } of functionsOf(quell.logic)) {
      const read = envNamesReadBy(entry);
      const set = Object.keys(environmentOf(fn)).filter(
        (variable) => variable !== "NODE_OPTIONS" && !variable.endsWith("_PARAMETER"),
      );
      expect(
        set.filter((variable) => !read.has(variable)),
        `${name} gets variables its code never reads`,
      ).toEqual([]);
      expect(
        [...read].filter((variable) => !OPTIONAL_ENV.includes(variable) && !set.includes(variable)),
        `${name} reads variables it does not get`,
      ).toEqual([]);
    }
  });
});

describe("variables read outside EnvNames", () => {
  it("are each written down in LITERAL_ENV_READS with the file that reads them, and no others exist", () => {
    const spelled = functionSourceFiles().flatMap((file) =>
      literalEnvNamesIn(file).map((name) => ({ name, file })),
    );
    expect(sorted(spelled.map(({ name, file }) => `${file}: ${name}`))).toEqual(
      sorted(LITERAL_ENV_READS.map(({ name, file }) => `${file}: ${name}`)),
    );
  });

  it("include the guardrail-admin allow-list, which ingest and triage import with the aws.bedrock adapter", () => {
    expect(GUARDRAIL_ADMINS_ENV).toBe("QUELL_GUARDRAIL_ADMINS");
    const readers = functionsOf(quell.logic)
      .filter(({ entry }) => envNamesReadBy(entry).has(GUARDRAIL_ADMINS_ENV))
      .map(({ name }) => name);
    // Ingest normalises POST /events only to refuse what triage would refuse; the allow-list changes an
    // alert's type and severity, never whether it is valid, so only triage (whose verdict counts) gets it.
    expect(sorted(readers)).toEqual(["ingest", "triage"]);
  });
});

describe("secrets", () => {
  const secretNamesInTemplate = () => quell.data.secrets.names;

  /** How the logic stack spells the ARN of the parameter holding `secret` (the test env is concrete). */
  const parameterArn = (secret: string) =>
    `arn:<AWS::Partition>:ssm:${TEST_ENV.region}:${TEST_ENV.account}:parameter/quell/${TEST_CONFIG.environmentName}/${secret}`;

  it("are SecureString parameters the stack names for exactly the secrets some function reads, and never creates", () => {
    const used = secretExpectations().flatMap(([, , secrets]) => secrets);
    expect(sorted(secretNamesInTemplate())).toEqual(sorted(used));
    for (const template of [quell.raw.data, quell.raw.logic]) {
      const types = Object.values(template.Resources).map((r) => r.Type);
      expect(types).not.toContain("AWS::SecretsManager::Secret");
      expect(types).not.toContain("AWS::SSM::Parameter");
    }
  });

  it("are listed in the data stack's outputs: each parameter's name and the command that sets it", () => {
    const outputs = Object.values(quell.raw.data.Outputs ?? {}).map((output) => output.Value);
    for (const secret of secretNamesInTemplate()) {
      const name = `/quell/${TEST_CONFIG.environmentName}/${secret}`;
      expect(quell.data.secrets.parameterName(secret)).toBe(name);
      expect(outputs).toContain(name);
      expect(outputs).toContain(putParameterCommand(name));
      expect(putParameterCommand(name)).toBe(
        `aws ssm put-parameter --type SecureString --overwrite --name ${name} --value '<value>'`,
      );
    }
  });

  it("reach functions only as <NAME>_PARAMETER names, readable only where declared, decrypted only through SSM", () => {
    const allNames = secretNamesInTemplate();
    for (const [name, fn, declared] of secretExpectations()) {
      const env = environmentOf(fn);
      for (const secret of allNames) expect(env[secret], `${name} must not hold ${secret}`).toBeUndefined();
      const parameterVariables = Object.keys(env).filter((key) => key.endsWith("_PARAMETER"));
      expect(parameterVariables.sort(), name).toEqual(
        sorted(declared.map((secret) => secretParameterVariable(secret as SecretName))),
      );
      for (const secret of declared) {
        expect(env[secretParameterVariable(secret as SecretName)], `${name}: ${secret}`).toBe(
          `/quell/${TEST_CONFIG.environmentName}/${secret}`,
        );
      }
      const statements = statementsOf(fn);
      const arns = sorted(declared.map(parameterArn));
      expect(resourcesFor(statements, "ssm:GetParameter"), name).toEqual(arns);
      expect(
        actionsIn(statements).filter((action) => action.startsWith("ssm:") || action.startsWith("kms:")),
        name,
      ).toEqual(declared.length > 0 ? SECRET_READ : []);
      const decrypt = statements.filter((statement) => list(statement.Action).includes("kms:Decrypt"));
      expect(decrypt, name).toHaveLength(declared.length > 0 ? 1 : 0);
      for (const statement of decrypt) {
        expect(list(statement.Action)).toEqual(["kms:Decrypt"]);
        expect(list(statement.Resource).map(flat)).toEqual([
          `arn:<AWS::Partition>:kms:${TEST_ENV.region}:${TEST_ENV.account}:key/*`,
        ]);
        const conditions = statement.Condition as { StringEquals: Record<string, unknown> };
        expect(Object.keys(conditions)).toEqual(["StringEquals"]);
        expect(conditions.StringEquals["kms:ViaService"]).toBe(`ssm.${TEST_ENV.region}.amazonaws.com`);
        expect(
          sorted(list(conditions.StringEquals["kms:EncryptionContext:PARAMETER_ARN"]).map(flat)),
        ).toEqual(arns);
      }
    }
  });

  it("are never resolved into a template as values (no secretsmanager or ssm-secure dynamic references)", () => {
    for (const template of [quell.raw.data, quell.raw.logic]) {
      expect(JSON.stringify(template)).not.toMatch(/resolve:(secretsmanager|ssm-secure):/);
    }
  });
});

describe("ingest and slack Function URLs", () => {
  it("exist for ingest and slack only, with auth NONE (bodies are signed and verified in code)", () => {
    const urls = Object.values(quell.raw.logic.Resources).filter((r) => r.Type === "AWS::Lambda::Url");
    expect(sorted(urls.map((url) => flat(url.Properties?.TargetFunctionArn)))).toEqual(
      sorted([arnOf(quell.logic.intake.ingest.fn), arnOf(quell.logic.slack.slack.fn)]),
    );
    for (const url of urls) expect(url.Properties?.AuthType).toBe("NONE");
  });

  it("are stack outputs, with the bus name and every playbook's state machine ARN", () => {
    const outputs = quell.raw.logic.Outputs ?? {};
    const values = Object.values(outputs).map((output) => flat(output.Value));
    expect(values).toContain(`<${logicalIdOf(quell.logic.intake.ingestUrl)}.FunctionUrl>`);
    expect(values).toContain(`<${logicalIdOf(quell.logic.slack.url)}.FunctionUrl>`);
    expect(values).toContain(ref(quell.logic.intake.bus));
    for (const machine of quell.logic.playbooks.machines) expect(values).toContain(ref(machine.stateMachine));
  });
});

describe("ingest", () => {
  it("may put events on the Quell bus and keep refusals and seen signatures in the incident table, nothing more", () => {
    const statements = statementsOf(quell.logic.intake.ingest);
    expect(resourcesFor(statements, "events:PutEvents")).toEqual([arnOf(quell.logic.intake.bus)]);
    const tableActions = [
      "dynamodb:DeleteItem",
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
    ];
    expect(sorted(actionsIn(statements).filter((action) => action.startsWith("dynamodb:")))).toEqual(
      tableActions,
    );
    for (const action of tableActions)
      expect(resourcesFor(statements, action)).toEqual([arnOf(quell.data.tables.incidents)]);
    // Only the partitions ingest writes: REJECT#<day> (refusals) and REPLAY#<signature hash> (deliveries seen).
    const onTable = statements.filter((statement) => JSON.stringify(statement.Action).includes("dynamodb:"));
    expect(onTable.map((statement) => (statement as Statement & { Condition?: unknown }).Condition)).toEqual([
      { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["REJECT#*", "REPLAY#*"] } },
    ]);
    const env = environmentOf(quell.logic.intake.ingest);
    expect(flat(env.QUELL_EVENT_BUS_NAME)).toBe(ref(quell.logic.intake.bus));
    expect(flat(env.QUELL_TABLE_NAME)).toBe(ref(quell.data.tables.incidents));
  });
});

describe("triage", () => {
  it("is the target of the Alert Received rule on the Quell bus, with retries and the failure queue", () => {
    const rule = resource(quell.raw.logic, logicalIdOf(quell.logic.intake.triageRule)).Properties ?? {};
    expect(rule.EventPattern).toEqual({ source: ["quell.ingest"], "detail-type": ["Alert Received"] });
    expect(flat(rule.EventBusName)).toBe(ref(quell.logic.intake.bus));
    const targets = rule.Targets as Record<string, unknown>[];
    expect(targets).toHaveLength(1);
    const [target] = targets;
    expect(flat(target?.Arn)).toBe(arnOf(quell.logic.intake.triage.fn));
    expect(target?.RetryPolicy).toMatchObject({ MaximumRetryAttempts: expect.any(Number) });
    // Undeliverable events and triage's own failed invocations wait in the stack's one failure queue
    // (test/infra/self-monitoring.test.ts checks its on-failure destination).
    const failures = quell.logic.intake.triage.failureQueue;
    if (!failures) throw new Error("triage has no failure queue");
    expect(flat((target?.DeadLetterConfig as { Arn: unknown } | undefined)?.Arn)).toBe(arnOf(failures));
    expect(functionProps(quell.logic.intake.triage).DeadLetterConfig).toBeUndefined();
  });

  it("knows every playbook's state machine and may start exactly those (never the undo machine)", () => {
    const env = environmentOf(quell.logic.intake.triage);
    const machines = quell.logic.playbooks.machines.filter((machine) => machine.name !== UNDO_MACHINE);
    expect(machines.map((machine) => machine.name)).toEqual(playbooks.map((playbook) => playbook.name));
    expect(JSON.parse(flat(env.QUELL_PLAYBOOK_ARNS))).toEqual(
      Object.fromEntries(machines.map((machine) => [machine.name, ref(machine.stateMachine)])),
    );
    expect(env.QUELL_DEDUP_WINDOW_SECONDS).toBe(String(TEST_CONFIG.dedupWindowSeconds));
    const statements = statementsOf(quell.logic.intake.triage);
    expect(actionsIn(statements).filter((action) => action.startsWith("states:"))).toEqual([
      "states:StartExecution",
    ]);
    expect(resourcesFor(statements, "states:StartExecution")).toEqual(
      sorted(machines.map((machine) => ref(machine.stateMachine))),
    );
  });
});

describe("guardrail admins", () => {
  const admins = ["arn:aws:iam::123456789012:role/GuardrailAdmins", "arn:aws:iam::123456789012:user/alice"];

  it("reach triage as QUELL_GUARDRAIL_ADMINS only when configured, and no other function", () => {
    const configured = synthQuell(TEST_ENV, { ...TEST_CONFIG, guardrailAdmins: admins });
    for (const { name, fn } of functionsOf(configured.logic)) {
      expect(environmentIn(configured.raw.logic, fn)[GUARDRAIL_ADMINS_ENV], name).toBe(
        name === "triage" ? admins.join(",") : undefined,
      );
    }
    // Still exactly triage's intended variables, plus this one.
    const triage = coreFunctions().triage;
    expect(Object.keys(environmentIn(configured.raw.logic, configured.logic.intake.triage)).sort()).toEqual(
      sorted(["NODE_OPTIONS", ...triage.env, ...triage.secrets, GUARDRAIL_ADMINS_ENV]),
    );
    expect(TEST_CONFIG.guardrailAdmins).toEqual([]);
    for (const { name, fn } of functionsOf(quell.logic))
      expect(environmentOf(fn)[GUARDRAIL_ADMINS_ENV], name).toBeUndefined();
  });
});

describe("AWS event sources on the default bus", () => {
  const CLOUDTRAIL_API_CALL = "AWS API Call via CloudTrail";
  const intake = () => quell.logic.intake;
  const triageDeadLetters = () => {
    const queue = intake().triage.failureQueue;
    if (!queue) throw new Error("triage has no failure queue");
    return queue;
  };
  const propertiesOf = (construct: IConstruct) =>
    resource(quell.raw.logic, logicalIdOf(construct)).Properties ?? {};
  const ruleFor = (source: string) => {
    const rule = intake().awsEventRules.get(source);
    if (!rule) throw new Error(`no default-bus rule for ${source}`);
    return rule;
  };
  const targetsOf = (construct: IConstruct) =>
    list(propertiesOf(construct).Targets as Record<string, unknown>[]);
  /** What the adapter itself says: source, detail-types and its detail pattern (test/infra/source-filters.test.ts). */
  const expectedPattern = (source: string) => {
    const adapter = eventSources[source];
    if (!adapter) throw new Error(`no adapter ${source}`);
    return {
      source: [adapter.source],
      "detail-type": [...adapter.detailTypes],
      detail: adapter.detailPattern({ cloudwatchAlarmNamePrefixes: TEST_CONFIG.cloudwatchAlarmNamePrefixes }),
    };
  };
  const registered = Object.keys(eventSources);

  it("has one rule per registered event source on the default bus, the execution watch's, and no other rules in the stack", () => {
    expect(registered.length).toBeGreaterThan(0);
    for (const [key, adapter] of Object.entries(eventSources)) expect(adapter.source).toBe(key);
    const onDefaultBus = Object.entries(quell.raw.logic.Resources).filter(
      ([, r]) => r.Type === "AWS::Events::Rule" && r.Properties?.EventBusName === "default",
    );
    expect(sorted(onDefaultBus.map(([id]) => id))).toEqual(
      sorted([
        ...registered.map((source) => logicalIdOf(ruleFor(source))),
        // Step Functions' own events about Quell's executions (test/infra/execution-watch.test.ts).
        logicalIdOf(quell.logic.executionWatch.rule),
        // Failed, timed-out and aborted executions to the alarm topic (test/infra/self-monitoring.test.ts).
        ...quell.logic.monitoring.executionRules.map(logicalIdOf),
      ]),
    );
    expect(sorted(intake().awsEventRules.keys())).toEqual(sorted(registered));
    // These, the watch's, Quell's bus's two (Alert Received to triage, incident events to the notifier), and the
    // shadow digest's daily schedule (test/infra/shadow-digest.test.ts).
    quell.logicTemplate.resourceCountIs(
      "AWS::Events::Rule",
      registered.length + 4 + quell.logic.monitoring.executionRules.length,
    );
  });

  it.each(registered)("%s: matches exactly the adapter's source, detail-types and detail pattern", (source) =>
    expect(propertiesOf(ruleFor(source)).EventPattern).toEqual(expectedPattern(source)),
  );

  it("narrows aws.bedrock to the CloudTrail calls the adapter classifies", () => {
    expect(eventSources["aws.bedrock"]?.detailTypes).toEqual([CLOUDTRAIL_API_CALL]);
    const pattern = propertiesOf(ruleFor("aws.bedrock")).EventPattern as { detail: { eventName: string[] } };
    expect(sorted(pattern.detail.eventName)).toEqual(sorted([...GUARDRAIL_CHANGES, ...MODEL_ENUMERATION]));
  });

  it("receives read-only CloudTrail management events (ListFoundationModels) on CloudTrail rules only", () => {
    expect(WATCHED_EVENT_NAMES).toContain("ListFoundationModels");
    for (const [source, adapter] of Object.entries(eventSources)) {
      expect(propertiesOf(ruleFor(source)).State, source).toBe(
        adapter.detailTypes.includes(CLOUDTRAIL_API_CALL)
          ? "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
          : "ENABLED",
      );
    }
    expect(propertiesOf(ruleFor("aws.bedrock")).State).toBe("ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS");
  });

  it.each(registered)(
    "%s: targets triage, raw, with the Alert Received rule's retries and dead-letter queue",
    (source) => {
      const [alertReceived] = targetsOf(intake().triageRule);
      const targets = targetsOf(ruleFor(source));
      expect(targets).toHaveLength(1);
      const [target] = targets;
      expect(flat(target?.Arn)).toBe(arnOf(intake().triage.fn));
      expect(flat((target?.DeadLetterConfig as { Arn: unknown } | undefined)?.Arn)).toBe(
        arnOf(triageDeadLetters()),
      );
      expect(target?.RetryPolicy).toEqual(alertReceived?.RetryPolicy);
      expect(target?.RetryPolicy).toMatchObject({
        MaximumRetryAttempts: 8,
        MaximumEventAgeInSeconds: 24 * 3600,
      });
      // Triage takes the AWS event as EventBridge delivers it (toAlertReceived).
      for (const key of ["Input", "InputPath", "InputTransformer"])
        expect(target?.[key], key).toBeUndefined();
    },
  );

  it("lets exactly these rules and Alert Received invoke triage and dead-letter into its queue", () => {
    const rules = sorted([intake().triageRule, ...intake().awsEventRules.values()].map(arnOf));
    const invokers = Object.values(quell.raw.logic.Resources)
      .filter(
        (r) =>
          r.Type === "AWS::Lambda::Permission" &&
          flat(r.Properties?.FunctionName) === arnOf(intake().triage.fn),
      )
      .map((r) => {
        expect(r.Properties?.Action).toBe("lambda:InvokeFunction");
        expect(r.Properties?.Principal).toBe("events.amazonaws.com");
        return flat(r.Properties?.SourceArn);
      });
    expect(sorted(invokers)).toEqual(rules);

    const queuePolicies = Object.values(quell.raw.logic.Resources).filter(
      (r) =>
        r.Type === "AWS::SQS::QueuePolicy" &&
        list(r.Properties?.Queues as unknown[]).some((queue) => flat(queue) === ref(triageDeadLetters())),
    );
    const senders = queuePolicies
      .flatMap((r) =>
        list(
          (r.Properties?.PolicyDocument as { Statement?: Record<string, unknown>[] } | undefined)?.Statement,
        ),
      )
      .filter((statement) => statement.Effect === "Allow")
      .map((statement) => {
        expect(list(statement.Action as string | string[])).toEqual(["sqs:SendMessage"]);
        expect(statement.Principal).toEqual({ Service: "events.amazonaws.com" });
        const condition = statement.Condition as { ArnEquals?: Record<string, unknown> } | undefined;
        return flat(condition?.ArnEquals?.["aws:SourceArn"]);
      });
    // The failure queue is shared: exactly the rules that dead-letter into it may send to it, these among them.
    const deadLettering = Object.entries(quell.raw.logic.Resources)
      .filter(
        ([, r]) =>
          r.Type === "AWS::Events::Rule" &&
          list(r.Properties?.Targets as Record<string, unknown>[]).some(
            (target) =>
              target.DeadLetterConfig !== undefined &&
              flat((target.DeadLetterConfig as { Arn: unknown }).Arn) === arnOf(triageDeadLetters()),
          ),
      )
      .map(([id]) => `<${id}.Arn>`);
    expect(deadLettering).toEqual(expect.arrayContaining(rules));
    expect(sorted(senders)).toEqual(sorted(deadLettering));
  });
});

describe("Slack", () => {
  it("answers task tokens of Quell's state machines only (success or failure, no heartbeat), and starts only those", () => {
    const statements = statementsOf(quell.logic.slack.slack);
    const machines = sorted(quell.logic.playbooks.machines.map((machine) => ref(machine.stateMachine)));
    expect(quell.logic.playbooks.machines.map((machine) => machine.name)).toContain(UNDO_MACHINE);
    expect(actionsIn(statements).filter((action) => action.startsWith("states:"))).toEqual([
      "states:SendTaskFailure",
      "states:SendTaskSuccess",
      "states:StartExecution",
    ]);
    expect(resourcesFor(statements, "states:SendTaskSuccess")).toEqual(machines);
    expect(resourcesFor(statements, "states:SendTaskFailure")).toEqual(machines);
    // `/quell dry-run` starts playbooks; Undo starts the undo machine.
    expect(resourcesFor(statements, "states:StartExecution")).toEqual(machines);
    expect(JSON.parse(flat(environmentOf(quell.logic.slack.slack).QUELL_PLAYBOOK_ARNS))).toEqual(
      Object.fromEntries(
        quell.logic.playbooks.machines.map((machine) => [machine.name, ref(machine.stateMachine)]),
      ),
    );
  });

  it("lets the approval request record the incident's Slack thread (UpdateItem on the incident table)", () => {
    const statements = statementsOf(quell.logic.tasks.approvalRequest);
    expect(resourcesFor(statements, "dynamodb:UpdateItem")).toEqual([arnOf(quell.data.tables.incidents)]);
    expect(resourcesFor(statements, "dynamodb:GetItem")).toEqual([arnOf(quell.data.tables.incidents)]);
  });

  it("posts approval requests to the configured channel for the configured approvers", () => {
    const env = environmentOf(quell.logic.tasks.approvalRequest);
    expect(env.QUELL_SLACK_CHANNEL).toBe(TEST_CONFIG.slackChannel);
    expect(env.QUELL_APPROVERS).toBe(TEST_CONFIG.approvers.join(","));
    expect(env.QUELL_DRY_RUN).toBe("true");
    expect(environmentOf(quell.logic.slack.slack).QUELL_APPROVERS).toBe(TEST_CONFIG.approvers.join(","));
  });
});

describe("Quell's bus", () => {
  const bus = () => quell.logic.intake.bus;
  /** Functions whose code reads QUELL_EVENT_BUS_NAME, i.e. publish on Quell's bus. */
  const publishers = () =>
    new Set(
      functionsOf(quell.logic)
        .filter(({ entry }) => envNamesReadBy(entry).has(EnvNames.eventBusName))
        .map(({ name }) => name),
    );
  const eventsActions = (statements: Statement[]) =>
    actionsIn(statements).filter((action) => action.startsWith("events:"));

  it("is named to every function whose code reads QUELL_EVENT_BUS_NAME, and to no other", () => {
    expect(sorted(publishers())).toEqual(["executionWatch", "ingest", "recorder", "slack"]);
    for (const { name, fn } of functionsOf(quell.logic)) {
      const value = environmentOf(fn).QUELL_EVENT_BUS_NAME;
      if (publishers().has(name)) expect(flat(value), name).toBe(ref(bus()));
      else expect(value, name).toBeUndefined();
    }
  });

  it("takes events from exactly those functions, and no role may put events anywhere else", () => {
    for (const { name, fn } of functionsOf(quell.logic)) {
      const statements = statementsOf(fn);
      const publishes = publishers().has(name);
      expect(eventsActions(statements), name).toEqual(publishes ? ["events:PutEvents"] : []);
      expect(resourcesFor(statements, "events:PutEvents"), name).toEqual(publishes ? [arnOf(bus())] : []);
    }
    const eventStatements = allStatements().filter((statement) => eventsActions([statement]).length > 0);
    expect(eventStatements.length).toBeGreaterThan(0);
    for (const statement of eventStatements) {
      expect(list(statement.Action)).toEqual(["events:PutEvents"]);
      expect(list(statement.Resource).map(flat)).toEqual([arnOf(bus())]);
    }
  });

  it("takes the recorder's and the Slack function's incident events, and only on Quell's bus", () => {
    for (const fn of [quell.logic.tasks.recorder, quell.logic.slack.slack]) {
      const statements = statementsOf(fn);
      expect(eventsActions(statements)).toEqual(["events:PutEvents"]);
      expect(resourcesFor(statements, "events:PutEvents")).toEqual([arnOf(bus())]);
      expect(flat(environmentOf(fn).QUELL_EVENT_BUS_NAME)).toBe(ref(bus()));
    }
  });

  it("has two rules: accepted alerts to triage, incident events to the notifier", () => {
    const rules = Object.entries(quell.raw.logic.Resources).filter(
      ([, r]) =>
        r.Type === "AWS::Events::Rule" &&
        r.Properties?.EventBusName !== undefined &&
        flat(r.Properties.EventBusName) === ref(bus()),
    );
    expect(sorted(rules.map(([id]) => id))).toEqual(
      sorted([logicalIdOf(quell.logic.intake.triageRule), logicalIdOf(quell.logic.notifier.rule)]),
    );
  });
});

describe("notifier", () => {
  const notifier = () => quell.logic.notifier.notifier;
  const failuresOf = (fn: QuellFunction) => {
    if (!fn.failureQueue) throw new Error(`${fn.node.path} has no failure queue`);
    return fn.failureQueue;
  };

  it("is the target of the Incident Timeline Event rule on Quell's bus, with retries and the failure queue", () => {
    expect(QUELL_EVENT).toEqual({ source: "quell.incident", detailType: "Incident Timeline Event" });
    const rule = resource(quell.raw.logic, logicalIdOf(quell.logic.notifier.rule)).Properties ?? {};
    expect(rule.EventPattern).toEqual({
      source: ["quell.incident"],
      "detail-type": ["Incident Timeline Event"],
    });
    expect(flat(rule.EventBusName)).toBe(ref(quell.logic.intake.bus));
    expect(rule.State).toBe("ENABLED");
    const targets = rule.Targets as Record<string, unknown>[];
    expect(targets).toHaveLength(1);
    const [target] = targets;
    expect(flat(target?.Arn)).toBe(arnOf(notifier().fn));
    const retries = (target?.RetryPolicy as { MaximumRetryAttempts?: number } | undefined)
      ?.MaximumRetryAttempts;
    expect(retries).toBeGreaterThan(0);
    // One queue for every asynchronous function: each message names the function it goes back to.
    const failures = failuresOf(notifier());
    expect(failures).toBe(quell.logic.intake.triage.failureQueue);
    expect(flat((target?.DeadLetterConfig as { Arn: unknown } | undefined)?.Arn)).toBe(arnOf(failures));
    expect(functionProps(notifier()).DeadLetterConfig).toBeUndefined();
  });

  it("only reads incidents and approvals, nothing more", () => {
    const statements = statementsOf(notifier());
    const table = arnOf(quell.data.tables.incidents);
    expect(actionsIn(statements)).toEqual(
      sorted([...PLUMBING, ...SECRET_READ, "dynamodb:GetItem", "sqs:SendMessage"]),
    );
    expect(resourcesFor(statements, "dynamodb:GetItem")).toEqual([table]);
    expect(resourcesFor(statements, "sqs:SendMessage")).toEqual([arnOf(failuresOf(notifier()))]);
  });

  it("posts to the configured channel with the bot token by reference, within its catalog timeout", () => {
    const env = environmentOf(notifier());
    expect(env.QUELL_SLACK_CHANNEL).toBe(TEST_CONFIG.slackChannel);
    expect(flat(env.QUELL_TABLE_NAME)).toBe(ref(quell.data.tables.incidents));
    expect(env.SLACK_BOT_TOKEN_PARAMETER).toBe(quell.data.secrets.parameterName("SLACK_BOT_TOKEN"));
    expect(functionProps(notifier()).Timeout).toBe(catalogFunctions.notifier.timeoutSeconds);
  });
});

describe("Slack API URL override", () => {
  it("reaches exactly the functions whose code talks to Slack, and only when configured", () => {
    const slackApiUrl = "https://slack.stand-in.example/api/";
    const overridden = synthQuell(TEST_ENV, { ...TEST_CONFIG, slackApiUrl });
    const talkers = new Set(
      functionsOf(overridden.logic)
        .filter(({ entry }) => envNamesReadBy(entry).has(EnvNames.slackApiUrl))
        .map(({ name }) => name),
    );
    expect(sorted(talkers)).toEqual(["approvalRequest", "notifier", "shadowDigest", "slack"]);
    for (const { name, fn } of functionsOf(overridden.logic)) {
      expect(environmentIn(overridden.raw.logic, fn).SLACK_API_URL, name).toBe(
        talkers.has(name) ? slackApiUrl : undefined,
      );
    }
    for (const { name, fn } of functionsOf(quell.logic))
      expect(environmentOf(fn).SLACK_API_URL, name).toBeUndefined();
  });
});

describe("playbook state machines", () => {
  it("are Standard, log ALL events without execution data, and trace with X-Ray", () => {
    quell.logicTemplate.resourceCountIs("AWS::StepFunctions::StateMachine", playbooks.length + 1);
    for (const machine of quell.logic.playbooks.machines) {
      const props = resource(quell.raw.logic, logicalIdOf(machine.stateMachine)).Properties ?? {};
      expect(props.StateMachineType).toBe("STANDARD");
      expect(props.TracingConfiguration).toEqual({ Enabled: true });
      const logging = props.LoggingConfiguration as {
        Level: string;
        IncludeExecutionData: boolean;
        Destinations: unknown[];
      };
      expect(logging.Level).toBe("ALL");
      expect(logging.IncludeExecutionData).toBe(false);
      expect(logging.Destinations).toHaveLength(1);
    }
  });

  it.each(compiledMachines().map((machine) => machine.name))(
    "%s: every placeholder resolves to the right function",
    (name) => {
      const compiled = compiledMachines().find((candidate) => candidate.name === name);
      const machine = quell.logic.playbooks.machines.find((candidate) => candidate.name === name);
      if (!compiled || !machine) throw new Error(`no state machine for ${name}`);
      const props = resource(quell.raw.logic, logicalIdOf(machine.stateMachine)).Properties ?? {};
      expect(JSON.parse(props.DefinitionString as string)).toEqual(compiled.definition);

      const substitutions = props.DefinitionSubstitutions as Record<string, unknown>;
      const expected = Object.fromEntries(
        Object.entries(compiled.substitutions).map(([placeholder, target]) => {
          const fn =
            target.kind === "action"
              ? actionFunction(target.action)
              : target.kind === "approvalRequest"
                ? quell.logic.tasks.approvalRequest
                : quell.logic.tasks.recorder;
          return [placeholder, arnOf(fn.fn)];
        }),
      );
      expect(
        Object.fromEntries(Object.entries(substitutions).map(([key, value]) => [key, flat(value)])),
      ).toEqual(expected);

      let definition = props.DefinitionString as string;
      for (const [placeholder, value] of Object.entries(expected))
        definition = definition.replaceAll(`\${${placeholder}}`, value);
      expect(definition).not.toContain("${");
    },
  );

  it("may each invoke exactly the functions their definitions name", () => {
    for (const machine of quell.logic.playbooks.machines) {
      const roleId = flat(
        resource(quell.raw.logic, logicalIdOf(machine.stateMachine)).Properties?.RoleArn,
      ).replace(/^<(.*)\.Arn>$/, "$1");
      const statements = statementsOfRole(roleId);
      const substitutions = resource(quell.raw.logic, logicalIdOf(machine.stateMachine)).Properties
        ?.DefinitionSubstitutions as Record<string, unknown>;
      expect(resourcesFor(statements, "lambda:InvokeFunction")).toEqual(
        sorted(Object.values(substitutions).map(flat)),
      );
      expect(actionsIn(statements).filter((action) => action.startsWith("lambda:"))).toEqual([
        "lambda:InvokeFunction",
      ]);
    }
  });
});

describe("wildcards", () => {
  const wildcardStatements = (statements: Statement[]) =>
    statements.filter((statement) => list(statement.Resource).some((value) => flat(value).includes("*")));

  it("appear in function roles only for X-Ray, SSM's decryption, the watch's DescribeExecution and the audit heads, and in action roles for contract ARNs", () => {
    const contractArns = new Map(
      actionEntries().map(([name, definition]) => [
        logicalIdOf(actionFunction(name).role),
        new Set(definition.iam.flatMap((need) => need.resources.map(rendered))),
      ]),
    );
    const roles = Object.entries(quell.raw.logic.Resources)
      .filter(([, r]) => r.Type === "AWS::Lambda::Function")
      .map(([, fn]) => flat(fn.Properties?.Role).replace(/^<(.*)\.Arn>$/, "$1"));
    for (const roleId of roles) {
      for (const statement of wildcardStatements(statementsOfRole(roleId))) {
        const resources = list(statement.Resource).map(flat);
        if (resources.includes("*")) {
          expect(resources, roleId).toEqual(["*"]);
          // Lambda's stream poller lists the table's streams: ListStreams takes no resource.
          const resourceless =
            roleId === logicalIdOf(quell.logic.auditExport.exporter.role) &&
            list(statement.Action).includes("dynamodb:ListStreams");
          expect(sorted(list(statement.Action)), roleId).toEqual(
            resourceless ? ["dynamodb:ListStreams"] : sorted(X_RAY),
          );
        } else if (list(statement.Action).includes("kms:Decrypt")) {
          // The aws/ssm key's id is not known at synth: bounded by kms:ViaService and the parameters' ARNs.
          expect(list(statement.Action), roleId).toEqual(["kms:Decrypt"]);
          expect(JSON.stringify(statement.Condition), roleId).toContain(
            "kms:EncryptionContext:PARAMETER_ARN",
          );
        } else if (roleId === logicalIdOf(quell.logic.executionWatch.watch.role)) {
          // Any execution of one of Quell's machines (test/infra/execution-watch.test.ts checks which).
          expect(list(statement.Action), roleId).toEqual(["states:DescribeExecution"]);
          for (const arn of resources) expect(arn, roleId).toMatch(/:execution:<Playbooks\w+\.Name>:\*$/);
        } else if (roleId === logicalIdOf(quell.logic.auditExport.exporter.role)) {
          // The audit bucket's heads/ prefix (test/infra/audit-export.test.ts checks the statement).
          expect(sorted(list(statement.Action)), roleId).toEqual(["s3:GetObject", "s3:PutObject"]);
          expect(resources, roleId).toEqual([
            `arn:<AWS::Partition>:s3:::quell-audit-${TEST_ENV.account}-${TEST_ENV.region}-test/heads/*`,
          ]);
        } else {
          for (const arn of resources)
            expect(contractArns.get(roleId)?.has(arn), `${roleId}: ${arn}`).toBe(true);
        }
      }
    }
  });

  it("appear in state machine roles only for log delivery and X-Ray", () => {
    for (const machine of quell.logic.playbooks.machines) {
      const roleId = logicalIdOf(machine.stateMachine.role);
      const wildcards = wildcardStatements(statementsOfRole(roleId));
      for (const statement of wildcards) expect(list(statement.Resource)).toEqual(["*"]);
      expect(actionsIn(wildcards)).toEqual(SFN_LOG_DELIVERY_AND_TRACING);
    }
  });
});

describe("data stack", () => {
  it("keeps incidents in a retained, protected, point-in-time-recoverable pk/sk table with TTL expiresAt", () => {
    const table = resource(quell.raw.data, logicalIdOf(quell.data.tables.incidents));
    expect(table.DeletionPolicy).toBe("Retain");
    expect(table.Properties).toMatchObject({
      KeySchema: [
        { AttributeName: "pk", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" },
      ],
      BillingMode: "PAY_PER_REQUEST",
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: "expiresAt", Enabled: true },
      DeletionProtectionEnabled: true,
      SSESpecification: { SSEEnabled: true },
    });
  });

  it("keeps Powertools idempotency records in an id table with TTL expiration", () => {
    const table = resource(quell.raw.data, logicalIdOf(quell.data.tables.idempotency));
    expect(table.Properties).toMatchObject({
      KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
      BillingMode: "PAY_PER_REQUEST",
      TimeToLiveSpecification: { AttributeName: "expiration", Enabled: true },
    });
  });

  it("uses generated physical names, except the action roles, which triage recognises by name", () => {
    const named: Record<string, string> = {
      "AWS::DynamoDB::Table": "TableName",
      "AWS::Lambda::Function": "FunctionName",
      "AWS::IAM::Role": "RoleName",
      "AWS::StepFunctions::StateMachine": "StateMachineName",
      "AWS::Logs::LogGroup": "LogGroupName",
      "AWS::SQS::Queue": "QueueName",
    };
    for (const template of [quell.raw.data, quell.raw.logic]) {
      for (const [id, r] of Object.entries(template.Resources)) {
        const property = named[r.Type];
        if (!property) continue;
        const actionRole = [...quell.logic.actions.actionRoles.values()].some(
          (role) => logicalIdOf(role) === id,
        );
        // `quell-action-<environment>-<action>`: CloudTrail shows it on every call Quell makes, and triage links
        // those events to their incident by it (functions/shared/action-session.ts).
        if (actionRole) expect(r.Properties?.[property]).toMatch(/^quell-action-/);
        else expect(r.Properties?.[property], `${id}.${property}`).toBeUndefined();
      }
    }
  });
});

describe("cdk-nag (AwsSolutions)", () => {
  const ALLOWED_ACKNOWLEDGEMENTS = [
    /^AwsSolutions-IAM5\[Resource::\*\]$/,
    /^AwsSolutions-IAM5\[Resource::arn:[^\]]+\]$/,
    // The alarm topic without SSE (idle cost; nothing sensitive published) and the failure queue, itself the
    // dead-letter store (test/infra/self-monitoring.test.ts).
    /^AwsSolutions-SNS2$/,
    /^AwsSolutions-SQS3$/,
    // The audit bucket without server access logs: heads written once and locked (test/infra/audit-export.test.ts).
    /^AwsSolutions-S1$/,
  ];

  const unacknowledged = (app: App) =>
    new AwsSolutionsChecks(undefined, { verbose: true })
      .validateScope(app)
      .violations.map(
        (violation) =>
          `${violation.ruleName}: ${violation.violatingResources.map((r) => r.constructPath).join(", ")}`,
      );

  it("synthesizes with the plugin registered, without unacknowledged findings or error annotations", () => {
    expect(unacknowledged(quell.app)).toEqual([]);
    const report = JSON.parse(
      readFileSync(join(quell.assembly.directory, "validation-report.json"), "utf8"),
    ) as {
      pluginReports: { violations?: unknown[] }[];
    };
    expect(report.pluginReports.flatMap((pluginReport) => pluginReport.violations ?? [])).toEqual([]);
    for (const stack of [quell.data, quell.logic]) {
      const errors = quell.assembly
        .getStackArtifact(stack.artifactId)
        .messages.filter((m) => m.level === "error");
      expect(errors).toEqual([]);
    }
  });

  it("has no unacknowledged findings for an environment-agnostic deployment either", () => {
    const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
    addQuell(app, TEST_CONFIG);
    expect(unacknowledged(app)).toEqual([]);
  });

  it("acknowledges only reviewed kinds of findings, each with a specific reason", () => {
    const acknowledged: { id: string; reason: string; path: string }[] = [];
    for (const construct of quell.app.node.findAll()) {
      for (const entry of construct.node.metadata) {
        if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
        for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
          acknowledged.push({ id: id.replace(/^annotation::/i, ""), reason, path: construct.node.path });
        }
      }
    }
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const { id, reason, path } of acknowledged) {
      expect(
        ALLOWED_ACKNOWLEDGEMENTS.some((pattern) => pattern.test(id)),
        `${path}: ${id}`,
      ).toBe(true);
      expect(reason.length, `${path}: ${id}`).toBeGreaterThan(80);
    }
  });
});

describe("document quarantine bucket", () => {
  it("is given to the knowledge base actions only, as the settings name it", () => {
    for (const name of actionNames) {
      expect(environmentOf(actionFunction(name))[DOCUMENT_QUARANTINE_BUCKET_ENV], name).toBe(
        name.startsWith("bedrock-kb.") ? TEST_CONFIG.documentQuarantineBucket : undefined,
      );
    }
  });
});

describe("protected principals and Quell's own roles", () => {
  it("gives every action function the protected principals of the settings", () => {
    for (const name of actionNames) {
      expect(environmentOf(actionFunction(name))[PROTECTED_PRINCIPALS_ENV], name).toBe(
        TEST_CONFIG.protectedPrincipals.join(","),
      );
    }
  });

  it("denies aws.revoke-role-sessions any change to Quell's own roles", () => {
    const role = quell.logic.actions.actionRoles.get("aws.revoke-role-sessions");
    expect(role).toBeDefined();
    const roleId = logicalIdOf(role as NonNullable<typeof role>);
    const denies = Object.values(quell.raw.logic.Resources)
      .filter((candidate) => candidate.Type === "AWS::IAM::Policy")
      .filter((policy) =>
        list(policy.Properties?.Roles as { Ref: string }[]).some((roleRef) => roleRef.Ref === roleId),
      )
      .flatMap(
        (policy) =>
          (policy.Properties?.PolicyDocument as { Statement: Statement[] } | undefined)?.Statement ?? [],
      )
      .filter((statement) => statement.Effect === "Deny");
    expect(denies).toHaveLength(1);
    expect(denies[0]?.Action).toEqual(["iam:PutRolePolicy", "iam:DeleteRolePolicy"]);
    const resources = JSON.stringify(denies[0]?.Resource);
    expect(resources).toContain(":role/quell-*");
    expect(resources).toContain(":role/Quell-*");
  });
});
