/**
 * Local stand-in for AWS Systems Manager Parameter Store (not AWS): the JSON 1.1 operations Quell's model-pin
 * rollback sends (X-Amz-Target `AmazonSSM.<Operation>`, signed for `ssm`), with the service's shapes
 * (https://docs.aws.amazon.com/systems-manager/latest/APIReference/):
 *   GetParameter {Name, WithDecryption?}                               → {Parameter}
 *   GetParameterHistory {Name, WithDecryption?, MaxResults ≤ 50, NextToken?} → {Parameters, NextToken?}, oldest first
 *   PutParameter {Name, Value, Type?, Overwrite?, …}                   → {Version, Tier}
 * PutParameter adds a version. On an existing parameter it needs `Overwrite: true` (else ParameterAlreadyExists),
 * refuses Tags with Overwrite (ValidationException), and keeps every member it is not sent (type, tier,
 * description, data type, allowed pattern, key, policies): the API reference says a type is not required when
 * updating and existing policies are preserved until new ones are sent. A SecureString's value is answered
 * encrypted unless `WithDecryption` is true. Reach it with `AWS_ENDPOINT_URL_SSM`.
 */
import {
  type AwsJsonStandin,
  epochSeconds,
  type JsonObject,
  jsonError,
  jsonOk,
  startAwsJsonStandin,
} from "./aws-json.js";
import type { StandinResponse } from "./server.js";

export const SSM_ACCOUNT = "111122223333";
export const SSM_REGION = "us-east-1";
/** The String parameter an application reads its model id from, and one of Quell's own SecureStrings. */
export const MODEL_ID_PARAMETER = "/support-chat/model-id";
export const SLACK_TOKEN_PARAMETER = "/quell/dev/SLACK_BOT_TOKEN";
export const MODEL_ID_PARAMETER_ARN = `arn:aws:ssm:${SSM_REGION}:${SSM_ACCOUNT}:parameter${MODEL_ID_PARAMETER}`;

type ParameterType = "String" | "StringList" | "SecureString";
type ParameterTier = "Standard" | "Advanced";

export interface ParameterVersionSeed {
  value: string;
  at: Date;
  /** LastModifiedUser: who wrote this version. */
  user: string;
}

export interface ParameterSeed {
  name: string;
  type: ParameterType;
  description?: string;
  tier?: ParameterTier;
  /** Oldest first; numbered 1, 2, … */
  versions: ParameterVersionSeed[];
}

const DEPLOYER = "arn:aws:iam::111122223333:user/ml-platform-deployer";

/** The model pin with three versions (three distinct model ids), and a Quell secret that must never be touched. */
export function ssmSeed(): ParameterSeed[] {
  const version = (value: string, day: string) => ({
    value,
    at: new Date(`${day}T09:00:00Z`),
    user: DEPLOYER,
  });
  return [
    {
      name: MODEL_ID_PARAMETER,
      type: "String",
      description: "Model id the support chat assistant calls",
      tier: "Standard",
      versions: [
        version("anthropic.claude-3-5-sonnet-20240620-v1:0", "2026-08-01"),
        version("anthropic.claude-3-7-sonnet-20250219-v1:0", "2026-10-12"),
        version("acme.support-chat-ft-2026-11-29", "2026-11-29"),
      ],
    },
    {
      name: SLACK_TOKEN_PARAMETER,
      type: "SecureString",
      description: "Quell's Slack bot token (dev)",
      versions: [version("local-stand-in-slack-bot-token", "2026-07-01")],
    },
  ];
}

export interface SsmStandinOptions {
  accountId?: string;
  region?: string;
  parameters?: ParameterSeed[];
  port?: number;
}

export interface SsmStandin extends AwsJsonStandin {
  /** The newest version as GetParameter with decryption would answer it (without recording a request). */
  parameter(name: string): JsonObject | undefined;
  /** Every version, oldest first, as GetParameterHistory with decryption would answer them. */
  history(name: string): JsonObject[];
  /** A human's `put-parameter --overwrite`: a new version with `value`; returns its number. */
  putByHand(name: string, value: string, user?: string): number;
}

interface StoredVersion {
  version: number;
  value: string;
  type: ParameterType;
  description: string | undefined;
  tier: ParameterTier;
  dataType: string;
  allowedPattern: string | undefined;
  keyId: string | undefined;
  policies: unknown[];
  at: Date;
  user: string;
}

const MEMBERS: Readonly<Record<string, ReadonlySet<string>>> = {
  GetParameter: new Set(["Name", "WithDecryption"]),
  GetParameterHistory: new Set(["Name", "WithDecryption", "MaxResults", "NextToken"]),
  PutParameter: new Set([
    "Name",
    "Description",
    "Value",
    "Type",
    "KeyId",
    "Overwrite",
    "AllowedPattern",
    "Tags",
    "Tier",
    "Policies",
    "DataType",
  ]),
};
const TYPES: readonly string[] = ["String", "StringList", "SecureString"];
const STANDARD_VALUE_LIMIT = 4096;
const HISTORY_PAGE_LIMIT = 50;

/** What a request breaks before the operation runs: an unknown member, or a Name that is not a string. */
function requestProblem(operation: string, body: JsonObject): StandinResponse | undefined {
  const unknown = Object.keys(body).filter((member) => !MEMBERS[operation]?.has(member));
  if (unknown.length > 0) return jsonError("ValidationException", `Unknown members: ${unknown.join(", ")}`);
  if (typeof body.Name !== "string" || body.Name.length === 0 || body.Name.length > 2048) {
    return jsonError(
      "ValidationException",
      "1 validation error detected: Value at 'name' failed to satisfy constraint",
    );
  }
  return undefined;
}

/** A PutParameter `Policies` string (a JSON array) as GetParameterHistory lists it; none when it is not one. */
function policiesOf(text: string): unknown[] {
  try {
    const policies: unknown = JSON.parse(text);
    return Array.isArray(policies) ? policies : [];
  } catch {
    return [];
  }
}

/** Whether `value` matches an AllowedPattern; a pattern that does not compile matches nothing. */
function matches(pattern: string, value: string): boolean {
  try {
    return new RegExp(pattern).test(value);
  } catch {
    return false;
  }
}

export async function startSsmStandin(options: SsmStandinOptions = {}): Promise<SsmStandin> {
  const accountId = options.accountId ?? SSM_ACCOUNT;
  const region = options.region ?? SSM_REGION;
  const parameters = new Map<string, StoredVersion[]>();
  for (const seed of options.parameters ?? ssmSeed()) {
    parameters.set(
      seed.name,
      seed.versions.map((version, index) => ({
        version: index + 1,
        value: version.value,
        type: seed.type,
        description: seed.description,
        tier: seed.tier ?? "Standard",
        dataType: "text",
        allowedPattern: undefined,
        keyId: seed.type === "SecureString" ? "alias/aws/ssm" : undefined,
        policies: [],
        at: version.at,
        user: version.user,
      })),
    );
  }

  const arnOf = (name: string) => `arn:aws:ssm:${region}:${accountId}:parameter/${name.replace(/^\//, "")}`;
  /** The versions a Name (a parameter name, or its ARN in this account and region) refers to. */
  const find = (name: string) => {
    const prefix = `arn:aws:ssm:${region}:${accountId}:parameter/`;
    if (!name.startsWith("arn:")) return { name, versions: parameters.get(name) };
    const path = name.startsWith(prefix) ? name.slice(prefix.length) : undefined;
    const candidates = path === undefined ? [] : [`/${path}`, path];
    const found = candidates.find((candidate) => parameters.has(candidate));
    return { name: found ?? name, versions: found ? parameters.get(found) : undefined };
  };
  const notFound = (name: string) => jsonError("ParameterNotFound", `Parameter ${name} not found.`);
  /** A SecureString's value as SSM answers it without decryption: ciphertext (here, a stand-in for one). */
  const shownValue = (name: string, version: StoredVersion, decrypt: boolean) =>
    version.type === "SecureString" && !decrypt
      ? Buffer.from(`stand-in ciphertext of ${name} version ${version.version}`).toString("base64")
      : version.value;

  const parameterView = (name: string, version: StoredVersion, decrypt: boolean): JsonObject => ({
    Name: name,
    Type: version.type,
    Value: shownValue(name, version, decrypt),
    Version: version.version,
    LastModifiedDate: epochSeconds(version.at),
    ARN: arnOf(name),
    DataType: version.dataType,
  });

  const historyView = (name: string, version: StoredVersion, decrypt: boolean): JsonObject => ({
    Name: name,
    Type: version.type,
    ...(version.keyId !== undefined ? { KeyId: version.keyId } : {}),
    LastModifiedDate: epochSeconds(version.at),
    LastModifiedUser: version.user,
    ...(version.description !== undefined ? { Description: version.description } : {}),
    Value: shownValue(name, version, decrypt),
    ...(version.allowedPattern !== undefined ? { AllowedPattern: version.allowedPattern } : {}),
    Version: version.version,
    Labels: [],
    Tier: version.tier,
    Policies: version.policies,
    DataType: version.dataType,
  });

  const getParameter = (body: JsonObject) => {
    const problem = requestProblem("GetParameter", body);
    if (problem) return problem;
    const { name, versions } = find(String(body.Name));
    const newest = versions?.at(-1);
    if (!newest) return notFound(String(body.Name));
    return jsonOk({ Parameter: parameterView(name, newest, body.WithDecryption === true) });
  };

  const getParameterHistory = (body: JsonObject) => {
    const problem = requestProblem("GetParameterHistory", body);
    if (problem) return problem;
    const limit = body.MaxResults ?? HISTORY_PAGE_LIMIT;
    if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1 || limit > HISTORY_PAGE_LIMIT) {
      return jsonError(
        "ValidationException",
        `1 validation error detected: Value '${String(limit)}' at 'maxResults' failed to satisfy constraint: ` +
          `Member must have value less than or equal to ${HISTORY_PAGE_LIMIT}`,
      );
    }
    const { name, versions } = find(String(body.Name));
    if (!versions) return notFound(String(body.Name));
    const start =
      body.NextToken === undefined ? 0 : Number(Buffer.from(String(body.NextToken), "base64").toString());
    if (body.NextToken !== undefined && !(Number.isInteger(start) && start > 0 && start < versions.length)) {
      return jsonError("InvalidNextToken", "The specified token isn't valid.");
    }
    const page = versions.slice(start, start + limit);
    const next =
      start + limit < versions.length ? Buffer.from(String(start + limit)).toString("base64") : undefined;
    return jsonOk({
      Parameters: page.map((version) => historyView(name, version, body.WithDecryption === true)),
      ...(next ? { NextToken: next } : {}),
    });
  };

  const putParameter = (body: JsonObject, user: string): StandinResponse => {
    const problem = requestProblem("PutParameter", body);
    if (problem) return problem;
    const name = String(body.Name);
    if (name.startsWith("arn:")) {
      return jsonError("ValidationException", "Parameter name: can't be an ARN; use the parameter's name.");
    }
    if (typeof body.Value !== "string" || body.Value.length === 0) {
      return jsonError(
        "ValidationException",
        "1 validation error detected: Value at 'value' failed to satisfy constraint",
      );
    }
    if (body.Type !== undefined && !TYPES.includes(String(body.Type))) {
      return jsonError(
        "ValidationException",
        `Value '${String(body.Type)}' at 'type' failed to satisfy constraint`,
      );
    }
    const versions = parameters.get(name);
    const previous = versions?.at(-1);
    if (previous && body.Overwrite !== true) {
      return jsonError(
        "ParameterAlreadyExists",
        "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.",
      );
    }
    if (previous && body.Tags !== undefined) {
      return jsonError(
        "ValidationException",
        "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please " +
          "remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or " +
          "RemoveTagsFromResource.",
      );
    }
    const type = (body.Type ?? previous?.type) as ParameterType | undefined;
    if (!type)
      return jsonError("ValidationException", "A parameter type is required when you create a parameter.");
    const tier = (body.Tier ?? previous?.tier ?? "Standard") as ParameterTier;
    if (tier === "Standard" && body.Value.length > STANDARD_VALUE_LIMIT) {
      return jsonError(
        "ValidationException",
        "Standard tier parameters support a maximum parameter value of 4096 characters.",
      );
    }
    const allowedPattern = (body.AllowedPattern as string | undefined) ?? previous?.allowedPattern;
    if (allowedPattern !== undefined && !matches(allowedPattern, body.Value)) {
      return jsonError(
        "ParameterPatternMismatchException",
        `Parameter value, cannot be validated against allowedPattern: ${allowedPattern}`,
      );
    }
    const stored: StoredVersion = {
      version: (previous?.version ?? 0) + 1,
      value: body.Value,
      type,
      description: (body.Description as string | undefined) ?? previous?.description,
      tier,
      dataType: (body.DataType as string | undefined) ?? previous?.dataType ?? "text",
      allowedPattern,
      keyId:
        (body.KeyId as string | undefined) ??
        previous?.keyId ??
        (type === "SecureString" ? "alias/aws/ssm" : undefined),
      policies: body.Policies !== undefined ? policiesOf(String(body.Policies)) : (previous?.policies ?? []),
      at: new Date(),
      user,
    };
    parameters.set(name, [...(versions ?? []), stored]);
    return jsonOk({ Version: stored.version, Tier: stored.tier });
  };

  const standin = await startAwsJsonStandin({
    name: "AWS Systems Manager Parameter Store",
    signingName: "ssm",
    targetPrefix: "AmazonSSM",
    internalErrorCode: "InternalServerError",
    ...(options.port !== undefined ? { port: options.port } : {}),
    operations: {
      GetParameter: getParameter,
      GetParameterHistory: getParameterHistory,
      PutParameter: (body, caller) =>
        putParameter(body, `arn:aws:sts::${accountId}:assumed-role/local/${caller.accessKeyId}`),
    },
  });

  return Object.assign(standin, {
    parameter(name: string) {
      const newest = parameters.get(name)?.at(-1);
      return newest ? parameterView(name, newest, true) : undefined;
    },
    history(name: string) {
      return (parameters.get(name) ?? []).map((version) => historyView(name, version, true));
    },
    putByHand(name: string, value: string, user = "arn:aws:iam::111122223333:user/on-call-engineer") {
      const answer = putParameter({ Name: name, Value: value, Overwrite: true }, user);
      if (answer.status !== 200) throw new Error(`put by hand refused: ${JSON.stringify(answer.body)}`);
      return (answer.body as { Version: number }).Version;
    },
  });
}
