/**
 * Roles and their inline policies for the IAM stand-in (see iam.ts), as documented at
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetRole.html (and the Role data type,
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_Role.html),
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_PutRolePolicy.html,
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetRolePolicy.html,
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListRolePolicies.html and
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteRolePolicy.html:
 *   GetRole RoleName → <Role><Path/><RoleName/><RoleId/><Arn/><CreateDate/><AssumeRolePolicyDocument/>…</Role>
 *   PutRolePolicy RoleName PolicyName PolicyDocument → no result; MalformedPolicyDocument (400)
 *   GetRolePolicy RoleName PolicyName → <RoleName/><PolicyName/><PolicyDocument/>
 *   ListRolePolicies RoleName Marker? MaxItems? → <PolicyNames><member/>…</PolicyNames><IsTruncated/><Marker/>?
 *   DeleteRolePolicy RoleName PolicyName → no result
 * NoSuchEntity (404) for an unknown role or policy. Policy documents come back URL-encoded per RFC 3986 ("Policies
 * returned by this operation are URL-encoded compliant with RFC 3986"); the AWS SDK for JavaScript v3 does not
 * decode them, so callers decodeURIComponent() themselves.
 */
import { createHash } from "node:crypto";
import { escapeXml } from "./aws-query.js";
import {
  encodeRfc3986,
  iam,
  iamDate,
  noSuchEntity,
  pageTail,
  paginate,
  validationError,
} from "./iam-shared.js";
import type { StandinResponse } from "./server.js";

export interface RoleSeed {
  roleName: string;
  /** Default "/". Must begin and end with "/". */
  path?: string;
  /** Inline policies already on the role, by name (not recorded as changes). */
  policies?: Record<string, object>;
  /** Default: trusted by lambda.amazonaws.com. */
  assumeRolePolicy?: object;
  /** Default: `AROA` and 17 characters derived from the name. */
  roleId?: string;
  /** Defaults to the stand-in's start time. */
  createDate?: Date;
}

/** One PutRolePolicy or DeleteRolePolicy the stand-in applied, in order. */
export interface RolePolicyChange {
  roleName: string;
  policyName: string;
  change: "put" | "delete";
  /** The document put (parsed); absent for a delete. */
  document?: object;
  at: Date;
}

interface StoredRole {
  path: string;
  roleName: string;
  roleId: string;
  arn: string;
  createDate: Date;
  assumeRolePolicy: string;
  /** Policy name → the document's text as put. */
  policies: Map<string, string>;
}

export interface Roles {
  policy(roleName: string, policyName: string): object | undefined;
  changes: RolePolicyChange[];
  /** The answer to a role action, or undefined when `action` is not one. */
  handle(action: string | undefined, params: Record<string, string>): StandinResponse | undefined;
}

const DEFAULT_TRUST = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
};
const NAME = /^[\w+=,.@-]{1,128}$/;
const ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

function roleIdFor(roleName: string): string {
  const digest = createHash("sha256").update(`role:${roleName}`).digest();
  let suffix = "";
  for (let i = 0; i < 17; i++) suffix += ID_ALPHABET[(digest[i] ?? 0) % ID_ALPHABET.length];
  return `AROA${suffix}`;
}

/**
 * Why `text` is not a policy IAM would store, or undefined when it is. Checked: JSON, an object, Version
 * "2012-10-17" or "2008-10-17", a Statement that is an object or non-empty array of objects each with Effect
 * Allow or Deny. Stricter than IAM on one point: IAM accepts a missing Version (it then means 2008-10-17); this
 * stand-in refuses it so that what Quell writes always states its policy language version.
 */
export function policyProblem(text: string): string | undefined {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    return "Syntax errors in policy.";
  }
  if (typeof document !== "object" || document === null || Array.isArray(document)) {
    return "Syntax errors in policy.";
  }
  const { Version: version, Statement: statement } = document as Record<string, unknown>;
  if (version === undefined) return "Policy document must have a Version.";
  if (version !== "2012-10-17" && version !== "2008-10-17") return "The policy failed legacy parsing";
  const statements = Array.isArray(statement) ? statement : statement === undefined ? [] : [statement];
  if (statements.length === 0) return "Policy document must have a Statement.";
  for (const entry of statements) {
    if (typeof entry !== "object" || entry === null || Array.isArray(entry))
      return "Syntax errors in policy.";
    const effect = (entry as Record<string, unknown>).Effect;
    if (effect !== "Allow" && effect !== "Deny") return "Statement Effect must be Allow or Deny.";
  }
  return undefined;
}

export function roles(seeds: readonly RoleSeed[], accountId: string, started: Date): Roles {
  const stored = new Map<string, StoredRole>();
  for (const seed of seeds) {
    const path = seed.path ?? "/";
    if (!path.startsWith("/") || !path.endsWith("/")) {
      throw new Error(`IAM stand-in: role path ${path} must begin and end with "/"`);
    }
    const policies = new Map<string, string>();
    for (const [name, document] of Object.entries(seed.policies ?? {})) {
      const text = JSON.stringify(document);
      const problem = policyProblem(text);
      if (problem) throw new Error(`IAM stand-in: seeded policy ${name} on ${seed.roleName}: ${problem}`);
      policies.set(name, text);
    }
    stored.set(seed.roleName, {
      path,
      roleName: seed.roleName,
      roleId: seed.roleId ?? roleIdFor(seed.roleName),
      arn: `arn:aws:iam::${accountId}:role${path}${seed.roleName}`,
      createDate: seed.createDate ?? started,
      assumeRolePolicy: JSON.stringify(seed.assumeRolePolicy ?? DEFAULT_TRUST),
      policies,
    });
  }
  const changes: RolePolicyChange[] = [];
  const noSuchRole = (roleName: string) => noSuchEntity(`The role with name ${roleName} cannot be found.`);
  const noSuchPolicy = (policyName: string) =>
    noSuchEntity(`The role policy with name ${policyName} cannot be found.`);

  /** The role named by RoleName (and the PolicyName, when `withPolicy`), or the error to answer. */
  function target(
    params: Record<string, string>,
    withPolicy: boolean,
  ): { role: StoredRole; policyName: string } | { refused: StandinResponse } {
    const { RoleName: roleName, PolicyName: policyName = "" } = params;
    if (!roleName) return { refused: validationError("RoleName is required") };
    if (!NAME.test(roleName)) return { refused: validationError(`Invalid RoleName ${roleName}`) };
    if (withPolicy && !policyName) return { refused: validationError("PolicyName is required") };
    if (withPolicy && !NAME.test(policyName)) {
      return { refused: validationError(`Invalid PolicyName ${policyName}`) };
    }
    const role = stored.get(roleName);
    return role ? { role, policyName } : { refused: noSuchRole(roleName) };
  }

  function handle(action: string | undefined, params: Record<string, string>): StandinResponse | undefined {
    switch (action) {
      case "GetRole": {
        const found = target(params, false);
        if ("refused" in found) return found.refused;
        const { role } = found;
        return iam.ok(
          "GetRole",
          `<Role><Path>${escapeXml(role.path)}</Path><RoleName>${escapeXml(role.roleName)}</RoleName>` +
            `<RoleId>${role.roleId}</RoleId><Arn>${escapeXml(role.arn)}</Arn>` +
            `<CreateDate>${iamDate(role.createDate)}</CreateDate>` +
            `<AssumeRolePolicyDocument>${encodeRfc3986(role.assumeRolePolicy)}</AssumeRolePolicyDocument>` +
            "<MaxSessionDuration>3600</MaxSessionDuration></Role>",
        );
      }
      case "PutRolePolicy": {
        const found = target(params, true);
        if ("refused" in found) return found.refused;
        const text = params.PolicyDocument;
        if (!text) return validationError("PolicyDocument is required");
        const problem = policyProblem(text);
        if (problem) return iam.error(400, "MalformedPolicyDocument", problem);
        found.role.policies.set(found.policyName, text);
        changes.push({
          roleName: found.role.roleName,
          policyName: found.policyName,
          change: "put",
          document: JSON.parse(text) as object,
          at: new Date(),
        });
        return iam.ok("PutRolePolicy", undefined);
      }
      case "GetRolePolicy": {
        const found = target(params, true);
        if ("refused" in found) return found.refused;
        const text = found.role.policies.get(found.policyName);
        if (text === undefined) return noSuchPolicy(found.policyName);
        return iam.ok(
          "GetRolePolicy",
          `<RoleName>${escapeXml(found.role.roleName)}</RoleName><PolicyName>${escapeXml(found.policyName)}</PolicyName>` +
            `<PolicyDocument>${encodeRfc3986(text)}</PolicyDocument>`,
        );
      }
      case "ListRolePolicies": {
        const found = target(params, false);
        if ("refused" in found) return found.refused;
        const names = [...found.role.policies.keys()].sort();
        const page = paginate(names, (name) => name, params);
        if ("refused" in page) return page.refused;
        const members = page.items.map((name) => `<member>${escapeXml(name)}</member>`).join("");
        return iam.ok("ListRolePolicies", `<PolicyNames>${members}</PolicyNames>${pageTail(page)}`);
      }
      case "DeleteRolePolicy": {
        const found = target(params, true);
        if ("refused" in found) return found.refused;
        if (!found.role.policies.delete(found.policyName)) return noSuchPolicy(found.policyName);
        changes.push({
          roleName: found.role.roleName,
          policyName: found.policyName,
          change: "delete",
          at: new Date(),
        });
        return iam.ok("DeleteRolePolicy", undefined);
      }
      default:
        return undefined;
    }
  }

  return {
    changes,
    handle,
    policy(roleName, policyName) {
      const text = stored.get(roleName)?.policies.get(policyName);
      return text === undefined ? undefined : (JSON.parse(text) as object);
    },
  };
}
