import { readFileSync } from "node:fs";
import * as z from "zod";
import { GUARDRAIL_ADMINS_ENV, guardrailAdminsFrom } from "../../functions/sources/aws/bedrock.js";
import { SlackChannel, TriageConfig } from "../../functions/triage/config.js";
import { playbookNames } from "../../functions/triage/load-config.js";
import { checkTriageConfig, problemsOf } from "../../functions/triage/read-config.js";
import type { QuellConfig } from "./config.js";

/** How long an exported audit chain head is locked when settings.auditRetentionDays does not say. */
export const DEFAULT_AUDIT_RETENTION_DAYS = 365;

/**
 * The team's configuration file: one JSON document with the deploy `settings` and the `triage` part (inventory,
 * people, routes, suppressions, correlation, rate limits, model enumeration, GitHub allow-list, own actions).
 * The CDK app validates it at synth and deploys the triage part to AWS AppConfig, where it can change without a
 * redeploy; the local runtime reads the same file. `playbooks/quell.example.json` is the demo's.
 */

export const EXAMPLE_CONFIG_FILE = "playbooks/quell.example.json";
export const EXAMPLE_CONFIG_PATH = new URL("../../playbooks/quell.example.json", import.meta.url).pathname;

const SlackDecider = z.string().regex(/^[UWS][A-Z0-9]{2,20}$/, {
  message: "a Slack user (U…, W…) or user group (S…) id",
});
const IamPrincipalArn = z
  .string()
  .refine((arn) => guardrailAdminsFrom({ [GUARDRAIL_ADMINS_ENV]: arn }).size > 0, {
    message:
      "an IAM user, role or root ARN (arn:aws:iam::111122223333:role/Name; for an assumed-role session give its role's ARN)",
  });

export const TeamSettings = z.strictObject({
  /** Names the stacks (`Quell-<name>-Data`, `Quell-<name>-Logic`), so environments can share an account. */
  environmentName: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9]{0,15}$/, { message: "1-16 letters or digits, starting with a letter" })
    .default("dev"),
  /** When true (the default), actions plan and record their writes but never send them. */
  dryRun: z.boolean().default(true),
  /** The channel approval requests and incident notifications go to. */
  slackChannel: SlackChannel,
  /** Who may decide when a playbook names no approvers of its own. */
  approvers: z
    .array(SlackDecider)
    .min(1, { message: "name at least one Slack user or user group id who may approve" })
    .max(100),
  /** Override of the Slack Web API base URL (a stand-in); unset means Slack itself. */
  slackApiUrl: z.url({ protocol: /^https?$/ }).optional(),
  /** How long an alert's dedup key folds repeats into one incident. */
  dedupWindowSeconds: z
    .number()
    .int()
    .positive()
    .max(366 * 86400)
    .default(7 * 86400),
  /** IAM principals allowed to change Bedrock guardrails; empty: every change is flagged as tampering. */
  guardrailAdmins: z.array(IamPrincipalArn).max(100).default([]),
  /**
   * Principals, roles and keys Quell never contains, automatically or by approval (a release pipeline's role, a
   * break-glass user): IAM ARNs, user or role names, key or credential ids; `*` matches any run of characters.
   */
  protectedPrincipals: z
    .array(
      z
        .string()
        .regex(/^[\w+=,.@:/*-]{1,2048}$/, {
          message: "an IAM ARN, a user or role name, or a key id (letters, digits and +=,.@:/*-_)",
        })
        .refine((entry) => entry.replaceAll("*", "").length > 0, {
          message: "a lone * would protect everything",
        }),
    )
    .max(200)
    .default([]),
  /**
   * At most this many containments (actions whose effect is not contained) across Quell in any hour; past it,
   * every further containment needs a second approver. Unset: no budget.
   */
  containmentsPerHour: z.number().int().min(1).max(10_000).optional(),
  /**
   * The S3 bucket poisoned documents are quarantined to (quarantine-poisoned-document). Unset: a
   * `quell-quarantine/` prefix of the document's own bucket, which works only when no data source ingests the
   * whole bucket.
   */
  documentQuarantineBucket: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: "an S3 bucket name" })
    .optional(),
  /**
   * How long each incident's audit chain head, exported to the audit bucket, is locked against change or removal
   * (S3 Object Lock, governance mode). `verify-audit --aws --bucket` holds the chains to these heads.
   */
  auditRetentionDays: z.number().int().min(1).max(36_500).default(DEFAULT_AUDIT_RETENTION_DAYS),
  /**
   * Where your repository's docs/playbooks/ pages are published (e.g.
   * https://github.com/acme/quell/blob/main/docs/playbooks): approval cards link each playbook's diagram there.
   */
  playbookDocsUrl: z.url({ protocol: /^https?$/ }).optional(),
  /** The LiteLLM proxy the litellm.* actions manage (throttle-abuser). */
  litellmBaseUrl: z.url({ protocol: /^https?$/ }).optional(),
  /** CloudWatch alarms outside the AI namespaces Quell still takes, by alarm name prefix. */
  cloudwatchAlarmNamePrefixes: z
    .array(
      z
        .string()
        .max(255)
        .regex(/\S/, { message: "1-255 characters, not blank (a blank prefix would take every alarm)" }),
    )
    .max(50)
    .default([]),
  /** Email addresses subscribed to Quell's own alarm topic. */
  alarmEmails: z.array(z.email()).max(20).default([]),
  /** Reserved concurrency of ingest, behind the public ingest URL: a flood runs at most this many at once. */
  ingestReservedConcurrency: z.number().int().min(1).max(1000).default(20),
  /** Reserved concurrency of the Slack function, behind the public Slack interactivity URL. */
  slackReservedConcurrency: z.number().int().min(1).max(1000).default(10),
});
export type TeamSettings = z.infer<typeof TeamSettings>;

const TeamDocument = z.strictObject({ settings: z.object({}).loose(), triage: z.object({}).loose() });

/** What a required setting is, said when it is missing. */
const REQUIRED_HINTS: Readonly<Record<string, string>> = {
  settings: "the deploy settings (slackChannel, approvers, …)",
  triage: "the triage part (inventory, routes, …; {} keeps every default)",
  "settings.slackChannel": "the Slack channel id approval requests go to, e.g. C0123456789",
  "settings.approvers": 'Slack user ids (U…) or user group ids (S…) who may approve, e.g. ["U0123ABCD"]',
};

export interface TeamConfig {
  readonly settings: TeamSettings;
  readonly triage: TriageConfig;
}

export type TeamConfigCheck =
  | { readonly ok: true; readonly config: TeamConfig }
  | { readonly ok: false; readonly problems: readonly string[] };

/** A missing field is "required" (not "expected string, received undefined"), with what it is where known. */
const requiredWhenMissing = (issue: z.core.$ZodRawIssue) =>
  issue.input === undefined && issue.code === "invalid_type" ? "required" : undefined;
const withHint = (problem: string) => {
  const [path, message] = problem.split(": ", 2);
  const hint = message === "required" && path ? REQUIRED_HINTS[path] : undefined;
  return hint ? `${problem}: ${hint}` : problem;
};

/** Validate a team configuration document, naming every bad field by its path, all at once. */
export function checkTeamConfig(input: unknown): TeamConfigCheck {
  const document = TeamDocument.safeParse(input, { error: requiredWhenMissing });
  if (!document.success) return { ok: false, problems: problemsOf(document.error.issues).map(withHint) };
  const settings = TeamSettings.safeParse(document.data.settings, { error: requiredWhenMissing });
  const triage = checkTriageConfig(document.data.triage, { knownPlaybooks: playbookNames, prefix: "triage" });
  if (settings.success && triage.ok)
    return { ok: true, config: { settings: settings.data, triage: triage.config } };
  return {
    ok: false,
    problems: [
      ...(settings.success ? [] : problemsOf(settings.error.issues, "settings").map(withHint)),
      ...(triage.ok ? [] : triage.problems),
    ],
  };
}

export class TeamConfigError extends Error {
  override readonly name = "TeamConfigError";
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`the team configuration ${file} is invalid:\n  ${problems.join("\n  ")}`);
  }
}

/** Settings given on the command line (`-c environmentName=…`, `-c dryRun=…`…), applied over the file's. */
export interface SettingOverrides {
  readonly environmentName?: string;
  readonly dryRun?: string;
  readonly ingestReservedConcurrency?: string;
  readonly slackReservedConcurrency?: string;
}

/** Read, override and validate a team configuration file; a bad one throws TeamConfigError with every problem. */
export function readTeamConfigFile(path: string, overrides: SettingOverrides = {}): TeamConfig {
  let document: unknown;
  try {
    document = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new TeamConfigError(path, [`(file): ${(error as Error).message}`]);
  }
  const problems: string[] = [];
  const settings = (document as { settings?: unknown } | null)?.settings;
  if (settings && typeof settings === "object") {
    const overridden: Record<string, unknown> = { ...settings };
    if (overrides.environmentName !== undefined) overridden.environmentName = overrides.environmentName;
    if (overrides.dryRun !== undefined) {
      if (overrides.dryRun === "true" || overrides.dryRun === "false")
        overridden.dryRun = overrides.dryRun === "true";
      else
        problems.push(
          `settings.dryRun (-c dryRun): "true" or "false", not ${JSON.stringify(overrides.dryRun)}`,
        );
    }
    for (const key of ["ingestReservedConcurrency", "slackReservedConcurrency"] as const) {
      if (overrides[key] !== undefined) overridden[key] = Number(overrides[key]);
    }
    document = { ...(document as object), settings: overridden };
  }
  const checked = checkTeamConfig(document);
  if (!checked.ok || problems.length > 0) {
    throw new TeamConfigError(path, [...problems, ...(checked.ok ? [] : checked.problems)]);
  }
  return checked.config;
}

/** The deploy configuration the stacks take, from a validated team configuration. */
export function quellConfigFrom({ settings, triage }: TeamConfig): QuellConfig {
  return {
    environmentName: settings.environmentName,
    dryRun: settings.dryRun,
    slackChannel: settings.slackChannel,
    approvers: settings.approvers,
    dedupWindowSeconds: settings.dedupWindowSeconds,
    guardrailAdmins: [...new Set(settings.guardrailAdmins)],
    protectedPrincipals: [...new Set(settings.protectedPrincipals)],
    cloudwatchAlarmNamePrefixes: settings.cloudwatchAlarmNamePrefixes,
    alarmEmails: settings.alarmEmails,
    auditRetentionDays: settings.auditRetentionDays,
    ingestReservedConcurrency: settings.ingestReservedConcurrency,
    slackReservedConcurrency: settings.slackReservedConcurrency,
    ...(settings.slackApiUrl ? { slackApiUrl: settings.slackApiUrl } : {}),
    ...(settings.litellmBaseUrl ? { litellmBaseUrl: settings.litellmBaseUrl } : {}),
    ...(settings.containmentsPerHour ? { containmentsPerHour: settings.containmentsPerHour } : {}),
    ...(settings.documentQuarantineBucket
      ? { documentQuarantineBucket: settings.documentQuarantineBucket }
      : {}),
    ...(settings.playbookDocsUrl ? { playbookDocsUrl: settings.playbookDocsUrl } : {}),
    triage,
  };
}

/**
 * The JSON Schema (draft-04, what AppConfig validators take) of the triage part, generated from the zod schema.
 * What JSON Schema cannot say (unique ids, routes naming playbooks that exist) triage still checks with zod.
 */
export function triageJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(TriageConfig, { io: "input", target: "draft-4", unrepresentable: "any" });
}

export const NO_CONFIG_MESSAGE = [
  "Quell deploys the team's own configuration file, and none was given.",
  "Pass it with -c config=<path> (or set QUELL_CONFIG=<path>), e.g.: npx cdk deploy --all -c config=quell.json",
  `Start from ${EXAMPLE_CONFIG_FILE} (the demo's): copy it, then set settings.slackChannel, settings.approvers`,
  "and the triage part (inventory, people, routes, GitHub allow-list) to your own.",
].join("\n");
