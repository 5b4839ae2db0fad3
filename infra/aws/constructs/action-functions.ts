import { Duration, Stack } from "aws-cdk-lib";
import type { ITable } from "aws-cdk-lib/aws-dynamodb";
import { ArnPrincipal, Effect, PolicyStatement, Role } from "aws-cdk-lib/aws-iam";
import { Construct } from "constructs";
import type { IamNeed } from "../../../functions/actions/contract.js";
import { DOCUMENT_QUARANTINE_BUCKET_ENV } from "../../../functions/actions/knowledge-base-documents.js";
import { actions } from "../../../functions/actions/registry.js";
import { actionRoleName } from "../../../functions/shared/action-session.js";
import { EnvNames, type SecretName, SecretNames } from "../../../functions/shared/env.js";
import { PROTECTED_PRINCIPALS_ENV } from "../../../functions/shared/protected-principals.js";
import { actionEntry } from "../catalog.js";
import { acknowledge, wildcardResourceFinding } from "../nag.js";
import { pascal } from "../paths.js";
import { QuellFunction, type SecretLookup } from "./quell-function.js";

/** What Powertools idempotency does to its table: nothing else, on nothing else. */
export const IDEMPOTENCY_ACTIONS = [
  "dynamodb:GetItem",
  "dynamodb:PutItem",
  "dynamodb:UpdateItem",
  "dynamodb:DeleteItem",
] as const;

/**
 * What an action does to the incidents table: read the approval in front of its step (it runs only when that
 * approval is recorded as given), and put its write journal on the incident's timeline. Nothing else.
 */
export const INCIDENT_TABLE_ACTIONS = ["dynamodb:GetItem", "dynamodb:PutItem"] as const;

/** Quell's own roles: its actions' (`quell-action-…`) and its stacks' functions' (`Quell-<env>-…`). */
const QUELL_ROLES = [
  // biome-ignore lint/suspicious/noTemplateCurlyInString: placeholders that contractResource fills per stack.
  "arn:${Partition}:iam::${Account}:role/quell-*",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: placeholders that contractResource fills per stack.
  "arn:${Partition}:iam::${Account}:role/Quell-*",
];

/** Quell's audit buckets (`quell-audit-<account>-<region>-<env>`) and their objects. */
const QUELL_AUDIT_BUCKETS = [
  // biome-ignore lint/suspicious/noTemplateCurlyInString: placeholders that contractResource fills per stack.
  "arn:${Partition}:s3:::quell-audit-*",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: placeholders that contractResource fills per stack.
  "arn:${Partition}:s3:::quell-audit-*/*",
];

/**
 * Why a contract may name a wildcard resource, per resource exactly as the contract writes it.
 * A wildcard with no entry here fails synth (cdk-nag AwsSolutions-IAM5): explain it or narrow it.
 */
const contractWildcards: Readonly<Record<string, string>> = {
  "arn:${Partition}:iam::${Account}:user/*":
    "The IAM user whose access key or Bedrock API key leaked is named by the alert (or found from the key) at " +
    "run time, so the role cannot list it in advance. The grant is limited to IAM users of this account (no " +
    "roles, groups or other accounts) and to each action's own calls from its IAM contract (list and update " +
    "access keys or service-specific credentials, GetAccessKeyLastUsed); the playbook asks a human before any " +
    "update, protected principals are refused, and the action can undo it.",
  "arn:${Partition}:iam::${Account}:role/*":
    "The role whose temporary credentials were abused is named by the alert at run time, so the role cannot " +
    "list it in advance. The grant is limited to roles of this account and to reading a role and putting, " +
    "reading or deleting the action's own inline policy (QuellRevokeSessions-<incident>); Quell's own roles " +
    "are denied explicitly, a human approves (four eyes in production), protected principals are refused, and " +
    "undo deletes exactly that policy.",
  "arn:${Partition}:bedrock:${Region}:${Account}:guardrail/*":
    "The Bedrock guardrail to tighten is named by the prompt-injection alert at run time, so the role " +
    "cannot list it in advance. The grant is limited to guardrails of this account and region and to " +
    "bedrock:GetGuardrail and bedrock:UpdateGuardrail only, from the action's IAM contract; the playbook " +
    "asks a human before the update and the action can undo it.",
  "arn:${Partition}:bedrock:${Region}:${Account}:agent-alias/*/*":
    "The Bedrock agent alias to roll back or pause is named by the alert at run time, so the role cannot " +
    "list it in advance. The grant is limited to agent aliases of this account and region and to the " +
    "action's own GetAgentAlias/UpdateAgentAlias calls from its IAM contract; a human approves every update " +
    "and the action can undo it.",
  "arn:${Partition}:bedrock:${Region}:${Account}:agent/*":
    "The Bedrock agent whose tool was misused is named by the alert at run time, so the role cannot list it in " +
    "advance. The grant is limited to agents of this account and region and to reading them and their action " +
    "groups, and, for the containing action only, UpdateAgentActionGroup and PrepareAgent from its IAM " +
    "contract; a human approves, and undo enables the tool again.",
  "arn:${Partition}:bedrock:${Region}:${Account}:knowledge-base/*":
    "The knowledge bases that ingest a poisoned document are found at run time from the document the alert " +
    "names. The grant is limited to knowledge bases of this account and region and to listing their data " +
    "sources and ingestion jobs and starting an ingestion job; a human approves the quarantine.",
  "*":
    "bedrock:ListKnowledgeBases takes no resource (the Service Authorization Reference lists none for it): " +
    "the action lists the region's knowledge bases to find which ones ingest a poisoned document, read-only.",
  "arn:${Partition}:s3:::*/*":
    "The poisoned document, and the bucket its knowledge base reads, are named at run time. The grant is " +
    "limited to reading, copying (with tags) and deleting objects; the action only touches the document a " +
    "human approved for quarantine and its copy under quell-quarantine/, and it deletes the original only " +
    "after checking the copy (undo moves it back).",
  "arn:${Partition}:s3:::*":
    "s3:ListBucket lets a read of a missing object answer 404 rather than 403, which is how the quarantine " +
    "tells an object already moved apart from one it may not read; it lists no bucket's contents itself.",
  "arn:${Partition}:sagemaker:${Region}:${Account}:endpoint/*":
    "The SageMaker endpoint to roll back is named by the alert at run time, so the role cannot list it in " +
    "advance. The grant is limited to endpoints of this account and region and to the action's own " +
    "Describe/UpdateEndpoint calls from its IAM contract; a human approves every update and it can be undone.",
  "arn:${Partition}:sagemaker:${Region}:${Account}:endpoint-config/*":
    "The known-good endpoint configuration comes from the team's inventory at run time. The grant is limited " +
    "to endpoint configurations of this account and region and to the action's own calls from its IAM contract.",
  "arn:${Partition}:ssm:${Region}:${Account}:parameter/*":
    "The SSM parameter holding a model id is named by the alert at run time, so the role cannot list it in " +
    "advance. The grant is limited to parameters of this account and region and to the action's own calls " +
    "from its IAM contract; Quell's own parameters (/quell/*) are denied explicitly, a human approves every " +
    "write and it can be undone.",
};

/**
 * The address of a self-hosted provider, by the credential that reaches it: an action whose contract declares
 * the credential gets the address too (when the deployment configures one), and no other action does.
 */
const providerUrlVariables: Readonly<Partial<Record<SecretName, string>>> = {
  [SecretNames.litellmMasterKey]: EnvNames.litellmBaseUrl,
};

/** Where Quell keeps its own secrets (secret-store.ts): denied to every action role that may write parameters. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: placeholders that contractResource fills per stack.
const QUELL_PARAMETERS = "arn:${Partition}:ssm:${Region}:${Account}:parameter/quell/*";

const PLACEHOLDERS = /\$\{(Partition|Region|Account)\}/g;

/** Fill a contract ARN with this stack's partition, region and account; refuse any other placeholder. */
export function contractResource(stack: Stack, resource: string): string {
  if (resource.replace(PLACEHOLDERS, "").includes("${")) {
    throw new Error(`unknown placeholder in IAM contract resource ${resource}`);
  }
  return resource.replace(PLACEHOLDERS, (_match, name: string) =>
    name === "Partition" ? stack.partition : name === "Region" ? stack.region : stack.account,
  );
}

/** The configured addresses of the providers whose credentials these are. */
function providerUrlsFor(secrets: readonly SecretName[], urls: Readonly<Record<string, string>>) {
  const found: Record<string, string> = {};
  for (const secret of secrets) {
    const variable = providerUrlVariables[secret];
    const url = variable ? urls[variable] : undefined;
    if (variable && url) found[variable] = url;
  }
  return found;
}

export interface ActionFunctionsProps {
  readonly idempotencyTable: ITable;
  /** Where approvals and timelines live: the gate reads the approval, the journal appends to the timeline. */
  readonly incidentsTable: ITable;
  readonly secretLookup: SecretLookup;
  readonly dryRun: boolean;
  /** Names the actions' own roles (`quell-action-<environment>-<action>`), which triage recognises. */
  readonly environmentName: string;
  /** Self-hosted providers' addresses, by variable (`LITELLM_BASE_URL`); unset ones are left out. */
  readonly providerUrls: Readonly<Record<string, string>>;
  /** What no action ever contains; set on every action function when the settings name any. */
  readonly protectedPrincipals: readonly string[];
  /** Where the knowledge base actions quarantine poisoned documents (settings.documentQuarantineBucket). */
  readonly documentQuarantineBucket?: string | undefined;
}

/**
 * One function per registered action, each with its own execution role (logs, tracing, its idempotency
 * records, reading approvals and appending its write journal to incidents, the secrets its contract declares). An action that calls AWS also gets an action role holding
 * exactly its IAM contract, which only its function may assume, per incident, in a session named
 * `quell-<incident>`: CloudTrail then names the incident behind every call Quell makes.
 */
export class ActionFunctions extends Construct {
  private readonly byName = new Map<string, QuellFunction>();
  /** The role each AWS-calling action assumes, by action name. */
  readonly actionRoles = new Map<string, Role>();

  constructor(scope: Construct, id: string, props: ActionFunctionsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    for (const [name, { definition, folder }] of Object.entries(actions)) {
      const fn = new QuellFunction(this, pascal(folder), {
        entry: actionEntry(folder),
        description: `Quell action ${name}`,
        timeout: Duration.seconds(definition.timeoutSeconds),
        environment: {
          [EnvNames.idempotencyTableName]: props.idempotencyTable.tableName,
          [EnvNames.tableName]: props.incidentsTable.tableName,
          [EnvNames.dryRun]: String(props.dryRun),
          ...providerUrlsFor(definition.secrets, props.providerUrls),
          ...(props.protectedPrincipals.length > 0
            ? { [PROTECTED_PRINCIPALS_ENV]: props.protectedPrincipals.join(",") }
            : {}),
          ...(props.documentQuarantineBucket && name.startsWith("bedrock-kb.")
            ? { [DOCUMENT_QUARANTINE_BUCKET_ENV]: props.documentQuarantineBucket }
            : {}),
        },
        secrets: definition.secrets,
        secretLookup: props.secretLookup,
      });
      fn.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: [...IDEMPOTENCY_ACTIONS],
          resources: [props.idempotencyTable.tableArn],
        }),
      );
      fn.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: [...INCIDENT_TABLE_ACTIONS],
          resources: [props.incidentsTable.tableArn],
        }),
      );
      if (definition.iam.length > 0) {
        const role = new Role(this, `${pascal(folder)}ActionRole`, {
          roleName: actionRoleName(props.environmentName, folder),
          assumedBy: new ArnPrincipal(fn.role.roleArn),
          description: `Quell action ${name}: its IAM contract, assumed per incident by its function`,
          maxSessionDuration: Duration.hours(1),
        });
        definition.iam.forEach((need: IamNeed) => {
          const resources = need.resources.map((resource) => contractResource(stack, resource));
          role.addToPolicy(new PolicyStatement({ actions: [...need.actions], resources }));
          need.resources.forEach((resource, index) => {
            const reason = contractWildcards[resource];
            const filled = resources[index];
            if (reason && filled) acknowledge(role, wildcardResourceFinding(role, filled), reason);
          });
        });
        if (
          definition.iam.some((need: IamNeed) => need.actions.some((action) => action.startsWith("ssm:")))
        ) {
          // Quell's own secrets are SSM parameters too: no action that may write parameters may touch them.
          role.addToPolicy(
            new PolicyStatement({
              effect: Effect.DENY,
              actions: ["ssm:*"],
              resources: [contractResource(stack, QUELL_PARAMETERS)],
            }),
          );
        }
        if (definition.iam.some((need: IamNeed) => need.actions.some((action) => action.startsWith("s3:")))) {
          // An action that may move documents in any bucket never touches Quell's audit buckets (audit-bucket.ts).
          role.addToPolicy(
            new PolicyStatement({
              effect: Effect.DENY,
              actions: ["s3:*"],
              resources: QUELL_AUDIT_BUCKETS.map((resource) => contractResource(stack, resource)),
            }),
          );
        }
        if (definition.iam.some((need: IamNeed) => need.resources.some((r) => r.includes(":role/")))) {
          // An action that may change roles' policies never changes Quell's own (its functions' and actions' roles).
          role.addToPolicy(
            new PolicyStatement({
              effect: Effect.DENY,
              actions: ["iam:PutRolePolicy", "iam:DeleteRolePolicy"],
              resources: QUELL_ROLES.map((resource) => contractResource(stack, resource)),
            }),
          );
        }
        role.grantAssumeRole(fn.role);
        fn.fn.addEnvironment(EnvNames.actionRoles, stack.toJsonString({ [name]: role.roleArn }));
        this.actionRoles.set(name, role);
      }
      this.byName.set(name, fn);
    }
  }

  get all(): QuellFunction[] {
    return [...this.byName.values()];
  }

  functionFor(action: string): QuellFunction {
    const fn = this.byName.get(action);
    if (!fn) throw new Error(`no function for action ${action}`);
    return fn;
  }
}
