import * as z from "zod";
import { DEFAULT_ACTION_SESSION_NAMING } from "../shared/action-session.js";
import { AlertType, EntityKind, Severity } from "../shared/alert.js";
import { GitHubAllowList } from "../sources/github-allow.js";

/**
 * Triage configuration: the AI asset inventory, correlation, routing, suppression and rate limits. It is
 * data, validated here, so a mistake fails the build or the start-up with the path of the bad field instead
 * of misrouting an incident at 3 a.m.
 */

const Name = z.string().min(1).max(128);
export const SlackChannel = z.string().regex(/^[CGD][A-Z0-9]{2,20}$|^#[a-z0-9][a-z0-9_-]{0,79}$/, {
  message: "a Slack channel id (C…) or #name",
});

export const Environment = z.enum(["production", "staging", "development"]);
export type Environment = z.infer<typeof Environment>;
export const Criticality = z.enum(["low", "medium", "high", "critical"]);
export type Criticality = z.infer<typeof Criticality>;
export const ApprovalPolicy = z.enum(["one", "two"]);
export type ApprovalPolicy = z.infer<typeof ApprovalPolicy>;

/** What kind of AI asset, and which alert entity kinds name one (an app is named by `details.app`). */
export const AssetKind = z.enum(["model", "app", "key", "guardrail", "agent"]);
export type AssetKind = z.infer<typeof AssetKind>;

export const Asset = z.strictObject({
  kind: AssetKind,
  /** The id alerts use: model id, app name, access key id or provider key id, guardrail id or ARN, agent id. */
  id: Name,
  /** Other ids the same asset is known by (a guardrail's ARN and its short id, say). */
  aliases: z.array(Name).max(20).default([]),
  name: Name.optional(),
  ownerTeam: Name,
  slackChannel: SlackChannel.optional(),
  environment: Environment,
  criticality: Criticality,
  /**
   * The version to put back when this asset must be rolled back and its service keeps no history Quell can
   * read: a SageMaker endpoint's known-good endpoint configuration name. Written by the team, never taken from
   * an alert.
   */
  knownGood: z
    .string()
    .min(1)
    .max(256)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]*$/, {
      message: "letters, digits and . _ : / - (a configuration name)",
    })
    .optional(),
});
export type Asset = z.infer<typeof Asset>;

/** Which alerts a rule applies to. Every field given must match; an empty match matches every alert. */
export const AlertMatch = z.strictObject({
  types: z.array(AlertType).min(1).optional(),
  sources: z.array(Name).min(1).optional(),
  minSeverity: Severity.optional(),
  minRisk: z.number().int().min(0).max(100).optional(),
  environments: z.array(Environment).min(1).optional(),
  ownerTeams: z.array(Name).min(1).optional(),
  /** An entity the alert must name, e.g. one noisy test key. */
  entity: z.strictObject({ kind: EntityKind, id: Name }).optional(),
  dedupKey: z.string().min(1).max(512).optional(),
});
export type AlertMatch = z.infer<typeof AlertMatch>;

export const RouteRule = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/),
  match: AlertMatch,
  /** The playbook to start; `null` starts none (recorded as no_playbook). Absent: the playbook for the type. */
  playbook: Name.nullable().optional(),
  /** Where the approval card goes. Absent: the asset owner's channel, then the default channel. */
  channel: SlackChannel.optional(),
  /** The approval policy; the stricter of this and the playbook step's policy applies. */
  approvalPolicy: ApprovalPolicy.optional(),
});
export type RouteRule = z.infer<typeof RouteRule>;

/** A suppression (standing) or snooze (short) rule: who decided it, why, and until when. */
export const SuppressionRule = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/),
  kind: z.enum(["suppress", "snooze"]).default("suppress"),
  match: AlertMatch,
  owner: Name,
  reason: z.string().min(1).max(500),
  expiresAt: z.iso.datetime({ offset: true }),
});
export type SuppressionRule = z.infer<typeof SuppressionRule>;

/**
 * A person Quell knows by the identities alerts name them with, and by their Slack user. When an alert's
 * principal or end user is one of these identities, that person is the alert's subject and may not approve
 * actions against themselves (four eyes exclusions, functions/shared/exclusions.ts).
 */
export const Person = z.strictObject({
  slackUserId: z.string().regex(/^[UW][A-Z0-9]{2,20}$/, { message: "a Slack user id (U… or W…)" }),
  /** IAM ARNs, emails, IdP subject ids...: compared exactly, except emails, which ignore case. */
  identities: z.array(z.string().min(1).max(512)).min(1).max(50),
});
export type Person = z.infer<typeof Person>;

/**
 * How a playbook runs. `enforce` (the default): as written, approvals asked of people, writes sent (unless the
 * deployment is in dry run). `shadow`: it runs in full on every incident it matches, every action plans and sends
 * nothing, and each approval is recorded as who would have been asked, pinging nobody (functions/approval-request/
 * shadow.ts); the daily digest and `shadow-report` show what it would have done. Promotion is this field.
 */
export const PlaybookMode = z.enum(["shadow", "enforce"]);
export type PlaybookMode = z.infer<typeof PlaybookMode>;
export const PlaybookSettings = z.strictObject({ mode: PlaybookMode.default("enforce") });

/** How an identity is compared: exactly, except an email address, whose case does not matter. */
export const identityKey = (identity: string) =>
  /^[^@\s:/]+@[^@\s:/]+$/.test(identity) ? identity.toLowerCase() : identity;

export const TriageConfig = z
  .strictObject({
    inventory: z.array(Asset).max(10_000).default([]),
    correlation: z
      .strictObject({
        windowSeconds: z
          .number()
          .int()
          .min(60)
          .max(30 * 86400)
          .default(3600),
        /** Entity kinds that tie different alerts to one incident. Shared ones (IPs, models) are off by default. */
        entityKinds: z.array(EntityKind).default(["access_key", "principal", "end_user"]),
      })
      .prefault({}),
    routes: z.array(RouteRule).max(500).default([]),
    /** Per playbook (by name), how it runs; a playbook not named here is enforced. */
    playbooks: z.record(Name, PlaybookSettings).default({}),
    suppressions: z.array(SuppressionRule).max(1000).default([]),
    /** People and the identities alerts know them by, for the four eyes subject exclusion. */
    people: z.array(Person).max(10_000).default([]),
    rateLimit: z
      .strictObject({
        /** Playbook starts allowed per playbook within the window; more are recorded as rate_limited. */
        startsPerPlaybook: z.number().int().min(1).max(100_000).default(200),
        windowSeconds: z.number().int().min(1).max(86400).default(60),
      })
      .prefault({}),
    /**
     * When CloudTrail model enumeration (ListFoundationModels, GetFoundationModelAvailability) is an LLMjacking
     * precursor: a burst of `burstCalls` calls within `burstWindowSeconds` (a fixed window) by one principal from
     * a source IP it was first seen using less than `newSourceSeconds` ago. Each principal's source IPs are
     * remembered for `baselineDays` after their last use.
     */
    modelEnumeration: z
      .strictObject({
        burstCalls: z.number().int().min(1).max(1000).default(3),
        burstWindowSeconds: z.number().int().min(10).max(86400).default(300),
        newSourceSeconds: z
          .number()
          .int()
          .min(60)
          .max(90 * 86400)
          .default(86400),
        baselineDays: z.number().int().min(1).max(400).default(90),
      })
      .prefault({}),
    /**
     * Who may post GitHub alerts (`POST /alerts/github`): organisations, repositories (`owner/name`) and GitHub
     * App installation ids. Empty allows nobody: ingest refuses every GitHub delivery with 403 and says so at
     * start-up (fail closed).
     */
    github: z.strictObject({ allow: GitHubAllowList.prefault({}) }).prefault({}),
    /** How Quell's action roles and sessions are named, to recognise the events they cause. */
    ownActions: z
      .strictObject({
        rolePrefix: z
          .string()
          .regex(/^[\w+=,.@-]{1,32}$/)
          .default(DEFAULT_ACTION_SESSION_NAMING.rolePrefix),
        sessionPrefix: z
          .string()
          .regex(/^[\w+=,.@-]{1,16}$/)
          .default(DEFAULT_ACTION_SESSION_NAMING.sessionPrefix),
      })
      .prefault({}),
  })
  .superRefine((config, context) => {
    const seen = new Set<string>();
    for (const [index, asset] of config.inventory.entries()) {
      for (const id of [asset.id, ...asset.aliases]) {
        const key = `${asset.kind}:${id}`;
        if (seen.has(key)) {
          context.addIssue({
            code: "custom",
            path: ["inventory", index, "id"],
            message: `${asset.kind} ${id} is listed twice`,
          });
        }
        seen.add(key);
      }
    }
    const slackUsers = new Set<string>();
    const identities = new Map<string, number>();
    for (const [index, person] of config.people.entries()) {
      if (slackUsers.has(person.slackUserId)) {
        context.addIssue({
          code: "custom",
          path: ["people", index, "slackUserId"],
          message: `${person.slackUserId} is listed twice`,
        });
      }
      slackUsers.add(person.slackUserId);
      for (const [at, identity] of person.identities.entries()) {
        const owner = identities.get(identityKey(identity));
        if (owner !== undefined) {
          context.addIssue({
            code: "custom",
            path: ["people", index, "identities", at],
            message: `identity ${identity} is already listed${owner === index ? "" : ` for people.${owner}`}`,
          });
        }
        identities.set(identityKey(identity), index);
      }
    }
    for (const list of ["routes", "suppressions"] as const) {
      const ids = new Set<string>();
      for (const [index, rule] of config[list].entries()) {
        if (ids.has(rule.id))
          context.addIssue({ code: "custom", path: [list, index, "id"], message: `duplicate id ${rule.id}` });
        ids.add(rule.id);
      }
    }
  });
export type TriageConfig = z.infer<typeof TriageConfig>;
export type TriageConfigInput = z.input<typeof TriageConfig>;

/** How the configuration says a playbook runs (`enforce` unless it names the playbook). */
export const playbookMode = (config: Pick<TriageConfig, "playbooks">, playbook: string): PlaybookMode =>
  Object.hasOwn(config.playbooks, playbook) ? (config.playbooks[playbook]?.mode ?? "enforce") : "enforce";

/** Validate a configuration, failing with every bad field's path. */
export function defineTriageConfig(input: TriageConfigInput): TriageConfig {
  const parsed = TriageConfig.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map(
    (issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`,
  );
  throw new Error(`invalid triage configuration:\n  ${problems.join("\n  ")}`);
}
