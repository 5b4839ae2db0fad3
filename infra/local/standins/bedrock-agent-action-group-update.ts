/**
 * The body of an UpdateAgentActionGroup for the Agents for Amazon Bedrock stand-in (see
 * bedrock-agent-action-groups.ts), checked against
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_UpdateAgentActionGroup.html and the types it
 * names (ActionGroupExecutor, APISchema, FunctionSchema, Function, ParameterDetail), and the action group it leaves:
 * the body REPLACES the configuration, so a member the body leaves out is gone afterwards.
 */
import type {
  ActionGroupExecutor,
  ActionGroupSeed,
  ActionGroupState,
  ApiSchema,
  ParentActionGroupSignature,
} from "./bedrock-agent-seed.js";
import { constraint, defined, NAME, unknownMembers } from "./bedrock-agent-shared.js";
import { isRecord } from "./server.js";

const UPDATE_MEMBERS = [
  "actionGroupName",
  "description",
  "actionGroupState",
  "actionGroupExecutor",
  "apiSchema",
  "functionSchema",
  "parentActionGroupSignature",
  "parentActionGroupSignatureParams",
];
const SIGNATURES = [
  "AMAZON.UserInput",
  "AMAZON.CodeInterpreter",
  "ANTHROPIC.Computer",
  "ANTHROPIC.Bash",
  "ANTHROPIC.TextEditor",
];
const LAMBDA_ARN =
  /^(?=.{1,2048}$)arn:(aws[a-zA-Z-]*)?:lambda:[a-z]{2}(-gov)?-[a-z]+-\d{1}:\d{12}:function:[a-zA-Z0-9-_.]+(:(\$LATEST|[a-zA-Z0-9-_]+))?$/;
const S3_BUCKET = /^[a-z0-9][.\-a-z0-9]{1,61}[a-z0-9]$/;
const S3_KEY = /^(?=.{1,1024}$)[.\-!*_'()a-zA-Z0-9][.\-!*_'()/a-zA-Z0-9]*$/;
const PARAMETER_TYPES = ["string", "number", "integer", "boolean", "array"];

const length = (value: unknown, min: number, max: number) =>
  typeof value === "string" && value.length >= min && value.length <= max;

/** What is wrong with a union member (exactly one of `members`), or undefined. */
function unionProblem(name: string, value: unknown, members: readonly string[]): string | undefined {
  if (!isRecord(value)) return `${name} must be an object`;
  const keys = Object.keys(value);
  const unknown = keys.filter((key) => !members.includes(key));
  if (unknown.length > 0) return `${name} has no member ${unknown.join(", ")}`;
  return keys.length === 1
    ? undefined
    : `${name} is a union: exactly one of ${members.join(", ")} must be set`;
}

function functionProblem(fn: unknown, index: number): string | undefined {
  const at = `functionSchema.functions.${index + 1}`;
  if (!isRecord(fn)) return `${at} must be an object`;
  const extra = unknownMembers(at, fn, ["name", "description", "parameters", "requireConfirmation"]);
  if (extra) return extra;
  if (typeof fn.name !== "string" || !NAME.test(fn.name))
    return constraint(`${at}.name`, fn.name, NAME.source);
  if (fn.description !== undefined && !length(fn.description, 1, 1200))
    return constraint(`${at}.description`, fn.description, "length between 1 and 1200");
  if (
    fn.requireConfirmation !== undefined &&
    !["ENABLED", "DISABLED"].includes(String(fn.requireConfirmation))
  )
    return constraint(`${at}.requireConfirmation`, fn.requireConfirmation, "ENABLED | DISABLED");
  if (fn.parameters === undefined) return undefined;
  if (!isRecord(fn.parameters)) return `${at}.parameters must be a map`;
  for (const [key, detail] of Object.entries(fn.parameters)) {
    if (!NAME.test(key)) return constraint(`${at}.parameters`, key, NAME.source);
    if (!isRecord(detail) || !PARAMETER_TYPES.includes(String(detail.type)))
      return constraint(
        `${at}.parameters.${key}.type`,
        isRecord(detail) ? detail.type : detail,
        "string | number | integer | boolean | array",
      );
    const extraDetail = unknownMembers(`${at}.parameters.${key}`, detail, [
      "type",
      "description",
      "required",
    ]);
    if (extraDetail) return extraDetail;
    if (detail.description !== undefined && !length(detail.description, 1, 500))
      return constraint(
        `${at}.parameters.${key}.description`,
        detail.description,
        "length between 1 and 500",
      );
    if (detail.required !== undefined && typeof detail.required !== "boolean")
      return `${at}.parameters.${key}.required must be a boolean`;
  }
  return undefined;
}

/** What is wrong with an UpdateAgentActionGroup body, or undefined. */
export function actionGroupUpdateProblem(body: Record<string, unknown>): string | undefined {
  const extra = unknownMembers("UpdateAgentActionGroup", body, UPDATE_MEMBERS);
  if (extra) return extra;
  const { actionGroupName, description, actionGroupState, actionGroupExecutor: executor } = body;
  const { apiSchema, functionSchema, parentActionGroupSignature: signature } = body;
  if (typeof actionGroupName !== "string" || !NAME.test(actionGroupName))
    return constraint("actionGroupName", actionGroupName, NAME.source);
  if (description !== undefined && !length(description, 1, 200))
    return constraint("description", description, "length between 1 and 200");
  if (actionGroupState !== undefined && actionGroupState !== "ENABLED" && actionGroupState !== "DISABLED")
    return constraint("actionGroupState", actionGroupState, "ENABLED | DISABLED");
  if (executor !== undefined) {
    const problem = unionProblem("actionGroupExecutor", executor, ["lambda", "customControl"]);
    if (problem) return problem;
    const { lambda, customControl } = executor as Record<string, unknown>;
    if (lambda !== undefined && (typeof lambda !== "string" || !LAMBDA_ARN.test(lambda)))
      return constraint("actionGroupExecutor.lambda", lambda, LAMBDA_ARN.source);
    if (customControl !== undefined && customControl !== "RETURN_CONTROL")
      return constraint("actionGroupExecutor.customControl", customControl, "RETURN_CONTROL");
  }
  if (apiSchema !== undefined) {
    const problem = unionProblem("apiSchema", apiSchema, ["s3", "payload"]);
    if (problem) return problem;
    const { s3, payload } = apiSchema as Record<string, unknown>;
    if (payload !== undefined && typeof payload !== "string") return "apiSchema.payload must be a string";
    if (s3 !== undefined) {
      if (!isRecord(s3)) return "apiSchema.s3 must be an object";
      const extraS3 = unknownMembers("apiSchema.s3", s3, ["s3BucketName", "s3ObjectKey"]);
      if (extraS3) return extraS3;
      if (s3.s3BucketName !== undefined && !S3_BUCKET.test(String(s3.s3BucketName)))
        return constraint("apiSchema.s3.s3BucketName", s3.s3BucketName, S3_BUCKET.source);
      if (s3.s3ObjectKey !== undefined && !S3_KEY.test(String(s3.s3ObjectKey)))
        return constraint("apiSchema.s3.s3ObjectKey", s3.s3ObjectKey, S3_KEY.source);
    }
  }
  if (functionSchema !== undefined) {
    const problem = unionProblem("functionSchema", functionSchema, ["functions"]);
    if (problem) return problem;
    const { functions } = functionSchema as Record<string, unknown>;
    if (!Array.isArray(functions) || functions.length === 0)
      return "this stand-in requires functionSchema.functions to list at least one function";
    for (const [index, fn] of functions.entries()) {
      const fnProblem = functionProblem(fn, index);
      if (fnProblem) return fnProblem;
    }
  }
  if (apiSchema !== undefined && functionSchema !== undefined)
    return "Specify either apiSchema or functionSchema, not both.";
  if (signature !== undefined) {
    if (!SIGNATURES.includes(String(signature)))
      return constraint("parentActionGroupSignature", signature, SIGNATURES.join(" | "));
    if (description !== undefined || apiSchema !== undefined || executor !== undefined)
      return "An action group with a parentActionGroupSignature must leave description, apiSchema and actionGroupExecutor empty.";
  }
  const params = body.parentActionGroupSignatureParams;
  if (params !== undefined) {
    if (signature === undefined)
      return "this stand-in requires parentActionGroupSignature with parentActionGroupSignatureParams";
    if (!isRecord(params) || Object.values(params).some((value) => typeof value !== "string"))
      return "parentActionGroupSignatureParams must map strings to strings";
  }
  return undefined;
}

/** The action group an UpdateAgentActionGroup `body` leaves: the body's members only, nothing kept but the id. */
export function replacedActionGroup(
  previous: ActionGroupSeed,
  body: Record<string, unknown>,
  at: string,
): ActionGroupSeed {
  return defined({
    actionGroupId: previous.actionGroupId,
    actionGroupName: body.actionGroupName as string,
    actionGroupState: (body.actionGroupState as ActionGroupState | undefined) ?? "ENABLED",
    description: body.description as string | undefined,
    actionGroupExecutor: body.actionGroupExecutor as ActionGroupExecutor | undefined,
    apiSchema: body.apiSchema as ApiSchema | undefined,
    functionSchema: body.functionSchema as ActionGroupSeed["functionSchema"],
    parentActionSignature: body.parentActionGroupSignature as ParentActionGroupSignature | undefined,
    parentActionGroupSignatureParams: body.parentActionGroupSignatureParams as
      | Record<string, string>
      | undefined,
    createdAt: previous.createdAt,
    updatedAt: at,
  });
}
