/**
 * Local stand-in for the Amazon SageMaker control plane (not AWS): the three JSON 1.1 operations Quell's endpoint
 * rollback sends (X-Amz-Target `SageMaker.<Operation>`, signed for `sagemaker`), with the service's shapes:
 *   DescribeEndpoint {EndpointName}          → the endpoint (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeEndpoint.html)
 *   DescribeEndpointConfig {EndpointConfigName} → the configuration and its CreationTime
 *   UpdateEndpoint {EndpointName, EndpointConfigName, RetainAllVariantProperties?, …} → {EndpointArn}
 * An UpdateEndpoint makes the endpoint `Updating`: EndpointConfigName stays the old one and PendingDeploymentSummary
 * names the new one, for the next `updatingDescribes` DescribeEndpoint calls; then it is InService on the new one
 * (or, after `failNextUpdate`, Failed, or InService on the old one with a FailureReason: rolled back). Errors are
 * SageMaker's ValidationException: `Could not find endpoint "<arn>".`, `Could not find endpoint configuration
 * "<arn>".`, `Cannot update in-progress endpoint "<arn>".` (an update while one is under way). Names are matched
 * case-insensitively and ARNs carry them in lower case, as SageMaker's do. Reach it with
 * `AWS_ENDPOINT_URL_SAGEMAKER`.
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

export const SAGEMAKER_ACCOUNT = "111122223333";
export const SAGEMAKER_REGION = "us-east-1";
/** The seeded endpoint, its configuration now, and the configuration Quell's inventory records as known good. */
export const RANKER_ENDPOINT = "support-chat-ranker";
export const RANKER_CURRENT_CONFIG = "support-chat-ranker-cfg-2026-11-30";
export const RANKER_KNOWN_GOOD_CONFIG = "support-chat-ranker-cfg-2026-10-01";
export const RANKER_ENDPOINT_ARN = `arn:aws:sagemaker:${SAGEMAKER_REGION}:${SAGEMAKER_ACCOUNT}:endpoint/${RANKER_ENDPOINT}`;

export interface EndpointConfigSeed {
  name: string;
  modelName: string;
  instanceType: string;
  createdAt: Date;
}

export interface EndpointSeed {
  name: string;
  /** The configuration it is InService on. */
  configName: string;
  createdAt: Date;
  modifiedAt: Date;
}

export interface SageMakerSeed {
  endpointConfigs: EndpointConfigSeed[];
  endpoints: EndpointSeed[];
}

/** `support-chat-ranker` InService on its 2026-11-30 configuration; the 2026-10-01 one still exists. */
export function sageMakerSeed(): SageMakerSeed {
  const config = (day: string, createdAt: string): EndpointConfigSeed => ({
    name: `${RANKER_ENDPOINT}-cfg-${day}`,
    modelName: `${RANKER_ENDPOINT}-model-${day}`,
    instanceType: "ml.g5.xlarge",
    createdAt: new Date(createdAt),
  });
  return {
    endpointConfigs: [
      config("2026-10-01", "2026-10-01T08:30:00Z"),
      config("2026-11-30", "2026-11-30T10:00:00Z"),
    ],
    endpoints: [
      {
        name: RANKER_ENDPOINT,
        configName: RANKER_CURRENT_CONFIG,
        createdAt: new Date("2026-10-01T09:00:00Z"),
        modifiedAt: new Date("2026-11-30T10:20:00Z"),
      },
    ],
  };
}

export interface SageMakerStandinOptions {
  accountId?: string;
  region?: string;
  seed?: SageMakerSeed;
  /** How many DescribeEndpoint calls see an update `Updating` before it settles; default 2. */
  updatingDescribes?: number;
  port?: number;
}

/** How the next update ends when it does not succeed: `Failed`, or rolled back (InService on the old config). */
export interface UpdateFailure {
  reason: string;
  outcome?: "Failed" | "RolledBack";
}

/** One UpdateEndpoint accepted, in order: the body as sent (or as a human's console would have sent it). */
export interface EndpointUpdate {
  endpointName: string;
  body: JsonObject;
  byHand: boolean;
  at: Date;
}

export interface SageMakerStandin extends AwsJsonStandin {
  /** The endpoint as DescribeEndpoint would answer now (without counting as a describe), or undefined. */
  endpoint(name: string): JsonObject | undefined;
  /** Every update accepted, by Quell or by hand, in order. */
  updates: EndpointUpdate[];
  /** The next update (by anyone) ends with this failure instead of InService on its configuration. */
  failNextUpdate(failure: UpdateFailure): void;
  /** A human's UpdateEndpoint: under way like any other, or already settled (`settled`). */
  updateByHand(endpointName: string, configName: string, options?: { settled?: boolean }): void;
}

const NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
const UPDATE_MEMBERS = new Set([
  "EndpointName",
  "EndpointConfigName",
  "RetainAllVariantProperties",
  "ExcludeRetainedVariantProperties",
  "DeploymentConfig",
  "RetainDeploymentConfig",
]);

interface Deployment {
  configName: string;
  startedAt: Date;
  describesLeft: number;
  failure: UpdateFailure | undefined;
}

interface StoredEndpoint {
  seed: EndpointSeed;
  status: "InService" | "Updating" | "Failed";
  failureReason: string | undefined;
  pending: Deployment | undefined;
}

/** SageMaker's answer to a member that is missing or breaks the name pattern; undefined when it is a name. */
function nameProblem(body: JsonObject, member: string): StandinResponse | undefined {
  const value = body[member];
  if (typeof value === "string" && NAME.test(value)) return undefined;
  const field = member.charAt(0).toLowerCase() + member.slice(1);
  return jsonError(
    "ValidationException",
    `1 validation error detected: Value '${String(value)}' at '${field}' failed to satisfy constraint: ` +
      `Member must satisfy regular expression pattern: ${NAME.source.slice(1, -1)}`,
  );
}

export async function startSageMakerStandin(
  options: SageMakerStandinOptions = {},
): Promise<SageMakerStandin> {
  const accountId = options.accountId ?? SAGEMAKER_ACCOUNT;
  const region = options.region ?? SAGEMAKER_REGION;
  const updatingDescribes = options.updatingDescribes ?? 2;
  const seed = structuredClone(options.seed ?? sageMakerSeed());
  const configs = new Map(seed.endpointConfigs.map((config) => [config.name.toLowerCase(), config]));
  const endpoints = new Map<string, StoredEndpoint>(
    seed.endpoints.map((endpoint) => [
      endpoint.name.toLowerCase(),
      { seed: endpoint, status: "InService", failureReason: undefined, pending: undefined },
    ]),
  );
  const updates: EndpointUpdate[] = [];
  let nextFailure: UpdateFailure | undefined;

  const arn = (kind: "endpoint" | "endpoint-config", name: string) =>
    `arn:aws:sagemaker:${region}:${accountId}:${kind}/${name.toLowerCase()}`;
  const endpointNotFound = (name: string) =>
    jsonError("ValidationException", `Could not find endpoint "${arn("endpoint", name)}".`);
  const configNotFound = (name: string) =>
    jsonError(
      "ValidationException",
      `Could not find endpoint configuration "${arn("endpoint-config", name)}".`,
    );

  const variantSummary = (configName: string, status?: string, since?: Date) => {
    const config = configs.get(configName.toLowerCase());
    return {
      VariantName: "AllTraffic",
      DeployedImages: [],
      CurrentWeight: 1,
      DesiredWeight: 1,
      CurrentInstanceCount: 1,
      DesiredInstanceCount: 1,
      ...(config ? { InstanceType: config.instanceType } : {}),
      ...(status && since ? { VariantStatus: [{ Status: status, StartTime: epochSeconds(since) }] } : {}),
    };
  };

  const view = ({ seed: endpoint, status, failureReason, pending }: StoredEndpoint): JsonObject => ({
    EndpointName: endpoint.name,
    EndpointArn: arn("endpoint", endpoint.name),
    EndpointConfigName: endpoint.configName,
    ProductionVariants: [variantSummary(endpoint.configName)],
    EndpointStatus: status,
    ...(failureReason !== undefined ? { FailureReason: failureReason } : {}),
    CreationTime: epochSeconds(endpoint.createdAt),
    LastModifiedTime: epochSeconds(endpoint.modifiedAt),
    ...(pending
      ? {
          PendingDeploymentSummary: {
            EndpointConfigName: pending.configName,
            ProductionVariants: [variantSummary(pending.configName, "Creating", pending.startedAt)],
            StartTime: epochSeconds(pending.startedAt),
          },
        }
      : {}),
  });

  const settle = (endpoint: StoredEndpoint) => {
    const { pending } = endpoint;
    if (!pending) return;
    endpoint.pending = undefined;
    endpoint.seed.modifiedAt = new Date();
    if (pending.failure) {
      endpoint.status = pending.failure.outcome === "RolledBack" ? "InService" : "Failed";
      endpoint.failureReason = pending.failure.reason;
      return;
    }
    endpoint.seed.configName = configs.get(pending.configName.toLowerCase())?.name ?? pending.configName;
    endpoint.status = "InService";
  };

  const startUpdate = (endpoint: StoredEndpoint, configName: string) => {
    endpoint.pending = {
      configName: configs.get(configName.toLowerCase())?.name ?? configName,
      startedAt: new Date(),
      describesLeft: updatingDescribes,
      failure: nextFailure,
    };
    nextFailure = undefined;
    endpoint.status = "Updating";
    endpoint.failureReason = undefined;
    endpoint.seed.modifiedAt = endpoint.pending.startedAt;
  };

  const describeEndpoint = (body: JsonObject) => {
    const problem = nameProblem(body, "EndpointName");
    if (problem) return problem;
    const name = String(body.EndpointName);
    const endpoint = endpoints.get(name.toLowerCase());
    if (!endpoint) return endpointNotFound(name);
    if (endpoint.pending && endpoint.pending.describesLeft <= 0) settle(endpoint);
    const answer = view(endpoint);
    if (endpoint.pending) endpoint.pending.describesLeft -= 1;
    return jsonOk(answer);
  };

  const describeEndpointConfig = (body: JsonObject) => {
    const problem = nameProblem(body, "EndpointConfigName");
    if (problem) return problem;
    const name = String(body.EndpointConfigName);
    const config = configs.get(name.toLowerCase());
    if (!config) return configNotFound(name);
    return jsonOk({
      EndpointConfigName: config.name,
      EndpointConfigArn: arn("endpoint-config", config.name),
      ProductionVariants: [
        {
          VariantName: "AllTraffic",
          ModelName: config.modelName,
          InitialInstanceCount: 1,
          InstanceType: config.instanceType,
          InitialVariantWeight: 1,
        },
      ],
      CreationTime: epochSeconds(config.createdAt),
    });
  };

  const updateEndpoint = (body: JsonObject, byHand: boolean): StandinResponse => {
    const unknown = Object.keys(body).filter((member) => !UPDATE_MEMBERS.has(member));
    if (unknown.length > 0) return jsonError("ValidationException", `Unknown members: ${unknown.join(", ")}`);
    const problem = nameProblem(body, "EndpointName") ?? nameProblem(body, "EndpointConfigName");
    if (problem) return problem;
    const retain = body.RetainAllVariantProperties;
    if (retain !== undefined && typeof retain !== "boolean") {
      return jsonError("SerializationException", "RetainAllVariantProperties must be a boolean");
    }
    const name = String(body.EndpointName);
    const configName = String(body.EndpointConfigName);
    const endpoint = endpoints.get(name.toLowerCase());
    if (!endpoint) return endpointNotFound(name);
    if (!configs.has(configName.toLowerCase())) return configNotFound(configName);
    if (endpoint.status === "Updating") {
      return jsonError(
        "ValidationException",
        `Cannot update in-progress endpoint "${arn("endpoint", name)}".`,
      );
    }
    if (endpoint.status === "Failed") {
      // SageMaker allows only DeleteEndpoint on a Failed endpoint; the wording here is the stand-in's own.
      return jsonError("ValidationException", `Cannot update failed endpoint "${arn("endpoint", name)}".`);
    }
    updates.push({ endpointName: endpoint.seed.name, body: structuredClone(body), byHand, at: new Date() });
    startUpdate(endpoint, configName);
    return jsonOk({ EndpointArn: arn("endpoint", endpoint.seed.name) });
  };

  const standin = await startAwsJsonStandin({
    name: "Amazon SageMaker",
    signingName: "sagemaker",
    targetPrefix: "SageMaker",
    internalErrorCode: "InternalFailure",
    ...(options.port !== undefined ? { port: options.port } : {}),
    operations: {
      DescribeEndpoint: describeEndpoint,
      DescribeEndpointConfig: describeEndpointConfig,
      UpdateEndpoint: (body) => updateEndpoint(body, false),
    },
  });

  return Object.assign(standin, {
    updates,
    endpoint(name: string) {
      const endpoint = endpoints.get(name.toLowerCase());
      return endpoint ? view(endpoint) : undefined;
    },
    failNextUpdate(failure: UpdateFailure) {
      nextFailure = { ...failure };
    },
    updateByHand(endpointName: string, configName: string, { settled = false } = {}) {
      const answer = updateEndpoint({ EndpointName: endpointName, EndpointConfigName: configName }, true);
      if (answer.status !== 200) throw new Error(`update by hand refused: ${JSON.stringify(answer.body)}`);
      const endpoint = endpoints.get(endpointName.toLowerCase());
      if (settled && endpoint) settle(endpoint);
    },
  });
}
